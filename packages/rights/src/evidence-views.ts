import { and, asc, desc, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import { z } from "zod";
import { requireCreatorTeam, requireReviewer } from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext } from "@kiln/db";

/**
 * What the issue-6 screens show (one call per screen): the reviewer's evidence search and a
 * subscription's record (notices timeline, consents, cancellations, withdrawals, refunds); the
 * creator's cancellations, withdrawals and refunds due; the member's notices and declarations.
 *
 * Reviewer views read in the system context with the co-op filter on every query (reviewers may not
 * read subscriptions or users through RLS, as in @kiln/compliance's consent search); the creator and
 * member views read in their own tenant context, so RLS decides what they see.
 */
const notFound = () => new AppError("NOT_FOUND", "Not found");

export const EvidenceSearchSchema = z.object({
  memberEmail: z.email().trim().toLowerCase().optional(),
  tierId: z.uuid().optional(),
});

/** The reviewer's evidence page: the co-op's tiers to pick from, and the member an email names. */
export async function findEvidenceSubjects(
  rt: Runtime,
  actor: TenantContext,
  input: z.input<typeof EvidenceSearchSchema> = {},
) {
  const a = requireReviewer(actor);
  const q = EvidenceSearchSchema.parse(input);
  return withSystem(rt, "evidence-search", async (tx) => {
    const tiers = await tx
      .select({
        id: schema.subscriptionTiers.id,
        name: schema.subscriptionTiers.name,
        status: schema.subscriptionTiers.status,
        creatorName: schema.creators.displayName,
      })
      .from(schema.subscriptionTiers)
      .innerJoin(schema.creators, eq(schema.creators.id, schema.subscriptionTiers.creatorId))
      .where(eq(schema.subscriptionTiers.coopId, a.coopId))
      .orderBy(asc(schema.creators.displayName), asc(schema.subscriptionTiers.name));
    const tier = q.tierId ? (tiers.find((t) => t.id === q.tierId) ?? null) : null;
    let member: { id: string; email: string } | null = null;
    let subscriptions: Array<{ id: string; tierName: string; status: string; createdAt: Date }> = [];
    if (q.memberEmail) {
      // Only a member with a consent in this co-op is found; anyone else looks like an unknown email.
      const [found] = await tx
        .selectDistinct({ id: schema.users.id, email: schema.users.email })
        .from(schema.users)
        .innerJoin(schema.consents, eq(schema.consents.memberUserId, schema.users.id))
        .where(and(eq(schema.users.email, q.memberEmail), eq(schema.consents.coopId, a.coopId)));
      member = found ?? null;
      if (member)
        subscriptions = await tx
          .select({
            id: schema.subscriptions.id,
            tierName: schema.subscriptionTiers.name,
            status: schema.subscriptions.status,
            createdAt: schema.subscriptions.createdAt,
          })
          .from(schema.subscriptions)
          .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.subscriptions.tierId))
          .where(and(eq(schema.subscriptions.coopId, a.coopId), eq(schema.subscriptions.memberUserId, member.id)))
          .orderBy(desc(schema.subscriptions.createdAt));
    }
    return {
      tiers,
      tier,
      member,
      subscriptions,
      searched: Boolean(q.memberEmail || q.tierId),
    };
  });
}

export type TimelineEvent =
  | { kind: "consent"; at: Date; id: string; detail: string }
  | { kind: "subscription"; at: Date; id: string; detail: string }
  | {
      kind: "notice";
      at: Date;
      id: string;
      noticeKind: string;
      status: string;
      dueAt: Date;
      sentAt: Date | null;
      template: string;
      language: string;
      channel: string;
    }
  | { kind: "cancellation"; at: Date; id: string; detail: string; endsAt: Date | null }
  | { kind: "withdrawal"; at: Date; id: string; detail: string; acknowledgedAt: Date | null }
  | { kind: "refund"; at: Date; id: string; status: string; amountMinor: number; currency: string; dueBy: Date };

/** A subscription's record for the reviewer: the subscription, its consent(s) and its timeline. */
export async function getSubscriptionRecord(rt: Runtime, actor: TenantContext, subscriptionId: string) {
  const a = requireReviewer(actor);
  if (!z.uuid().safeParse(subscriptionId).success) throw notFound();
  return withSystem(rt, "evidence-subscription", async (tx) => {
    const [row] = await tx
      .select({
        subscription: schema.subscriptions,
        tierName: schema.subscriptionTiers.name,
        memberEmail: schema.users.email,
      })
      .from(schema.subscriptions)
      .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.subscriptions.tierId))
      .innerJoin(schema.users, eq(schema.users.id, schema.subscriptions.memberUserId))
      .where(and(eq(schema.subscriptions.id, subscriptionId), eq(schema.subscriptions.coopId, a.coopId)));
    if (!row) throw notFound();
    const s = row.subscription;
    const consents = await tx
      .select()
      .from(schema.consents)
      .where(and(eq(schema.consents.coopId, a.coopId), eq(schema.consents.id, s.consentId)));
    const notices = await tx
      .select()
      .from(schema.notices)
      .where(and(eq(schema.notices.coopId, a.coopId), eq(schema.notices.subscriptionId, s.id)))
      .orderBy(asc(schema.notices.dueAt));
    const cancellations = await tx
      .select()
      .from(schema.cancellations)
      .where(and(eq(schema.cancellations.coopId, a.coopId), eq(schema.cancellations.subscriptionId, s.id)));
    const withdrawals = await tx
      .select()
      .from(schema.withdrawals)
      .where(and(eq(schema.withdrawals.coopId, a.coopId), eq(schema.withdrawals.subscriptionId, s.id)));
    const refunds = await tx
      .select()
      .from(schema.refunds)
      .where(and(eq(schema.refunds.coopId, a.coopId), eq(schema.refunds.subscriptionId, s.id)));
    const timeline: TimelineEvent[] = [
      ...consents.map((c) => ({
        kind: "consent" as const,
        at: c.consentedAt,
        id: c.id,
        detail: `${c.jurisdiction} · ${c.locale} · “${c.buttonLabel}”`,
      })),
      { kind: "subscription" as const, at: s.createdAt, id: s.id, detail: s.status },
      ...notices.map((n) => ({
        kind: "notice" as const,
        at: n.sentAt ?? n.dueAt,
        id: n.id,
        noticeKind: n.kind,
        status: n.status,
        dueAt: n.dueAt,
        sentAt: n.sentAt,
        template: `${n.templateId}@${n.templateVersion}`,
        language: n.language,
        channel: n.channel,
      })),
      ...cancellations.map((c) => ({
        kind: "cancellation" as const,
        at: c.receivedAt,
        id: c.id,
        detail: c.kind,
        endsAt: c.endsAt,
      })),
      ...withdrawals.map((w) => ({
        kind: "withdrawal" as const,
        at: w.receivedAt,
        id: w.id,
        detail: w.outcome,
        acknowledgedAt: w.acknowledgedAt,
      })),
      ...refunds.map((r) => ({
        kind: "refund" as const,
        at: r.createdAt,
        id: r.id,
        status: r.status,
        amountMinor: r.amountMinor,
        currency: r.currency,
        dueBy: r.dueBy,
      })),
    ].sort((x, y) => x.at.getTime() - y.at.getTime());
    return {
      subscription: {
        id: s.id,
        status: s.status,
        tierId: s.tierId,
        tierName: row.tierName,
        memberUserId: s.memberUserId,
        memberEmail: row.memberEmail,
        createdAt: s.createdAt,
        currentPeriodEnd: s.currentPeriodEnd,
        cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      },
      consents: consents.map((c) => ({
        id: c.id,
        consentedAt: c.consentedAt,
        jurisdiction: c.jurisdiction,
        locale: c.locale,
        buttonLabel: c.buttonLabel,
        disclosureHash: c.disclosureHash,
        disclosureText: c.disclosureText,
        termsHash: c.termsHash,
      })),
      timeline,
    };
  });
}

const isOverdue = (r: { status: string; dueBy: Date }, now: Date) => r.status !== "refunded" && r.dueBy < now;

/** The creator's studio: cancellations and withdrawals received, and refunds due (overdue flagged). */
export async function listCreatorRights(rt: Runtime, actor: TenantContext) {
  const a = requireCreatorTeam(actor);
  const now = rt.clock.now();
  return withTenant(rt, a, async (tx) => {
    const [cancellations, withdrawals, refunds] = await Promise.all([
      tx
        .select({
          id: schema.cancellations.id,
          subscriptionId: schema.cancellations.subscriptionId,
          kind: schema.cancellations.kind,
          receivedAt: schema.cancellations.receivedAt,
          endsAt: schema.cancellations.endsAt,
          stripeAppliedAt: schema.cancellations.stripeAppliedAt,
        })
        .from(schema.cancellations)
        .where(and(eq(schema.cancellations.creatorId, a.creatorId), isNotNull(schema.cancellations.subscriptionId)))
        .orderBy(desc(schema.cancellations.receivedAt))
        .limit(200),
      tx
        .select({
          id: schema.withdrawals.id,
          subscriptionId: schema.withdrawals.subscriptionId,
          outcome: schema.withdrawals.outcome,
          contractKind: schema.withdrawals.contractKind,
          receivedAt: schema.withdrawals.receivedAt,
          acknowledgedAt: schema.withdrawals.acknowledgedAt,
        })
        .from(schema.withdrawals)
        .where(eq(schema.withdrawals.creatorId, a.creatorId))
        .orderBy(desc(schema.withdrawals.receivedAt))
        .limit(200),
      tx
        .select({
          id: schema.refunds.id,
          withdrawalId: schema.refunds.withdrawalId,
          status: schema.refunds.status,
          basis: schema.refunds.basis,
          amountMinor: schema.refunds.amountMinor,
          currency: schema.refunds.currency,
          dueBy: schema.refunds.dueBy,
          refundedAt: schema.refunds.refundedAt,
        })
        .from(schema.refunds)
        .where(eq(schema.refunds.creatorId, a.creatorId))
        .orderBy(asc(schema.refunds.dueBy))
        .limit(200),
    ]);
    return {
      cancellations,
      withdrawals,
      refunds: refunds.map((r) => ({ ...r, overdue: isOverdue(r, now) })),
      refundsDue: refunds.filter((r) => r.status !== "refunded").length,
      refundsOverdue: refunds.filter((r) => isOverdue(r, now)).length,
    };
  });
}

/** The member's account: notices received (sent ones), and their own cancellations and withdrawals. */
export async function listMemberNotices(rt: Runtime, member: { userId: string }) {
  if (!member.userId) throw notFound();
  // The member's own rows, by RLS.
  const own = await withTenant(rt, { userId: member.userId }, async (tx) => {
    const notices = await tx
      .select({
        id: schema.notices.id,
        kind: schema.notices.kind,
        sentAt: schema.notices.sentAt,
        language: schema.notices.language,
        channel: schema.notices.channel,
        subscriptionId: schema.notices.subscriptionId,
      })
      .from(schema.notices)
      .where(and(eq(schema.notices.memberUserId, member.userId), inArray(schema.notices.status, ["sent"])))
      .orderBy(desc(schema.notices.sentAt));
    const cancellations = await tx
      .select({
        id: schema.cancellations.id,
        kind: schema.cancellations.kind,
        receivedAt: schema.cancellations.receivedAt,
        endsAt: schema.cancellations.endsAt,
      })
      .from(schema.cancellations)
      .where(eq(schema.cancellations.memberUserId, member.userId))
      .orderBy(desc(schema.cancellations.receivedAt));
    const withdrawals = await tx
      .select({
        id: schema.withdrawals.id,
        outcome: schema.withdrawals.outcome,
        receivedAt: schema.withdrawals.receivedAt,
        acknowledgedAt: schema.withdrawals.acknowledgedAt,
      })
      .from(schema.withdrawals)
      .where(eq(schema.withdrawals.memberUserId, member.userId))
      .orderBy(desc(schema.withdrawals.receivedAt));
    // New York increases wait for the member's opt-in (else the old price stays): offered here too.
    const priceChangesAwaitingOptIn = await tx
      .select({
        id: schema.priceChanges.id,
        currency: schema.priceChanges.currency,
        oldAmountMinor: schema.priceChanges.oldAmountMinor,
        newAmountMinor: schema.priceChanges.newAmountMinor,
        effectiveAt: schema.priceChanges.effectiveAt,
      })
      .from(schema.priceChanges)
      .where(
        and(
          eq(schema.priceChanges.memberUserId, member.userId),
          eq(schema.priceChanges.status, "scheduled"),
          eq(schema.priceChanges.requiresOptIn, true),
          isNull(schema.priceChanges.optedInAt),
        ),
      )
      .orderBy(schema.priceChanges.effectiveAt);
    return { notices, cancellations, withdrawals, priceChangesAwaitingOptIn };
  });
  // Tier names of the member's own subscriptions (tiers are not readable by members through RLS).
  const subscriptionIds = [...new Set(own.notices.map((n) => n.subscriptionId))];
  const names = subscriptionIds.length
    ? await withSystem(rt, "member-notices-tiers", (tx) =>
        tx
          .select({ id: schema.subscriptions.id, tierName: schema.subscriptionTiers.name })
          .from(schema.subscriptions)
          .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.subscriptions.tierId))
          .where(
            and(
              inArray(schema.subscriptions.id, subscriptionIds),
              eq(schema.subscriptions.memberUserId, member.userId),
            ),
          ),
      )
    : [];
  return {
    notices: own.notices.map(({ subscriptionId, ...n }) => ({
      ...n,
      tierName: names.find((x) => x.id === subscriptionId)?.tierName ?? "",
    })),
    cancellations: own.cancellations,
    withdrawals: own.withdrawals,
    priceChangesAwaitingOptIn: own.priceChangesAwaitingOptIn,
  };
}
