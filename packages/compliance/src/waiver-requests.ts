import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { requireActor, requireCreatorTeam, requireReviewer, type OrderPageRenderer } from "./context";
import type { Finding } from "./engine";
import { latestEvaluation, tierJurisdictions } from "./evaluate-version";
import { insertWaiver, WaiverSchema } from "./reviews";
import { JurisdictionSchema } from "./rule-packs";
import { evaluateForJurisdictions } from "./studio";
import { TermsSchema } from "./terms";

/**
 * A creator who believes a finding is a false positive asks for a waiver; a compliance reviewer
 * decides in the waiver flow they already use: granting creates the waiver (reason and expiry set
 * by the reviewer), declining keeps the finding and tells the creator why. Requests and decisions
 * are audited; a reviewer who owns or staffs the creator cannot decide (as for terms approvals).
 */
const notFound = () => new AppError("NOT_FOUND", "Not found");

export const WaiverRequestSchema = z.object({
  tierId: z.uuid(),
  jurisdiction: JurisdictionSchema,
  ruleId: z.string().min(3).max(60),
  reason: z.string().trim().min(10, "Say why you believe the finding is wrong (at least 10 characters)").max(2000),
});

export const WaiverRequestDecisionSchema = z
  .object({
    requestId: z.uuid(),
    decision: z.enum(["grant", "decline"]),
    comment: z.string().trim().max(2000).default(""),
    expiresAt: z.coerce.date().optional(),
  })
  .refine((d) => d.decision === "decline" || d.expiresAt !== undefined, {
    message: "A granted waiver needs an expiry date",
    path: ["expiresAt"],
  })
  .refine((d) => d.decision === "grant" || d.comment.length >= 5, {
    message: "Say why the request is declined",
    path: ["comment"],
  });

const parse = <S extends z.ZodType>(s: S, input: unknown): z.output<S> => {
  const r = s.safeParse(input);
  if (!r.success)
    throw new AppError("BAD_INPUT", r.error.issues.map((i) => i.message).join("; "), {
      fields: Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), [i.message]])),
    });
  return r.data;
};

/** The failing findings of a tier's latest version: a draft judged now, a submitted one from its stored run. */
async function currentFailing(tx: Tx, tierId: string, render: OrderPageRenderer, at: Date) {
  const [tier] = await tx.select().from(schema.subscriptionTiers).where(eq(schema.subscriptionTiers.id, tierId));
  if (!tier) throw notFound();
  const [version] = await tx
    .select()
    .from(schema.termsVersions)
    .where(eq(schema.termsVersions.tierId, tierId))
    .orderBy(desc(schema.termsVersions.version))
    .limit(1);
  if (!version) throw new AppError("CONFLICT", "This tier has no terms yet");
  const findings =
    version.status === "draft"
      ? evaluateForJurisdictions(TermsSchema.parse(version.terms), tierJurisdictions(tier.jurisdictions), render, at)
      : (((await latestEvaluation(tx, version.id))?.findings ?? []) as Finding[]);
  return { tier, version, failing: findings.filter((f) => f.status === "fail") };
}

/** A creator team member asks for a waiver of one failing finding of the tier's latest terms. Audited. */
export async function requestWaiver(
  rt: Runtime,
  actor: TenantContext,
  input: z.input<typeof WaiverRequestSchema>,
  render: OrderPageRenderer,
) {
  const a = requireCreatorTeam(actor);
  const r = parse(WaiverRequestSchema, input);
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const { tier, version, failing } = await currentFailing(tx, r.tierId, render, now);
    if (tier.creatorId !== a.creatorId) throw notFound();
    if (!failing.some((f) => f.ruleId === r.ruleId && f.jurisdiction === r.jurisdiction))
      throw new AppError("CONFLICT", `${r.jurisdiction} ${r.ruleId} does not fail for this tier's current terms`);
    const [open] = await tx
      .select({ id: schema.complianceWaiverRequests.id })
      .from(schema.complianceWaiverRequests)
      .where(
        and(
          eq(schema.complianceWaiverRequests.tierId, tier.id),
          eq(schema.complianceWaiverRequests.jurisdiction, r.jurisdiction),
          eq(schema.complianceWaiverRequests.ruleId, r.ruleId),
          eq(schema.complianceWaiverRequests.status, "open"),
        ),
      );
    if (open) throw new AppError("CONFLICT", "A waiver for this finding was already requested");
    const [row] = await tx
      .insert(schema.complianceWaiverRequests)
      .values({
        coopId: tier.coopId,
        creatorId: tier.creatorId,
        tierId: tier.id,
        termsVersionId: version.id,
        jurisdiction: r.jurisdiction,
        ruleId: r.ruleId,
        reason: r.reason,
        requestedBy: a.userId,
      })
      .returning();
    await appendAudit(tx, now, {
      coopId: tier.coopId,
      action: "compliance.waiver_requested",
      actorUserId: a.userId,
      subjectType: "compliance_waiver_request",
      subjectId: row!.id,
      data: {
        tierId: tier.id,
        termsVersionId: version.id,
        jurisdiction: r.jurisdiction,
        ruleId: r.ruleId,
        reason: r.reason,
      },
    });
    return row!;
  });
}

/** A tier's waiver requests, newest first (creator team and the co-op's reviewers). */
export async function listWaiverRequests(rt: Runtime, actor: TenantContext, input: { tierId: string }) {
  const a = requireActor(actor);
  return withTenant(rt, a, (tx) =>
    tx
      .select()
      .from(schema.complianceWaiverRequests)
      .where(eq(schema.complianceWaiverRequests.tierId, input.tierId))
      .orderBy(desc(schema.complianceWaiverRequests.createdAt)),
  );
}

/** The co-op's open waiver requests, oldest first, for the reviewers' home (each links to its terms version). */
export async function listOpenWaiverRequests(rt: Runtime, actor: TenantContext) {
  const a = requireReviewer(actor);
  return withTenant(rt, a, (tx) =>
    tx
      .select({
        id: schema.complianceWaiverRequests.id,
        termsVersionId: schema.complianceWaiverRequests.termsVersionId,
        jurisdiction: schema.complianceWaiverRequests.jurisdiction,
        ruleId: schema.complianceWaiverRequests.ruleId,
        createdAt: schema.complianceWaiverRequests.createdAt,
        tierName: schema.subscriptionTiers.name,
        creatorName: schema.creators.displayName,
      })
      .from(schema.complianceWaiverRequests)
      .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.complianceWaiverRequests.tierId))
      .innerJoin(schema.creators, eq(schema.creators.id, schema.complianceWaiverRequests.creatorId))
      .where(
        and(eq(schema.complianceWaiverRequests.coopId, a.coopId), eq(schema.complianceWaiverRequests.status, "open")),
      )
      .orderBy(asc(schema.complianceWaiverRequests.createdAt)),
  );
}

/**
 * A reviewer grants (creating the waiver, with their own expiry and the creator's reason plus their
 * comment) or declines an open request. Audited; the reviewer must not own or staff the creator.
 */
export async function decideWaiverRequest(
  rt: Runtime,
  actor: TenantContext,
  input: z.input<typeof WaiverRequestDecisionSchema>,
) {
  const a = requireReviewer(actor);
  const d = parse(WaiverRequestDecisionSchema, input);
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const [req] = await tx
      .select()
      .from(schema.complianceWaiverRequests)
      .where(eq(schema.complianceWaiverRequests.id, d.requestId));
    if (!req) throw notFound();
    if (req.status !== "open") throw new AppError("CONFLICT", "This request was already decided");
    const ties = await tx
      .select({ id: schema.roleAssignments.id })
      .from(schema.roleAssignments)
      .where(
        and(
          eq(schema.roleAssignments.userId, a.userId),
          eq(schema.roleAssignments.creatorId, req.creatorId),
          inArray(schema.roleAssignments.role, ["creator_owner", "creator_staff"]),
        ),
      );
    if (ties.length || req.requestedBy === a.userId)
      throw new AppError("FORBIDDEN", "You work for this creator, so another reviewer must decide on this request");
    let waiverId: string | null = null;
    if (d.decision === "grant") {
      const expiresAt = d.expiresAt!;
      if (expiresAt <= now || expiresAt.getTime() - now.getTime() > 366 * 86_400_000)
        throw new AppError("BAD_INPUT", "A waiver expires in the future, within a year", {
          fields: { expiresAt: ["Within a year"] },
        });
      const waiver = await insertWaiver(
        tx,
        a,
        WaiverSchema.parse({
          tierId: req.tierId,
          jurisdiction: req.jurisdiction,
          ruleId: req.ruleId,
          reason: d.comment ? `${req.reason} — ${d.comment}` : req.reason,
          expiresAt,
        }),
        now,
        { requestId: req.id },
      );
      waiverId = waiver.id;
    }
    const status = d.decision === "grant" ? "granted" : "declined";
    const [row] = await tx
      .update(schema.complianceWaiverRequests)
      .set({ status, decidedBy: a.userId, decidedAt: now, decisionComment: d.comment || null, waiverId })
      .where(eq(schema.complianceWaiverRequests.id, req.id))
      .returning();
    await appendAudit(tx, now, {
      coopId: req.coopId,
      action: `compliance.waiver_request_${status}`,
      actorUserId: a.userId,
      subjectType: "compliance_waiver_request",
      subjectId: req.id,
      data: { tierId: req.tierId, jurisdiction: req.jurisdiction, ruleId: req.ruleId, waiverId, comment: d.comment },
    });
    return row!;
  });
}
