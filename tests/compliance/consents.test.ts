import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { verifyChain } from "@kiln/audit";
import {
  buildDisclosure,
  createTermsDraft,
  decideTermsVersion,
  eraseExpiredConsentData,
  markContractEnded,
  recordConsent,
  retainUntil,
  searchConsents,
  submitTermsVersion,
  type ConsentInput,
} from "@kiln/compliance";
import { withSystem, withTenant } from "@kiln/db";
import { createCoopWithPeople, createSubscriptionTier } from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { getTestRuntime } from "../setup/runtime";
import { sampleTermsFor } from "./samples";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");

async function approvedTier() {
  const p = await createCoopWithPeople(rt);
  const tier = await createSubscriptionTier(rt, {
    coopId: p.coop.id,
    creatorId: p.creator.id,
    jurisdictions: ["US-CA"],
  });
  const creator = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
  const reviewer = { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" };
  const { terms } = sampleTermsFor("US-CA");
  const v = await createTermsDraft(rt, creator, { tierId: tier.id, terms });
  await submitTermsVersion(rt, creator, { termsVersionId: v.id }, renderOrderPage);
  await decideTermsVersion(rt, reviewer, { termsVersionId: v.id, decision: "approve" });
  const model = buildDisclosure(terms, { locale: "en", asOf: rt.clock.now() });
  const input: ConsentInput = {
    memberUserId: p.member.id,
    tierId: tier.id,
    termsVersionId: v.id,
    disclosureText: model.text,
    buttonLabel: model.buttonLabel,
    checkboxes: model.consents.map((c) => ({ name: c.name, label: c.label, checked: true })),
    priceShown: { amountMinor: terms.price.amountMinor, currency: terms.price.currency, interval: terms.interval },
    jurisdiction: "US-CA",
    locale: "en",
    ip: "203.0.113.7",
    userAgent: "Mozilla/5.0 test",
  };
  return { p, tier, v, reviewer, creator, input };
}

describe("consent records (X-C4)", () => {
  it("records what the member saw, audits it with IP/UA beside the chain, and reviewers find it", async () => {
    const { p, input, reviewer, creator } = await approvedTier();
    const consent = await recordConsent(rt, input);
    expect(consent.termsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(consent.disclosureHash).toMatch(/^[0-9a-f]{64}$/);
    expect(consent.buttonLabel).toBe("Order with obligation to pay");
    const audit = await withSystem(rt, "t", (tx) =>
      tx.execute<{ action: string; data: Record<string, unknown> }>(
        sql`select l.action, d.data from audit_log l join audit_personal_data d on d.id = l.personal_data_id where l.coop_id = ${p.coop.id} and l.subject_id = ${consent.id}`,
      ),
    );
    expect(audit).toEqual([
      { action: "compliance.consent_recorded", data: { ip: "203.0.113.7", userAgent: "Mozilla/5.0 test" } },
    ]);
    expect((await searchConsents(rt, reviewer, { memberUserId: p.member.id })).map((c) => c.id)).toEqual([consent.id]);
    await expect(searchConsents(rt, creator)).rejects.toMatchObject({ code: "NOT_FOUND" });
    // The member reads their own consent; the app role can never rewrite one.
    const own = await withTenant(rt, { userId: p.member.id }, (tx) =>
      tx.execute(sql`select id from consents where id = ${consent.id}`),
    );
    expect(own).toHaveLength(1);
    await expect(
      withTenant(rt, reviewer, (tx) =>
        tx.execute(sql`update consents set button_label = 'x' where id = ${consent.id}`),
      ),
    ).rejects.toThrow();
  });

  it("refuses a consent without the ticked auto-renew box, or for terms that are not approved", async () => {
    const { input } = await approvedTier();
    await expect(
      recordConsent(rt, { ...input, checkboxes: input.checkboxes.map((c) => ({ ...c, checked: false })) }),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    await expect(recordConsent(rt, { ...input, jurisdiction: "DE" })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("retention: CA keeps 3 years, or 1 year after the contract ends if later; then IP/UA are erased and the chain verifies", async () => {
    const { p, input } = await approvedTier();
    const consent = await recordConsent(rt, input);
    const at = consent.consentedAt;
    expect(retainUntil("US-CA", at).getTime() - at.getTime()).toBeCloseTo(3 * 365.25 * 86_400_000, -5);
    const ended = new Date(at.getTime() + 2.5 * 365.25 * 86_400_000);
    expect(retainUntil("US-CA", at, ended).getTime()).toBe(ended.getTime() + 365.25 * 86_400_000);
    await markContractEnded(rt, { consentId: consent.id, endedAt: ended });

    const erasedAt = async () => {
      const [row] = await withSystem(rt, "t", (tx) =>
        tx.execute<{ erased: unknown }>(
          sql`select personal_data_erased_at as erased from consents where id = ${consent.id}`,
        ),
      );
      return row!.erased;
    };
    // Past 3 years but within 1 year of the contract's end: kept (other tests' consents may go).
    rt.clock.set(new Date(at.getTime() + 3.2 * 365.25 * 86_400_000));
    await eraseExpiredConsentData(rt);
    expect(await erasedAt()).toBeNull();
    rt.clock.set(new Date(ended.getTime() + 1.01 * 365.25 * 86_400_000));
    expect((await eraseExpiredConsentData(rt)).erased).toBeGreaterThanOrEqual(1);
    expect(await erasedAt()).not.toBeNull();
    const [pd] = await withSystem(rt, "t", (tx) =>
      tx.execute<{ data: unknown; erased_at: unknown }>(
        sql`select data, erased_at from audit_personal_data where id = ${consent.personalDataId}`,
      ),
    );
    expect(pd!.data).toBeNull();
    expect(pd!.erased_at).not.toBeNull();
    expect((await verifyChain(rt, p.coop.id)).ok).toBe(true);
  });
});
