import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { verifyChain } from "@kiln/audit";
import {
  canPublishTier,
  createTermsDraft,
  createWaiver,
  decideTermsVersion,
  diffTermsVersions,
  getTermsVersion,
  publishTier,
  rereviewLiveTiers,
  setRequiredApprovals,
  submitTermsVersion,
  updateTermsDraft,
  type Jurisdiction,
  type Terms,
} from "@kiln/compliance";
import { withSystem, withTenant } from "@kiln/db";
import { assignRole, createCoopWithPeople, createSubscriptionTier, createUser } from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { getTestRuntime } from "../setup/runtime";
import { sampleTermsFor } from "./samples";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");

async function setup(jurisdiction: Jurisdiction = "DE") {
  const p = await createCoopWithPeople(rt);
  const tier = await createSubscriptionTier(rt, {
    coopId: p.coop.id,
    creatorId: p.creator.id,
    jurisdictions: [jurisdiction],
  });
  const creator = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
  const reviewer = { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" };
  return { p, tier, creator, reviewer };
}

async function submitted(s: Awaited<ReturnType<typeof setup>>, terms: Terms) {
  const draft = await createTermsDraft(rt, s.creator, { tierId: s.tier.id, terms });
  await submitTermsVersion(rt, s.creator, { termsVersionId: draft.id }, renderOrderPage);
  return draft;
}

describe("terms versions", () => {
  it("a draft changes; once submitted it is immutable, even to raw SQL, and carries the engine's findings", async () => {
    const s = await setup();
    const { terms } = sampleTermsFor("DE");
    const draft = await createTermsDraft(rt, s.creator, { tierId: s.tier.id, terms });
    const changed = await updateTermsDraft(rt, s.creator, {
      termsVersionId: draft.id,
      terms: { ...terms, price: { ...terms.price, amountMinor: 1000 } },
    });
    expect(changed.contentHash).not.toBe(draft.contentHash);
    const { version, evaluation } = await submitTermsVersion(
      rt,
      s.creator,
      { termsVersionId: draft.id },
      renderOrderPage,
    );
    expect(version.status).toBe("in_review");
    expect(evaluation.failing).toBe(0);
    expect(evaluation.findings.length).toBeGreaterThan(10);
    await expect(updateTermsDraft(rt, s.creator, { termsVersionId: draft.id, terms })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(
      withTenant(rt, s.creator, (tx) =>
        tx.execute(sql`update terms_versions set terms = '{}'::jsonb where id = ${draft.id}`),
      ),
    ).rejects.toThrow();
  });

  it("diff names the material fields that changed between versions", async () => {
    const s = await setup();
    const { terms } = sampleTermsFor("DE");
    const v1 = await submitted(s, terms);
    const v2 = await createTermsDraft(rt, s.creator, {
      tierId: s.tier.id,
      terms: { ...terms, price: { ...terms.price, amountMinor: 1200 } },
    });
    const diff = await diffTermsVersions(rt, s.reviewer, { fromId: v1.id, toId: v2.id });
    expect(diff.material).toEqual(["price"]);
    expect(diff.disclosure.some((c) => c.kind === "added" && c.value.includes("€12.00"))).toBe(true);
    expect(diff.disclosure.some((c) => c.kind === "removed" && c.value.includes("€9.00"))).toBe(true);
  });
});

describe("review decisions", () => {
  it("a reviewer who staffs the creator cannot approve its terms; an independent reviewer can", async () => {
    const s = await setup();
    const conflicted = await createUser(rt);
    await assignRole(rt, { userId: conflicted.id, coopId: s.p.coop.id, role: "compliance_reviewer" });
    await assignRole(rt, {
      userId: conflicted.id,
      coopId: s.p.coop.id,
      role: "creator_staff",
      creatorId: s.p.creator.id,
    });
    const v = await submitted(s, sampleTermsFor("DE").terms);
    const asConflicted = { userId: conflicted.id, coopId: s.p.coop.id, role: "compliance_reviewer" };
    await expect(
      decideTermsVersion(rt, asConflicted, { termsVersionId: v.id, decision: "approve" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect((await decideTermsVersion(rt, s.reviewer, { termsVersionId: v.id, decision: "approve" })).status).toBe(
      "approved",
    );
    expect((await canPublishTier(rt, s.creator, s.tier.id, renderOrderPage)).ok).toBe(true);
    expect((await publishTier(rt, s.creator, s.tier.id, renderOrderPage)).status).toBe("live");
  });

  it("with two required approvals, the second distinct reviewer approves; a rejection needs a reason", async () => {
    const s = await setup();
    await setRequiredApprovals(rt, { userId: s.p.admin.id, coopId: s.p.coop.id, role: "coop_admin" }, 2);
    const second = await createUser(rt);
    await assignRole(rt, { userId: second.id, coopId: s.p.coop.id, role: "compliance_reviewer" });
    const v = await submitted(s, sampleTermsFor("DE").terms);
    expect((await decideTermsVersion(rt, s.reviewer, { termsVersionId: v.id, decision: "approve" })).status).toBe(
      "in_review",
    );
    await expect(
      decideTermsVersion(rt, s.reviewer, { termsVersionId: v.id, decision: "approve" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await canPublishTier(rt, s.creator, s.tier.id, renderOrderPage)).ok).toBe(false);
    const other = { userId: second.id, coopId: s.p.coop.id, role: "compliance_reviewer" };
    await expect(
      decideTermsVersion(rt, other, { termsVersionId: v.id, decision: "reject", comment: "" }),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    expect((await decideTermsVersion(rt, other, { termsVersionId: v.id, decision: "approve" })).status).toBe(
      "approved",
    );
  });

  it("a reviewer of another co-op gets NOT_FOUND for the version", async () => {
    const s = await setup();
    const b = await createCoopWithPeople(rt);
    const v = await submitted(s, sampleTermsFor("DE").terms);
    const foreign = { userId: b.reviewer.id, coopId: b.coop.id, role: "compliance_reviewer" };
    await expect(getTermsVersion(rt, foreign, v.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(decideTermsVersion(rt, foreign, { termsVersionId: v.id, decision: "approve" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("publication gate, waivers and re-review", () => {
  it("X-D4: a DE tier with a 24-month term renewing for the same term cannot be published; the creator sees rule, citation and German text", async () => {
    const s = await setup("DE");
    const base = sampleTermsFor("DE").terms;
    const v = await submitted(s, {
      ...base,
      minimumTermMonths: 24,
      renewal: { ...base.renewal, afterMinimumTerm: "same-term", noticeDays: 90 },
    });
    await decideTermsVersion(rt, s.reviewer, {
      termsVersionId: v.id,
      decision: "approve",
      comment: "Approved to test the gate",
    });
    const check = await canPublishTier(rt, s.creator, s.tier.id, renderOrderPage);
    expect(check.ok).toBe(false);
    const blocker = check.blockers.find((b) => b.ruleId === "X-D4")!;
    expect(blocker.citation).toContain("§ 309 Nr. 9");
    expect(blocker.message.de).toContain("§ 309 Nr. 9 BGB");
    expect(blocker.message.en.length).toBeGreaterThan(10);
    await expect(publishTier(rt, s.creator, s.tier.id, renderOrderPage)).rejects.toMatchObject({ code: "CONFLICT" });

    // A waiver lets it through until it expires; then the finding returns.
    const expiresAt = new Date(rt.clock.now().getTime() + 30 * 86_400_000);
    await createWaiver(rt, s.reviewer, {
      tierId: s.tier.id,
      jurisdiction: "DE",
      ruleId: "X-D4",
      reason: "Counsel confirmed the B2B-only exception",
      expiresAt,
    });
    expect((await canPublishTier(rt, s.creator, s.tier.id, renderOrderPage)).ok).toBe(true);
    rt.clock.advance(31 * 86_400_000);
    const after = await canPublishTier(rt, s.creator, s.tier.id, renderOrderPage);
    expect(after.ok).toBe(false);
    expect(after.blockers.map((b) => b.ruleId)).toContain("X-D4");
    const audit = await withSystem(rt, "t", (tx) =>
      tx.execute<{ action: string }>(sql`select action from audit_log where coop_id = ${s.p.coop.id} order by seq`),
    );
    expect(audit.map((r) => r.action)).toContain("compliance.waiver_created");
  });

  it("X-W7: when the UK DMCC rules come into force, a live UK tier returns to the review queue with the new failing finding", async () => {
    const clock = rt.clock;
    clock.set(new Date("2026-12-01T10:00:00Z"));
    const s = await setup("UK");
    const v = await submitted(s, sampleTermsFor("UK").terms);
    await decideTermsVersion(rt, s.reviewer, { termsVersionId: v.id, decision: "approve" });
    await publishTier(rt, s.creator, s.tier.id, renderOrderPage);
    expect((await rereviewLiveTiers(rt, renderOrderPage)).requeued).not.toContain(v.id);
    clock.set(new Date("2027-04-07T10:00:00Z"));
    expect((await rereviewLiveTiers(rt, renderOrderPage)).requeued).toContain(v.id);
    const seen = await getTermsVersion(rt, s.reviewer, v.id);
    expect(seen.version.status).toBe("in_review");
    expect(seen.version.reviewRound).toBe(2);
    expect(seen.findings.find((f) => f.ruleId === "X-W7")?.status).toBe("fail");
    expect((await canPublishTier(rt, s.creator, s.tier.id, renderOrderPage)).ok).toBe(false);
    expect((await verifyChain(rt, s.p.coop.id)).ok).toBe(true);
  });

  it("re-review sends a live version whose stored terms cannot be read back to review, and judges the rest", async () => {
    const p = await createCoopWithPeople(rt);
    const tier = await createSubscriptionTier(rt, { coopId: p.coop.id, creatorId: p.creator.id, status: "live" });
    const [broken] = await withSystem(rt, "test", (tx) =>
      tx.execute<{
        id: string;
      }>(sql`insert into terms_versions (coop_id, creator_id, tier_id, version, status, terms, content_hash)
        values (${p.coop.id}, ${p.creator.id}, ${tier.id}, 1, 'approved', '{"price": "nine"}'::jsonb, ${"b".repeat(64)}) returning id`),
    );
    const result = await rereviewLiveTiers(rt, renderOrderPage);
    expect(result.unreadable).toContain(broken!.id);
    expect(result.requeued).toContain(broken!.id);
    const [row] = await withSystem(rt, "test", (tx) =>
      tx.execute<{ status: string; rereview_reason: string }>(
        sql`select status, rereview_reason from terms_versions where id = ${broken!.id}`,
      ),
    );
    expect(row).toMatchObject({ status: "in_review" });
    expect(row!.rereview_reason).toMatch(/cannot be read/);
    expect((await verifyChain(rt, p.coop.id)).ok).toBe(true);
  });
});
