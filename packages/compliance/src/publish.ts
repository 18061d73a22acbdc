import { and, desc, eq, inArray } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { localeOf, requireActor, requireCreatorOwner, pagesFor, type OrderPageRenderer } from "./context";
import { styleInputFor } from "./conspicuous";
import { evaluateTerms, type Finding } from "./engine";
import { tierJurisdictions, withWaivers } from "./evaluate-version";
import { TermsSchema } from "./terms";

export interface PublishBlocker {
  code: "NO_APPROVED_TERMS" | "RULE_FAILS";
  ruleId?: string;
  jurisdiction?: string;
  citation?: string;
  message: { en: string; de: string };
  fix?: { en: string; de: string };
  detail?: string;
}

export interface PublishCheck {
  ok: boolean;
  termsVersionId: string | null;
  blockers: PublishBlocker[];
}

/**
 * The publication gate billing uses: the tier has an approved terms version (with the co-op's
 * required number of reviewer approvals on record), and the engine, run NOW on the real order page
 * for every jurisdiction the tier sells to, finds no failing rule that an unexpired waiver does not cover.
 */
export async function checkTierPublishable(
  tx: Tx,
  tierId: string,
  render: OrderPageRenderer,
  at: Date,
): Promise<PublishCheck> {
  const [tier] = await tx.select().from(schema.subscriptionTiers).where(eq(schema.subscriptionTiers.id, tierId));
  if (!tier) throw new AppError("NOT_FOUND", "Not found");
  const [version] = await tx
    .select()
    .from(schema.termsVersions)
    .where(and(eq(schema.termsVersions.tierId, tierId), inArray(schema.termsVersions.status, ["approved"])))
    .orderBy(desc(schema.termsVersions.version))
    .limit(1);
  const [settings] = await tx
    .select()
    .from(schema.complianceSettings)
    .where(eq(schema.complianceSettings.coopId, tier.coopId));
  const approvals = version
    ? await tx
        .select({ reviewerId: schema.termsReviews.reviewerId })
        .from(schema.termsReviews)
        .where(
          and(
            eq(schema.termsReviews.termsVersionId, version.id),
            eq(schema.termsReviews.round, version.reviewRound),
            eq(schema.termsReviews.decision, "approve"),
          ),
        )
    : [];
  if (!version || new Set(approvals.map((r) => r.reviewerId)).size < (settings?.requiredApprovals ?? 1)) {
    return {
      ok: false,
      termsVersionId: null,
      blockers: [
        {
          code: "NO_APPROVED_TERMS",
          message: {
            en: "No terms version of this tier is approved by a compliance reviewer.",
            de: "Keine Version der Bedingungen dieses Tarifs ist von der Compliance-Prüfung freigegeben.",
          },
        },
      ],
    };
  }
  const terms = TermsSchema.parse(version.terms);
  const findings: Finding[] = [];
  for (const jurisdiction of tierJurisdictions(tier.jurisdictions)) {
    const locale = localeOf(jurisdiction);
    const order = render(terms, locale, at);
    findings.push(
      ...evaluateTerms({
        terms,
        jurisdictions: [jurisdiction],
        locale,
        at,
        pages: pagesFor(render, locale, order),
        ...styleInputFor(render, order),
      }).findings,
    );
  }
  const blockers: PublishBlocker[] = (await withWaivers(tx, tierId, findings, at))
    .filter((f) => f.status === "fail" && !f.waiver)
    .map((f) => ({
      code: "RULE_FAILS" as const,
      ruleId: f.ruleId,
      jurisdiction: f.jurisdiction,
      citation: f.citation,
      message: f.message,
      fix: f.fix,
      detail: f.detail,
    }));
  return { ok: blockers.length === 0, termsVersionId: version.id, blockers };
}

/** `canPublishTier(tier)`: for the creator (or co-op) who sees the tier; a foreign tier is NOT_FOUND. */
export async function canPublishTier(rt: Runtime, actor: TenantContext, tierId: string, render: OrderPageRenderer) {
  const a = requireActor(actor);
  return withTenant(rt, a, (tx) => checkTierPublishable(tx, tierId, render, rt.clock.now()));
}

/** Publishes a tier (owner only) if the gate allows; otherwise CONFLICT carrying the blockers. */
export async function publishTier(rt: Runtime, actor: TenantContext, tierId: string, render: OrderPageRenderer) {
  const a = requireCreatorOwner(actor);
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const check = await checkTierPublishable(tx, tierId, render, now);
    if (!check.ok) {
      throw new AppError(
        "CONFLICT",
        check.blockers.map((b) => (b.ruleId ? `${b.jurisdiction} ${b.ruleId}: ` : "") + b.message.en).join("\n"),
      );
    }
    const [tier] = await tx
      .update(schema.subscriptionTiers)
      .set({ status: "live", publishedAt: now, updatedAt: now })
      .where(eq(schema.subscriptionTiers.id, tierId))
      .returning();
    await appendAudit(tx, now, {
      coopId: tier!.coopId,
      action: "compliance.tier_published",
      actorUserId: a.userId,
      subjectType: "subscription_tier",
      subjectId: tierId,
      data: { termsVersionId: check.termsVersionId },
    });
    return tier!;
  });
}
