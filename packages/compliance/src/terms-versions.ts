import { createHash } from "node:crypto";
import { diffLines } from "diff";
import { and, asc, desc, eq, inArray, max } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import { requireActor, requireCreatorOwner, requireCreatorTeam, type OrderPageRenderer } from "./context";
import { buildDisclosure } from "./disclosure";
import { evaluateVersion, latestEvaluation, tierJurisdictions, withWaivers } from "./evaluate-version";
import { JurisdictionSchema } from "./rule-packs";
import { canonicalTermsJson, MATERIAL_FIELDS, TermsSchema, type Terms, type TermsInput } from "./terms";

const notFound = () => new AppError("NOT_FOUND", "Not found");
const parse = <S extends z.ZodType>(s: S, input: unknown): z.output<S> => {
  const r = s.safeParse(input);
  if (!r.success)
    throw new AppError("BAD_INPUT", r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return r.data;
};

export const contentHash = (terms: Terms) => createHash("sha256").update(canonicalTermsJson(terms)).digest("hex");

export const CreateTierSchema = z.object({
  name: z.string().trim().min(2).max(100),
  jurisdictions: z.array(JurisdictionSchema).min(1),
});

/** A creator team creates a (draft) tier. Billing (issue 5) adds prices and entitlement. */
export async function createTier(rt: Runtime, actor: TenantContext, input: z.input<typeof CreateTierSchema>) {
  const a = requireCreatorTeam(actor);
  const data = parse(CreateTierSchema, input);
  return withTenant(rt, a, async (tx) => {
    const [tier] = await tx
      .insert(schema.subscriptionTiers)
      .values({
        coopId: a.coopId,
        creatorId: a.creatorId,
        name: data.name,
        jurisdictions: [...new Set(data.jurisdictions)],
      })
      .returning();
    return tier!;
  });
}

/** A new draft version of a tier's terms (version = last + 1). Submitted versions never change. */
export async function createTermsDraft(
  rt: Runtime,
  actor: TenantContext,
  input: { tierId: string; terms: TermsInput },
) {
  const a = requireCreatorTeam(actor);
  const terms = parse(TermsSchema, input.terms);
  return withTenant(rt, a, async (tx) => {
    const [tier] = await tx
      .select()
      .from(schema.subscriptionTiers)
      .where(eq(schema.subscriptionTiers.id, input.tierId));
    if (!tier) throw notFound();
    const [last] = await tx
      .select({ v: max(schema.termsVersions.version) })
      .from(schema.termsVersions)
      .where(eq(schema.termsVersions.tierId, tier.id));
    const [row] = await tx
      .insert(schema.termsVersions)
      .values({
        coopId: tier.coopId,
        creatorId: tier.creatorId,
        tierId: tier.id,
        version: (last?.v ?? 0) + 1,
        terms,
        contentHash: contentHash(terms),
        createdBy: a.userId,
      })
      .returning();
    return row!;
  });
}

/** Changes a draft; a submitted version is CONFLICT (make a new version instead). */
export async function updateTermsDraft(
  rt: Runtime,
  actor: TenantContext,
  input: { termsVersionId: string; terms: TermsInput },
) {
  const a = requireCreatorTeam(actor);
  const terms = parse(TermsSchema, input.terms);
  return withTenant(rt, a, async (tx) => {
    const [v] = await tx.select().from(schema.termsVersions).where(eq(schema.termsVersions.id, input.termsVersionId));
    if (!v) throw notFound();
    if (v.status !== "draft")
      throw new AppError("CONFLICT", "This terms version was submitted and cannot change: create a new version");
    const [row] = await tx
      .update(schema.termsVersions)
      .set({ terms, contentHash: contentHash(terms), updatedAt: rt.clock.now() })
      .where(eq(schema.termsVersions.id, v.id))
      .returning();
    return row!;
  });
}

/** Draft → in review (owner only): the engine runs on the real order page for every jurisdiction the tier sells to. */
export async function submitTermsVersion(
  rt: Runtime,
  actor: TenantContext,
  input: { termsVersionId: string },
  render: OrderPageRenderer,
) {
  const a = requireCreatorOwner(actor);
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const [v] = await tx.select().from(schema.termsVersions).where(eq(schema.termsVersions.id, input.termsVersionId));
    if (!v) throw notFound();
    if (v.status !== "draft") throw new AppError("CONFLICT", "Only a draft can be submitted");
    const [tier] = await tx.select().from(schema.subscriptionTiers).where(eq(schema.subscriptionTiers.id, v.tierId));
    const evaluation = await evaluateVersion(tx, v, tierJurisdictions(tier!.jurisdictions), render, now);
    const [row] = await tx
      .update(schema.termsVersions)
      .set({ status: "in_review", submittedAt: now, updatedAt: now })
      .where(eq(schema.termsVersions.id, v.id))
      .returning();
    await appendAudit(tx, now, {
      coopId: v.coopId,
      action: "compliance.terms_submitted",
      actorUserId: a.userId,
      subjectType: "terms_version",
      subjectId: v.id,
      data: {
        tierId: v.tierId,
        version: v.version,
        contentHash: v.contentHash,
        failing: evaluation.failing,
        fingerprint: evaluation.fingerprint,
      },
    });
    return { version: row!, evaluation };
  });
}

/** One version with its tier, latest findings (waivers marked) and review decisions. Foreign: NOT_FOUND. */
export async function getTermsVersion(rt: Runtime, actor: TenantContext, termsVersionId: string) {
  const a = requireActor(actor);
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const [v] = await tx.select().from(schema.termsVersions).where(eq(schema.termsVersions.id, termsVersionId));
    if (!v) throw notFound();
    const [tier] = await tx.select().from(schema.subscriptionTiers).where(eq(schema.subscriptionTiers.id, v.tierId));
    const evaluation = await latestEvaluation(tx, v.id);
    const findings = evaluation ? await withWaivers(tx, v.tierId, evaluation.findings as never, now) : [];
    const reviews = await tx
      .select()
      .from(schema.termsReviews)
      .where(eq(schema.termsReviews.termsVersionId, v.id))
      .orderBy(asc(schema.termsReviews.createdAt));
    const versions = await tx
      .select({
        id: schema.termsVersions.id,
        version: schema.termsVersions.version,
        status: schema.termsVersions.status,
      })
      .from(schema.termsVersions)
      .where(eq(schema.termsVersions.tierId, v.tierId))
      .orderBy(desc(schema.termsVersions.version));
    return { version: v, tier: tier!, evaluation, findings, reviews, versions };
  });
}

/** The reviewer's queue: versions in review, oldest first, with their failing count. */
export async function listReviewQueue(rt: Runtime, actor: TenantContext) {
  const a = requireActor(actor);
  return withTenant(rt, a, async (tx) => {
    const rows = await tx
      .select({
        id: schema.termsVersions.id,
        version: schema.termsVersions.version,
        status: schema.termsVersions.status,
        submittedAt: schema.termsVersions.submittedAt,
        rereviewReason: schema.termsVersions.rereviewReason,
        reviewRound: schema.termsVersions.reviewRound,
        tierId: schema.subscriptionTiers.id,
        tierName: schema.subscriptionTiers.name,
        jurisdictions: schema.subscriptionTiers.jurisdictions,
        creatorName: schema.creators.displayName,
      })
      .from(schema.termsVersions)
      .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.termsVersions.tierId))
      .innerJoin(schema.creators, eq(schema.creators.id, schema.termsVersions.creatorId))
      .where(and(eq(schema.termsVersions.coopId, a.coopId), inArray(schema.termsVersions.status, ["in_review"])))
      .orderBy(asc(schema.termsVersions.submittedAt));
    const out = [];
    for (const r of rows) {
      const ev = await latestEvaluation(tx, r.id);
      out.push({ ...r, failing: ev?.failing ?? null });
    }
    return out;
  });
}

const pretty = (terms: Terms) => JSON.stringify(JSON.parse(canonicalTermsJson(terms)), null, 2);

/** Line diff of two versions of one tier: the structured terms and the English disclosure text. */
export async function diffTermsVersions(rt: Runtime, actor: TenantContext, input: { fromId: string; toId: string }) {
  const a = requireActor(actor);
  return withTenant(rt, a, async (tx) => {
    const rows = await tx
      .select()
      .from(schema.termsVersions)
      .where(inArray(schema.termsVersions.id, [input.fromId, input.toId]));
    const from = rows.find((r) => r.id === input.fromId);
    const to = rows.find((r) => r.id === input.toId);
    if (!from || !to || from.tierId !== to.tierId) throw notFound();
    const [ft, tt] = [TermsSchema.parse(from.terms), TermsSchema.parse(to.terms)];
    const asOf = to.submittedAt ?? rt.clock.now();
    const text = (t: Terms) => buildDisclosure(t, { locale: "en", asOf }).text;
    const changes = (x: string, y: string) =>
      diffLines(x, y).map(
        (p) => ({ kind: p.added ? "added" : p.removed ? "removed" : "same", value: p.value }) as const,
      );
    return {
      from: { id: from.id, version: from.version, contentHash: from.contentHash },
      to: { id: to.id, version: to.version, contentHash: to.contentHash },
      material: MATERIAL_FIELDS.filter((f) => JSON.stringify(ft[f]) !== JSON.stringify(tt[f])),
      terms: changes(pretty(ft), pretty(tt)),
      disclosure: changes(text(ft), text(tt)),
    };
  });
}
