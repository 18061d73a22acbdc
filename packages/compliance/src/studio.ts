import { and, asc, desc, eq, max } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import { localeOf, requireCreatorTeam, pagesFor, type OrderPageRenderer } from "./context";
import { styleInputFor } from "./conspicuous";
import { evaluateTerms, type Finding } from "./engine";
import { latestEvaluation, tierJurisdictions, withWaivers } from "./evaluate-version";
import { checkTierPublishable } from "./publish";
import type { Jurisdiction } from "./rule-packs";
import { TermsSchema, type Terms, type TermsInput } from "./terms";
import { contentHash, createTermsDraft, updateTermsDraft } from "./terms-versions";

/**
 * The creator's side of the workflow (studio screens): the creator's tiers, one tier's workspace
 * (versions, the findings in the creator's view, the publication gate) and saving the draft.
 */

/** Runs the engine for each jurisdiction, on the real order page in that jurisdiction's language. */
export function evaluateForJurisdictions(
  terms: Terms,
  jurisdictions: readonly Jurisdiction[],
  render: OrderPageRenderer,
  at: Date,
): Finding[] {
  return jurisdictions.flatMap((jurisdiction) => {
    const locale = localeOf(jurisdiction);
    const order = render(terms, locale, at);
    return evaluateTerms({
      terms,
      jurisdictions: [jurisdiction],
      locale,
      at,
      pages: pagesFor(render, locale, order),
      ...styleInputFor(render, order),
    }).findings;
  });
}

/** The creator's tiers with their latest terms version (number and status), newest first. */
export async function listTiers(rt: Runtime, actor: TenantContext) {
  const a = requireCreatorTeam(actor);
  return withTenant(rt, a, async (tx) => {
    const tiers = await tx
      .select()
      .from(schema.subscriptionTiers)
      .where(and(eq(schema.subscriptionTiers.coopId, a.coopId), eq(schema.subscriptionTiers.creatorId, a.creatorId)))
      .orderBy(desc(schema.subscriptionTiers.createdAt));
    const out = [];
    for (const tier of tiers) {
      const [latest] = await tx
        .select({ version: schema.termsVersions.version, status: schema.termsVersions.status })
        .from(schema.termsVersions)
        .where(eq(schema.termsVersions.tierId, tier.id))
        .orderBy(desc(schema.termsVersions.version))
        .limit(1);
      out.push({ ...tier, latest: latest ?? null });
    }
    return out;
  });
}

/**
 * One tier as its creator sees it: every version, the current (latest) one with its terms, the
 * findings (a draft is checked now and nothing is stored; a submitted version shows its stored run,
 * waivers marked), the reviewers' decisions on it, and the publication gate judged now.
 */
export async function getTierWorkspace(rt: Runtime, actor: TenantContext, tierId: string, render: OrderPageRenderer) {
  const a = requireCreatorTeam(actor);
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const [tier] = await tx
      .select()
      .from(schema.subscriptionTiers)
      .where(and(eq(schema.subscriptionTiers.id, tierId), eq(schema.subscriptionTiers.creatorId, a.creatorId)));
    if (!tier) throw new AppError("NOT_FOUND", "Not found");
    const versions = await tx
      .select()
      .from(schema.termsVersions)
      .where(eq(schema.termsVersions.tierId, tier.id))
      .orderBy(desc(schema.termsVersions.version));
    const current = versions[0] ?? null;
    const jurisdictions = tierJurisdictions(tier.jurisdictions);
    const terms = current ? TermsSchema.parse(current.terms) : null;
    let findings: Awaited<ReturnType<typeof withWaivers>> = [];
    let findingsAt: Date | null = null;
    if (current && terms && current.status === "draft") {
      findings = await withWaivers(tx, tier.id, evaluateForJurisdictions(terms, jurisdictions, render, now), now);
      findingsAt = now;
    } else if (current) {
      const evaluation = await latestEvaluation(tx, current.id);
      if (evaluation) {
        findings = await withWaivers(tx, tier.id, evaluation.findings as Finding[], now);
        findingsAt = evaluation.evaluatedAt;
      }
    }
    const reviews = current
      ? await tx
          .select({
            decision: schema.termsReviews.decision,
            comment: schema.termsReviews.comment,
            round: schema.termsReviews.round,
            createdAt: schema.termsReviews.createdAt,
          })
          .from(schema.termsReviews)
          .where(eq(schema.termsReviews.termsVersionId, current.id))
          .orderBy(asc(schema.termsReviews.createdAt))
      : [];
    const publish = await checkTierPublishable(tx, tier.id, render, now);
    return {
      tier,
      jurisdictions,
      versions: versions.map((v) => ({ id: v.id, version: v.version, status: v.status, contentHash: v.contentHash })),
      current: current && terms ? { ...current, terms } : null,
      findings,
      findingsAt,
      reviews,
      publish,
      at: now,
    };
  });
}

/**
 * Saves the creator's terms: the tier's latest version when it is still a draft, otherwise a new
 * draft version (submitted versions never change). Equal terms leave the draft as it is.
 */
export async function saveTermsDraft(rt: Runtime, actor: TenantContext, input: { tierId: string; terms: TermsInput }) {
  const a = requireCreatorTeam(actor);
  const latest = await withTenant(rt, a, async (tx) => {
    const [tier] = await tx
      .select({ id: schema.subscriptionTiers.id })
      .from(schema.subscriptionTiers)
      .where(and(eq(schema.subscriptionTiers.id, input.tierId), eq(schema.subscriptionTiers.creatorId, a.creatorId)));
    if (!tier) throw new AppError("NOT_FOUND", "Not found");
    const [top] = await tx
      .select({ v: max(schema.termsVersions.version) })
      .from(schema.termsVersions)
      .where(eq(schema.termsVersions.tierId, tier.id));
    if (top?.v == null) return null;
    const [row] = await tx
      .select()
      .from(schema.termsVersions)
      .where(and(eq(schema.termsVersions.tierId, tier.id), eq(schema.termsVersions.version, top.v)));
    return row ?? null;
  });
  if (latest?.status === "draft") {
    const parsed = TermsSchema.safeParse(input.terms);
    if (parsed.success && contentHash(parsed.data) === latest.contentHash) return latest;
    return updateTermsDraft(rt, a, { termsVersionId: latest.id, terms: input.terms });
  }
  return createTermsDraft(rt, a, input);
}
