import { and, eq, or } from "drizzle-orm";
import { schema, withSystem, type Runtime } from "@kiln/db";

export const DEFAULT_GRACE_DAYS = 7;
const DAY = 86_400_000;

export interface EntitlementState {
  status: (typeof schema.subscriptionStatus.enumValues)[number];
  pastDueSince: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
}

/**
 * The gating rule: entitled while active or trialing, and while past_due only within the co-op's
 * grace period (counted from the first failure); never while paused, incomplete, canceled or unpaid.
 * A subscription set to cancel at period end stops at that instant even before Stripe's event arrives.
 */
export function isEntitled(s: EntitlementState, now: Date, graceDays = DEFAULT_GRACE_DAYS): boolean {
  if (s.cancelAtPeriodEnd && s.currentPeriodEnd && s.currentPeriodEnd.getTime() <= now.getTime()) return false;
  if (s.status === "active" || s.status === "trialing") return true;
  if (s.status === "past_due")
    return s.pastDueSince !== null && now.getTime() < s.pastDueSince.getTime() + graceDays * DAY;
  return false;
}

/**
 * The tier a subscription entitles to at `now`: its own, or the scheduled (downgrade) tier once the
 * scheduled instant has come — even before the renewal's webhook moved it over.
 */
export function effectiveTierId(
  s: { tierId: string; scheduledTierId: string | null; scheduledAt: Date | null },
  now: Date,
): string {
  return s.scheduledTierId && s.scheduledAt && s.scheduledAt.getTime() <= now.getTime() ? s.scheduledTierId : s.tierId;
}

/** Whether a member is entitled to a tier now (the gate for drops and restocks). */
export async function hasEntitlement(rt: Runtime, memberUserId: string, tierId: string): Promise<boolean> {
  const now = rt.clock.now();
  return withSystem(rt, "billing-entitlement", async (tx) => {
    const rows = await tx
      .select({ sub: schema.subscriptions, graceDays: schema.billingSettings.graceDays })
      .from(schema.subscriptions)
      .leftJoin(schema.billingSettings, eq(schema.billingSettings.coopId, schema.subscriptions.coopId))
      .where(
        and(
          eq(schema.subscriptions.memberUserId, memberUserId),
          or(eq(schema.subscriptions.tierId, tierId), eq(schema.subscriptions.scheduledTierId, tierId)),
        ),
      );
    return rows.some(
      (r) => effectiveTierId(r.sub, now) === tierId && isEntitled(r.sub, now, r.graceDays ?? DEFAULT_GRACE_DAYS),
    );
  });
}
