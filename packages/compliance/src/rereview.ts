import { and, eq, inArray } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { schema, withSystem, type Runtime } from "@kiln/db";
import type { OrderPageRenderer } from "./context";
import { evaluateVersion, latestEvaluation, tierJurisdictions } from "./evaluate-version";
import { ruleFingerprint } from "./rule-packs";
import { TermsSchema } from "./terms";

/**
 * Re-review (system job, daily): when the rules in force for a live tier's jurisdictions differ from
 * those its approved terms were last judged by (a pack version changed, or a rule's effective date
 * arrived), the engine runs again and the version returns to the review queue with the new findings.
 */
export async function rereviewLiveTiers(
  rt: Runtime,
  render: OrderPageRenderer,
): Promise<{ requeued: string[]; unreadable: string[] }> {
  const now = rt.clock.now();
  return withSystem(rt, "compliance-rereview", async (tx) => {
    const rows = await tx
      .select({ version: schema.termsVersions, tier: schema.subscriptionTiers })
      .from(schema.termsVersions)
      .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.termsVersions.tierId))
      .where(and(eq(schema.subscriptionTiers.status, "live"), inArray(schema.termsVersions.status, ["approved"])));
    const requeued: string[] = [];
    const unreadable: string[] = [];
    for (const { version, tier } of rows) {
      const jurisdictions = tierJurisdictions(tier.jurisdictions);
      const previous = await latestEvaluation(tx, version.id);
      if (previous && previous.fingerprint === ruleFingerprint(jurisdictions, now)) continue;
      // Stored terms that no longer read as terms cannot be judged: they go back to the reviewer with
      // that reason instead of stopping the job for every other tier.
      const readable = TermsSchema.safeParse(version.terms);
      const evaluation = readable.success ? await evaluateVersion(tx, version, jurisdictions, render, now) : null;
      if (!readable.success) unreadable.push(version.id);
      const reason = readable.success
        ? "The rules in force changed (pack version or effective date) since this version was approved"
        : `The stored terms cannot be read (${readable.error.issues.length} problem(s)); they must be submitted again`;
      await tx
        .update(schema.termsVersions)
        .set({
          status: "in_review",
          reviewRound: version.reviewRound + 1,
          submittedAt: now,
          rereviewReason: reason,
          updatedAt: now,
        })
        .where(eq(schema.termsVersions.id, version.id));
      await appendAudit(tx, now, {
        coopId: version.coopId,
        action: "compliance.terms_rereview",
        subjectType: "terms_version",
        subjectId: version.id,
        data: {
          tierId: tier.id,
          previousFingerprint: previous?.fingerprint ?? null,
          fingerprint: evaluation?.fingerprint ?? null,
          failing: evaluation?.failing ?? null,
        },
      });
      requeued.push(version.id);
    }
    return { requeued, unreadable };
  });
}
