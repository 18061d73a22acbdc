import { and, asc, eq, inArray } from "drizzle-orm";
import { DEFAULT_GRACE_DAYS, effectiveTierId, isEntitled } from "@kiln/billing";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";

/**
 * The drop gate's membership rule (issue 8 §2): a member qualifies for a tier when billing's
 * entitlement rule (active, trialing, or past_due within the co-op's grace) holds for a subscription
 * whose effective tier (a scheduled downgrade counts once due) is that tier, or a tier of the same
 * creator ranked strictly higher — higher tiers include the lower ones. Equal ranks do not cover each
 * other, so tiers left at the default rank gate exactly as listed.
 */

/** The tiers among `tierIds` the member qualifies for now (read in this transaction). */
export async function entitledTiers(tx: Tx, memberUserId: string, tierIds: string[], now: Date): Promise<Set<string>> {
  if (!tierIds.length) return new Set();
  const creatorsOf = tx
    .select({ creatorId: schema.subscriptionTiers.creatorId })
    .from(schema.subscriptionTiers)
    .where(inArray(schema.subscriptionTiers.id, tierIds));
  const tiers = await tx
    .select({
      id: schema.subscriptionTiers.id,
      creatorId: schema.subscriptionTiers.creatorId,
      rank: schema.subscriptionTiers.rank,
    })
    .from(schema.subscriptionTiers)
    .where(inArray(schema.subscriptionTiers.creatorId, creatorsOf));
  if (!tiers.length) return new Set();
  const byId = new Map(tiers.map((t) => [t.id, t]));
  const subs = await tx
    .select({ sub: schema.subscriptions, graceDays: schema.billingSettings.graceDays })
    .from(schema.subscriptions)
    .leftJoin(schema.billingSettings, eq(schema.billingSettings.coopId, schema.subscriptions.coopId))
    .where(
      and(
        eq(schema.subscriptions.memberUserId, memberUserId),
        inArray(schema.subscriptions.creatorId, [...new Set(tiers.map((t) => t.creatorId))]),
      ),
    );
  const held = subs
    .filter((r) => isEntitled(r.sub, now, r.graceDays ?? DEFAULT_GRACE_DAYS))
    .map((r) => byId.get(effectiveTierId(r.sub, now)))
    .filter((t) => t !== undefined);
  return new Set(
    tierIds.filter((id) => {
      const tier = byId.get(id);
      return (
        tier !== undefined && held.some((h) => h.id === id || (h.creatorId === tier.creatorId && h.rank > tier.rank))
      );
    }),
  );
}

type DropRow = typeof schema.drops.$inferSelect;

/**
 * The gate: closed or not yet open is NOT_OPEN; during the early-access window only members who
 * qualify for an early-access tier claim; otherwise a member-only drop needs a qualifying tier
 * (NOT_ENTITLED — said before NOT_OPEN, so a member learns early that they need another tier).
 */
export function checkGate(drop: DropRow, entitled: Set<string>, now: Date): void {
  if (drop.closesAt && drop.closesAt <= now) throw new AppError("NOT_OPEN", "This drop has closed");
  const isEarly = drop.earlyAccessTierIds.some((t) => entitled.has(t));
  const isAllowed = drop.tierIds.length === 0 || isEarly || drop.tierIds.some((t) => entitled.has(t));
  if (!isAllowed) throw new AppError("NOT_ENTITLED", "This drop is for members of another tier");
  if (drop.opensAt <= now) return;
  if (drop.earlyAccessAt && drop.earlyAccessAt <= now && isEarly) return;
  throw new AppError("NOT_OPEN", "This drop is not open yet");
}

export interface GateTier {
  id: string;
  name: string;
  rank: number;
  /** Whether it (or a higher tier) gives early access. */
  isEarlyAccess: boolean;
  /** Whether the member qualifies for it now. */
  isHeld: boolean;
}

export interface DropGate {
  /** The drop's tiers, lowest rank first, that are on sale (live): what the page offers to subscribe to. */
  tiers: GateTier[];
  isMemberOnly: boolean;
  /** Whether the member (null: a visitor) may claim by membership; the clock is checked separately. */
  isEntitled: boolean;
  isEarlyAccess: boolean;
}

/**
 * The drop page's view of the gate for a member (or a visitor): which tiers let one claim, whether
 * the member holds one, so a member who does not is offered the tier to subscribe to.
 */
export async function getDropGate(rt: Runtime, dropId: string, memberUserId: string | null): Promise<DropGate> {
  const now = rt.clock.now();
  return withSystem(rt, "drops-gate", async (tx) => {
    const [drop] = await tx
      .select()
      .from(schema.drops)
      .where(and(eq(schema.drops.id, dropId), eq(schema.drops.isPublished, true)));
    if (!drop) throw new AppError("NOT_FOUND", "Drop not found");
    const ids = [...new Set([...drop.tierIds, ...drop.earlyAccessTierIds])];
    const entitled = memberUserId ? await entitledTiers(tx, memberUserId, ids, now) : new Set<string>();
    const rows = ids.length
      ? await tx
          .select({
            id: schema.subscriptionTiers.id,
            name: schema.subscriptionTiers.name,
            rank: schema.subscriptionTiers.rank,
          })
          .from(schema.subscriptionTiers)
          .where(and(inArray(schema.subscriptionTiers.id, ids), eq(schema.subscriptionTiers.status, "live")))
          .orderBy(asc(schema.subscriptionTiers.rank), asc(schema.subscriptionTiers.name))
      : [];
    const isEarly = drop.earlyAccessTierIds.some((t) => entitled.has(t));
    return {
      tiers: rows.map((t) => ({
        ...t,
        isEarlyAccess: drop.earlyAccessTierIds.includes(t.id),
        isHeld: entitled.has(t.id),
      })),
      isMemberOnly: drop.tierIds.length > 0,
      isEntitled:
        memberUserId !== null && (drop.tierIds.length === 0 || isEarly || drop.tierIds.some((t) => entitled.has(t))),
      isEarlyAccess: isEarly,
    };
  });
}
