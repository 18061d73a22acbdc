import { desc, eq, inArray } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type TenantContext } from "@kiln/db";
import { DEFAULT_GRACE_DAYS, isEntitled } from "./entitlement";

/**
 * The member's own subscriptions across creators (account page): tier, creator, Kiln's state and
 * whether it entitles now. Read in the system context filtered to the member (subscriptions span
 * tenants); nothing of another member is reachable from here.
 */
export async function listMemberSubscriptions(rt: Runtime, actor: TenantContext) {
  if (!actor.userId) throw new AppError("UNAUTHENTICATED", "Sign in");
  const memberUserId = actor.userId;
  const now = rt.clock.now();
  const rows = await withSystem(rt, "billing-member-subscriptions", (tx) =>
    tx
      .select({
        sub: schema.subscriptions,
        tierName: schema.subscriptionTiers.name,
        creatorName: schema.creators.displayName,
        creatorSlug: schema.creators.slug,
        amountMinor: schema.tierPrices.amountMinor,
        currency: schema.tierPrices.currency,
        interval: schema.tierPrices.interval,
        graceDays: schema.billingSettings.graceDays,
      })
      .from(schema.subscriptions)
      .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.subscriptions.tierId))
      .innerJoin(schema.creators, eq(schema.creators.id, schema.subscriptions.creatorId))
      .innerJoin(schema.tierPrices, eq(schema.tierPrices.id, schema.subscriptions.tierPriceId))
      .leftJoin(schema.billingSettings, eq(schema.billingSettings.coopId, schema.subscriptions.coopId))
      .where(eq(schema.subscriptions.memberUserId, memberUserId))
      .orderBy(desc(schema.subscriptions.createdAt)),
  );
  const scheduledIds = rows.map((r) => r.sub.scheduledTierId).filter((id): id is string => id !== null);
  const scheduledTiers = scheduledIds.length
    ? await withSystem(rt, "billing-member-subscriptions", (tx) =>
        tx
          .select({ id: schema.subscriptionTiers.id, name: schema.subscriptionTiers.name })
          .from(schema.subscriptionTiers)
          .where(inArray(schema.subscriptionTiers.id, scheduledIds)),
      )
    : [];
  return rows.map((r) => ({
    id: r.sub.id,
    tierId: r.sub.tierId,
    tierName: r.tierName,
    creator: { slug: r.creatorSlug, displayName: r.creatorName },
    status: r.sub.status,
    currentPeriodEnd: r.sub.currentPeriodEnd,
    cancelAtPeriodEnd: r.sub.cancelAtPeriodEnd,
    pendingInvoiceUrl: r.sub.pendingInvoiceUrl,
    /** A downgrade ordered for the period end (null when none). */
    scheduledChange:
      r.sub.scheduledTierId && r.sub.scheduledAt
        ? {
            tierId: r.sub.scheduledTierId,
            tierName: scheduledTiers.find((t) => t.id === r.sub.scheduledTierId)?.name ?? "",
            at: r.sub.scheduledAt,
          }
        : null,
    price: { amountMinor: r.amountMinor, currency: r.currency, interval: r.interval },
    isEntitled: isEntitled(r.sub, now, r.graceDays ?? DEFAULT_GRACE_DAYS),
  }));
}
