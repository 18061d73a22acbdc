import { and, eq, inArray, isNull, ne } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { requireActor, requireReviewer } from "./context";
import { JurisdictionSchema } from "./rule-packs";

const notFound = () => new AppError("NOT_FOUND", "Not found");

export const DecisionSchema = z
  .object({
    termsVersionId: z.uuid(),
    decision: z.enum(["approve", "reject"]),
    comment: z.string().trim().max(4000).default(""),
  })
  .refine((d) => d.decision === "approve" || d.comment.length >= 5, {
    message: "Say why the terms are rejected",
    path: ["comment"],
  });

async function requiredApprovals(tx: Tx, coopId: string): Promise<number> {
  const [row] = await tx.select().from(schema.complianceSettings).where(eq(schema.complianceSettings.coopId, coopId));
  return row?.requiredApprovals ?? 1;
}

/**
 * A reviewer approves or rejects a version in review. Separation of duties: a reviewer who owns or
 * staffs the version's creator cannot decide on it (FORBIDDEN, the row is visible to them). With two
 * required approvals, the version is approved by the second distinct reviewer. Audited.
 */
export async function decideTermsVersion(rt: Runtime, actor: TenantContext, input: z.input<typeof DecisionSchema>) {
  const a = requireReviewer(actor);
  const parsed = DecisionSchema.safeParse(input);
  if (!parsed.success)
    throw new AppError("BAD_INPUT", parsed.error.issues.map((i) => i.message).join("; "), {
      fields: { comment: parsed.error.issues.map((i) => i.message) },
    });
  const d = parsed.data;
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const [v] = await tx.select().from(schema.termsVersions).where(eq(schema.termsVersions.id, d.termsVersionId));
    if (!v) throw notFound();
    if (v.status !== "in_review") throw new AppError("CONFLICT", "This terms version is not waiting for review");
    const ties = await tx
      .select({ id: schema.roleAssignments.id })
      .from(schema.roleAssignments)
      .where(
        and(
          eq(schema.roleAssignments.userId, a.userId),
          eq(schema.roleAssignments.creatorId, v.creatorId),
          inArray(schema.roleAssignments.role, ["creator_owner", "creator_staff"]),
        ),
      );
    if (ties.length || v.createdBy === a.userId)
      throw new AppError("FORBIDDEN", "You work for this creator, so another reviewer must decide on its terms");
    const [existing] = await tx
      .select()
      .from(schema.termsReviews)
      .where(
        and(
          eq(schema.termsReviews.termsVersionId, v.id),
          eq(schema.termsReviews.round, v.reviewRound),
          eq(schema.termsReviews.reviewerId, a.userId),
        ),
      );
    if (existing)
      throw new AppError(
        "CONFLICT",
        "You already decided on this version; another reviewer must give the second approval",
      );
    await tx.insert(schema.termsReviews).values({
      coopId: v.coopId,
      creatorId: v.creatorId,
      termsVersionId: v.id,
      round: v.reviewRound,
      reviewerId: a.userId,
      decision: d.decision,
      comment: d.comment,
    });
    let status: schema.TermsStatus = v.status;
    if (d.decision === "reject") status = "rejected";
    else {
      const approvals = await tx
        .select({ id: schema.termsReviews.id })
        .from(schema.termsReviews)
        .where(
          and(
            eq(schema.termsReviews.termsVersionId, v.id),
            eq(schema.termsReviews.round, v.reviewRound),
            eq(schema.termsReviews.decision, "approve"),
          ),
        );
      if (approvals.length >= (await requiredApprovals(tx, v.coopId))) status = "approved";
    }
    if (status !== v.status) {
      await tx
        .update(schema.termsVersions)
        .set({ status, decidedAt: now, updatedAt: now, rereviewReason: null })
        .where(eq(schema.termsVersions.id, v.id));
      if (status === "approved") {
        // The tier now sells under this version: earlier approved versions are superseded.
        await tx
          .update(schema.termsVersions)
          .set({ status: "superseded", updatedAt: now })
          .where(
            and(
              eq(schema.termsVersions.tierId, v.tierId),
              eq(schema.termsVersions.status, "approved"),
              ne(schema.termsVersions.id, v.id),
            ),
          );
      }
    }
    await appendAudit(tx, now, {
      coopId: v.coopId,
      action: `compliance.terms_${d.decision === "approve" ? "approval" : "rejection"}`,
      actorUserId: a.userId,
      subjectType: "terms_version",
      subjectId: v.id,
      data: { round: v.reviewRound, contentHash: v.contentHash, status },
      ...(d.comment ? { personalData: { comment: d.comment }, subjectUserId: a.userId } : {}),
    });
    return { status };
  });
}

export const WaiverSchema = z.object({
  tierId: z.uuid(),
  jurisdiction: JurisdictionSchema,
  ruleId: z.string().min(3).max(60),
  reason: z.string().trim().min(10, "Give the reason (at least 10 characters)").max(2000),
  expiresAt: z.coerce.date(),
});

/** A reviewer waives one finding for one tier and jurisdiction until expiry (at most a year). Audited. */
export async function createWaiver(rt: Runtime, actor: TenantContext, input: z.input<typeof WaiverSchema>) {
  const a = requireReviewer(actor);
  const parsed = WaiverSchema.safeParse(input);
  if (!parsed.success)
    throw new AppError("BAD_INPUT", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const w = parsed.data;
  const now = rt.clock.now();
  if (w.expiresAt <= now || w.expiresAt.getTime() - now.getTime() > 366 * 86_400_000)
    throw new AppError("BAD_INPUT", "A waiver expires in the future, within a year", {
      fields: { expiresAt: ["Within a year"] },
    });
  return withTenant(rt, a, (tx) => insertWaiver(tx, a, w, now));
}

/** Inserts and audits a waiver inside the caller's transaction (createWaiver, granting a creator's request). */
export async function insertWaiver(
  tx: Tx,
  a: { userId: string },
  w: z.output<typeof WaiverSchema>,
  now: Date,
  extra: Record<string, unknown> = {},
) {
  const [tier] = await tx.select().from(schema.subscriptionTiers).where(eq(schema.subscriptionTiers.id, w.tierId));
  if (!tier) throw notFound();
  const [row] = await tx
    .insert(schema.complianceWaivers)
    .values({ ...w, coopId: tier.coopId, creatorId: tier.creatorId, createdBy: a.userId })
    .returning();
  await appendAudit(tx, now, {
    coopId: tier.coopId,
    action: "compliance.waiver_created",
    actorUserId: a.userId,
    subjectType: "compliance_waiver",
    subjectId: row!.id,
    data: {
      tierId: tier.id,
      jurisdiction: w.jurisdiction,
      ruleId: w.ruleId,
      reason: w.reason,
      expiresAt: w.expiresAt.toISOString(),
      ...extra,
    },
  });
  return row!;
}

export async function revokeWaiver(rt: Runtime, actor: TenantContext, waiverId: string) {
  const a = requireReviewer(actor);
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const [row] = await tx
      .update(schema.complianceWaivers)
      .set({ revokedAt: now })
      .where(and(eq(schema.complianceWaivers.id, waiverId), isNull(schema.complianceWaivers.revokedAt)))
      .returning();
    if (!row) throw notFound();
    await appendAudit(tx, now, {
      coopId: row.coopId,
      action: "compliance.waiver_revoked",
      actorUserId: a.userId,
      subjectType: "compliance_waiver",
      subjectId: row.id,
      data: { ruleId: row.ruleId, jurisdiction: row.jurisdiction },
    });
    return row;
  });
}

export async function listWaivers(rt: Runtime, actor: TenantContext) {
  const a = requireActor(actor);
  return withTenant(rt, a, (tx) =>
    tx.select().from(schema.complianceWaivers).orderBy(schema.complianceWaivers.expiresAt),
  );
}

/** Co-op admins set whether terms need one or two reviewers' approval. */
export async function setRequiredApprovals(rt: Runtime, actor: TenantContext, requiredApprovals: 1 | 2) {
  const a = requireActor(actor);
  if (a.role !== "coop_admin") throw notFound();
  if (requiredApprovals !== 1 && requiredApprovals !== 2) throw new AppError("BAD_INPUT", "One or two approvals");
  return withTenant(rt, a, async (tx) => {
    await tx
      .insert(schema.complianceSettings)
      .values({ coopId: a.coopId, requiredApprovals })
      .onConflictDoUpdate({
        target: schema.complianceSettings.coopId,
        set: { requiredApprovals, updatedAt: rt.clock.now() },
      });
    await appendAudit(tx, rt.clock.now(), {
      coopId: a.coopId,
      action: "compliance.settings_changed",
      actorUserId: a.userId,
      data: { requiredApprovals },
    });
  });
}
