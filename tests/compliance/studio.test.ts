import { describe, expect, it } from "vitest";
import {
  buildDisclosure,
  canPublishTier,
  decideTermsVersion,
  getTierWorkspace,
  listTiers,
  publishTier,
  recordConsent,
  saveTermsDraft,
  searchConsents,
  seedTierWithTerms,
  submitTermsVersion,
  termsFromForm,
  TermsFormSchema,
  termsToForm,
} from "@kiln/compliance";
import { withSystem } from "@kiln/db";
import { assignRole, createCoopWithPeople, createSubscriptionTier, createUser } from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { getTestRuntime } from "../setup/runtime";
import { sampleTermsFor } from "./samples";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");

async function setup(jurisdictions = ["DE"]) {
  const p = await createCoopWithPeople(rt);
  const tier = await createSubscriptionTier(rt, { coopId: p.coop.id, creatorId: p.creator.id, jurisdictions });
  const owner = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
  const staffUser = await createUser(rt);
  await assignRole(rt, { userId: staffUser.id, coopId: p.coop.id, role: "creator_staff", creatorId: p.creator.id });
  const staff = { userId: staffUser.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_staff" };
  const reviewer = { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" };
  return { p, tier, owner, staff, reviewer };
}

describe("the creator's studio workflow", () => {
  it("saving edits the open draft; after submission a save starts the next version", async () => {
    const s = await setup();
    const terms = sampleTermsFor("DE").terms;
    const v1 = await saveTermsDraft(rt, s.staff, { tierId: s.tier.id, terms });
    const again = await saveTermsDraft(rt, s.owner, {
      tierId: s.tier.id,
      terms: { ...terms, price: { ...terms.price, amountMinor: 1100 } },
    });
    expect(again.id).toBe(v1.id);
    expect(again.version).toBe(1);
    await submitTermsVersion(rt, s.owner, { termsVersionId: v1.id }, renderOrderPage);
    const v2 = await saveTermsDraft(rt, s.owner, { tierId: s.tier.id, terms });
    expect(v2.version).toBe(2);
    expect(v2.status).toBe("draft");
    const listed = await listTiers(rt, s.staff);
    expect(listed.find((t) => t.id === s.tier.id)?.latest).toEqual({ version: 2, status: "draft" });
  });

  it("staff may draft and view, but only the owner submits and publishes", async () => {
    const s = await setup();
    const v = await saveTermsDraft(rt, s.staff, { tierId: s.tier.id, terms: sampleTermsFor("DE").terms });
    await expect(submitTermsVersion(rt, s.staff, { termsVersionId: v.id }, renderOrderPage)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await submitTermsVersion(rt, s.owner, { termsVersionId: v.id }, renderOrderPage);
    await decideTermsVersion(rt, s.reviewer, { termsVersionId: v.id, decision: "approve" });
    await expect(publishTier(rt, s.staff, s.tier.id, renderOrderPage)).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await publishTier(rt, s.owner, s.tier.id, renderOrderPage)).status).toBe("live");
  });

  it("a draft's findings are judged now on the order page; another creator's tier is NOT_FOUND", async () => {
    const s = await setup(["DE"]);
    const base = sampleTermsFor("DE").terms;
    await saveTermsDraft(rt, s.owner, {
      tierId: s.tier.id,
      terms: { ...base, cancellation: { ...base.cancellation, saveOffers: 1 } },
    });
    const ws = await getTierWorkspace(rt, s.staff, s.tier.id, renderOrderPage);
    expect(ws.current?.status).toBe("draft");
    expect(ws.findings.filter((f) => f.status === "fail").map((f) => `${f.jurisdiction} ${f.ruleId}`)).toEqual([
      "DE X-X6",
    ]);
    expect(ws.publish.blockers.map((b) => b.code)).toEqual(["NO_APPROVED_TERMS"]);
    const other = await setup();
    await expect(getTierWorkspace(rt, other.owner, s.tier.id, renderOrderPage)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("the terms form round-trips the structured terms", () => {
    const { terms } = sampleTermsFor("US-CA");
    const form = termsToForm(terms);
    const raw = Object.fromEntries(
      Object.entries(form)
        .filter(([, v]) => v !== "" && v !== false)
        .map(([k, v]) => [k, v === true ? true : v]),
    );
    const parsed = TermsFormSchema.parse({
      ...raw,
      amount: form.amount,
      intervalCount: Number(form.intervalCount),
      noticeDays: Number(form.noticeDays),
      minimumTermMonths: Number(form.minimumTermMonths),
      trialDays: Number(form.trialDays),
      saveOffers: Number(form.saveOffers),
      cancelSteps: Number(form.cancelSteps),
      withdrawalPeriodDays: Number(form.withdrawalPeriodDays),
      refundDays: Number(form.refundDays),
    });
    expect(termsFromForm(parsed)).toEqual(terms);
  });
});

describe("seeding through the workflow inside one transaction", () => {
  it("a live tier passes the gate; a live tier whose rules fail refuses to seed", async () => {
    const s = await setup();
    const base = sampleTermsFor("DE").terms;
    const at = rt.clock.now();
    const live = await withSystem(rt, "seed", (tx) =>
      seedTierWithTerms(
        tx,
        {
          coopId: s.p.coop.id,
          creatorId: s.p.creator.id,
          name: "Seeded",
          jurisdictions: ["DE"],
          terms: base,
          ownerUserId: s.p.owner.id,
          reviewerUserId: s.p.reviewer.id,
          stage: "live",
        },
        renderOrderPage,
        at,
      ),
    );
    expect(live.tier.status).toBe("live");
    expect((await canPublishTier(rt, s.owner, live.tier.id, renderOrderPage)).ok).toBe(true);
    await expect(
      withSystem(rt, "seed", (tx) =>
        seedTierWithTerms(
          tx,
          {
            coopId: s.p.coop.id,
            creatorId: s.p.creator.id,
            name: "Seeded failing",
            jurisdictions: ["DE"],
            terms: { ...base, cancellation: { ...base.cancellation, saveOffers: 1 } },
            ownerUserId: s.p.owner.id,
            reviewerUserId: s.p.reviewer.id,
            stage: "live",
          },
          renderOrderPage,
          at,
        ),
      ),
    ).rejects.toThrow(/DE X-X6/);
  });
});

describe("consent search by member email", () => {
  it("finds the member's consents in this co-op only; unknown and foreign emails find nothing", async () => {
    const s = await setup(["US-CA"]);
    const { terms } = sampleTermsFor("US-CA");
    const v = await saveTermsDraft(rt, s.owner, { tierId: s.tier.id, terms });
    await submitTermsVersion(rt, s.owner, { termsVersionId: v.id }, renderOrderPage);
    await decideTermsVersion(rt, s.reviewer, { termsVersionId: v.id, decision: "approve" });
    const model = buildDisclosure(terms, { locale: "en", asOf: rt.clock.now() });
    const consentBy = (memberUserId: string, tierId: string, termsVersionId: string) =>
      recordConsent(rt, {
        memberUserId,
        tierId,
        termsVersionId,
        disclosureText: model.text,
        buttonLabel: model.buttonLabel,
        checkboxes: model.consents.map((c) => ({ name: c.name, label: c.label, checked: true })),
        priceShown: { amountMinor: terms.price.amountMinor, currency: terms.price.currency, interval: terms.interval },
        jurisdiction: "US-CA",
        locale: "en",
      });
    const mine = await consentBy(s.p.member.id, s.tier.id, v.id);

    // Another co-op, where only a different member consented.
    const o = await setup(["US-CA"]);
    const ov = await saveTermsDraft(rt, o.owner, { tierId: o.tier.id, terms });
    await submitTermsVersion(rt, o.owner, { termsVersionId: ov.id }, renderOrderPage);
    await decideTermsVersion(rt, o.reviewer, { termsVersionId: ov.id, decision: "approve" });
    await consentBy(o.p.member.id, o.tier.id, ov.id);

    const found = await searchConsents(rt, s.reviewer, { memberEmail: s.p.member.email.toUpperCase() });
    expect(found.map((c) => c.id)).toEqual([mine.id]);
    expect(await searchConsents(rt, s.reviewer, { memberEmail: o.p.member.email })).toEqual([]);
    expect(await searchConsents(rt, s.reviewer, { memberEmail: "nobody-here@example.test" })).toEqual([]);
    expect(await searchConsents(rt, s.reviewer, { memberEmail: s.p.owner.email })).toEqual([]);
  });
});
