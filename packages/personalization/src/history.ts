/**
 * STABLE (P1, issue 9): `loadMemberHistories` and `loadOfferAttributes` signatures are fixed; serving
 * (offers.ts) and training (examples.ts, seed) both call these, so a feature means the same thing in
 * both.
 *
 * What the server knows about members and offers *as of* an instant, read from the drops and billing
 * tables (first-party, server-side: claims, orders, returns, waitlist joins and subscriptions are never
 * copied into an events table). Everything is bounded by `asOf`: an event after it is not counted, so
 * the seed and the tests can compute the features a list had when it was shown.
 *
 * Run inside the caller's transaction. The caller chooses the context: serving and training read
 * other members' claims (popularity), so they run in `withSystem`; under a member's `withTenant` RLS
 * limits the histories to the member's own rows.
 */
import { and, eq, gt, gte, inArray, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import { DEFAULT_GRACE_DAYS, effectiveTierId, isEntitled } from "@kiln/billing";
import { schema, type Tx } from "@kiln/db";
import type { MemberHistory, OfferAttributes } from "./features.js";

const DAY = 86_400_000;
/** Claims and purchases counted in a member's history (features.ts: "last 180 days"). */
export const HISTORY_DAYS = 180;
/** Claims counted in an offer's popularity (features.ts: "last 30 days"). */
export const POPULARITY_DAYS = 30;

/** A MemberHistory with concrete collections (what the loader returns). */
export interface LoadedMemberHistory extends MemberHistory {
  purchases: Array<{ productId: string; creatorId: string; tags: string[]; returned: boolean }>;
  waitlistedProductIds: Set<string>;
  tierRankByCreator: Map<string, number>;
}

export const emptyHistory = (): LoadedMemberHistory => ({
  purchases: [],
  waitlistedProductIds: new Set(),
  tierRankByCreator: new Map(),
});

/** A claim held or bought at `asOf`: made before it and not released (expired, cancelled) by then. */
const heldAt = (asOf: Date) =>
  and(
    lt(schema.dropClaims.createdAt, asOf),
    or(isNull(schema.dropClaims.releasedAt), gt(schema.dropClaims.releasedAt, asOf)),
  );

/**
 * The histories of `memberIds` in the co-op as of `asOf`:
 * - purchases: claims held or bought at asOf made in the HISTORY_DAYS before it, each with its
 *   product's tags and `returned` when its order was returned by asOf;
 * - waitlisted products: waitlist entries joined before asOf and still waiting at asOf (an entry that
 *   left the `waiting` state is taken to have left it at its `updated_at`);
 * - tier rank per creator: the highest rank among the member's subscriptions started before asOf that
 *   entitle at asOf (billing's isEntitled/effectiveTierId). Subscriptions keep only their current
 *   status, so for a past asOf this is the current status evaluated at that instant — an
 *   approximation the decision record (014) accepts.
 * Every member asked for is in the map (an empty history when nothing is known).
 */
export async function loadMemberHistories(
  tx: Tx,
  input: { coopId: string; memberIds: readonly string[]; asOf: Date },
): Promise<Map<string, LoadedMemberHistory>> {
  const { coopId, asOf } = input;
  const memberIds = [...new Set(input.memberIds)];
  const out = new Map<string, LoadedMemberHistory>(memberIds.map((id) => [id, emptyHistory()]));
  if (memberIds.length === 0) return out;
  const since = new Date(asOf.getTime() - HISTORY_DAYS * DAY);
  const c = schema.dropClaims;

  // The three reads are independent: all are sent before any is awaited (pipelined on the connection).
  const purchasesQuery = tx
    .select({
      memberId: c.memberUserId,
      productId: schema.drops.productId,
      creatorId: c.creatorId,
      tags: schema.products.tags,
      returned: sql<boolean>`coalesce(${schema.orders.status} = 'returned' and ${schema.orders.returnedAt} <= ${asOf.toISOString()}::timestamptz, false)`,
    })
    .from(c)
    .innerJoin(schema.drops, eq(schema.drops.id, c.dropId))
    .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
    .leftJoin(schema.orders, eq(schema.orders.claimId, c.id))
    .where(and(eq(c.coopId, coopId), inArray(c.memberUserId, memberIds), gte(c.createdAt, since), heldAt(asOf)))
    .orderBy(c.createdAt, c.id);
  const w = schema.dropWaitlist;
  const waitingQuery = tx
    .select({ memberId: w.memberUserId, productId: schema.drops.productId })
    .from(w)
    .innerJoin(schema.drops, eq(schema.drops.id, w.dropId))
    .where(
      and(
        eq(w.coopId, coopId),
        inArray(w.memberUserId, memberIds),
        lt(w.createdAt, asOf),
        or(eq(w.status, "waiting"), gt(w.updatedAt, asOf)),
      ),
    );
  const s = schema.subscriptions;
  const subsQuery = tx
    .select({ sub: s, graceDays: schema.billingSettings.graceDays })
    .from(s)
    .leftJoin(schema.billingSettings, eq(schema.billingSettings.coopId, s.coopId))
    .where(and(eq(s.coopId, coopId), inArray(s.memberUserId, memberIds), lte(s.createdAt, asOf)));
  const [purchases, waiting, subs] = await Promise.all([
    purchasesQuery.execute(),
    waitingQuery.execute(),
    subsQuery.execute(),
  ]);
  for (const row of purchases) {
    out.get(row.memberId)?.purchases.push({
      productId: row.productId,
      creatorId: row.creatorId,
      tags: row.tags,
      returned: row.returned === true,
    });
  }

  for (const row of waiting) out.get(row.memberId)?.waitlistedProductIds.add(row.productId);

  const entitled = subs
    .filter((r) => isEntitled(r.sub, asOf, r.graceDays ?? DEFAULT_GRACE_DAYS))
    .map((r) => ({ memberId: r.sub.memberUserId, creatorId: r.sub.creatorId, tierId: effectiveTierId(r.sub, asOf) }));
  if (entitled.length > 0) {
    const tiers = await tx
      .select({ id: schema.subscriptionTiers.id, rank: schema.subscriptionTiers.rank })
      .from(schema.subscriptionTiers)
      .where(inArray(schema.subscriptionTiers.id, [...new Set(entitled.map((e) => e.tierId))]));
    const rankOf = new Map(tiers.map((t) => [t.id, t.rank]));
    for (const e of entitled) {
      const ranks = out.get(e.memberId)?.tierRankByCreator;
      const rank = rankOf.get(e.tierId);
      if (!ranks || rank === undefined) continue;
      ranks.set(e.creatorId, Math.max(rank, ranks.get(e.creatorId) ?? rank));
    }
  }
  return out;
}

/** Minor units per major unit of an ISO 4217 currency (100 for EUR, 1 for JPY, 1000 for BHD). */
export function minorPerMajor(currency: string): number {
  try {
    const digits = new Intl.NumberFormat("en", {
      style: "currency",
      currency: currency.toUpperCase(),
    }).resolvedOptions().maximumFractionDigits;
    return 10 ** (digits ?? 2);
  } catch {
    return 100;
  }
}

export type OfferSelector =
  | { coopId: string; dropIds: readonly string[]; asOf: Date }
  /** The creator's published drops open at asOf (opened, not closed). */
  | { coopId: string; creatorId: string; asOf: Date };

/**
 * The attributes of offers (drops) as of `asOf`, in the order of `dropIds` (or by opening time for a
 * creator). Point in time: remaining = quantity − units held or bought at asOf; recentClaims = claims
 * of the product (any drop) held or bought at asOf made in the POPULARITY_DAYS before it; restock = the
 * product had a drop that opened earlier; memberOnly = the drop is gated to tiers; maxTierRank = the
 * creator's highest published tier rank. Unknown drop ids are left out.
 */
export async function loadOfferAttributes(tx: Tx, input: OfferSelector): Promise<OfferAttributes[]> {
  const { coopId, asOf } = input;
  const d = schema.drops;
  const where =
    "dropIds" in input
      ? input.dropIds.length === 0
        ? undefined
        : and(eq(d.coopId, coopId), inArray(d.id, [...input.dropIds]))
      : and(
          eq(d.coopId, coopId),
          eq(d.creatorId, input.creatorId),
          eq(d.isPublished, true),
          lte(d.opensAt, asOf),
          or(isNull(d.closesAt), gt(d.closesAt, asOf)),
        );
  if (!where) return [];
  const rows = await tx
    .select({
      dropId: d.id,
      productId: d.productId,
      creatorId: d.creatorId,
      quantity: d.quantity,
      tierIds: d.tierIds,
      opensAt: d.opensAt,
      tags: schema.products.tags,
      priceMinor: schema.products.priceMinor,
      currency: schema.products.currency,
    })
    .from(d)
    .innerJoin(schema.products, eq(schema.products.id, d.productId))
    .where(where)
    .orderBy(d.opensAt, d.id);
  if (rows.length === 0) return [];

  const dropIds = rows.map((r) => r.dropId);
  const productIds = [...new Set(rows.map((r) => r.productId))];
  const creatorIds = [...new Set(rows.map((r) => r.creatorId))];
  const c = schema.dropClaims;

  // The four aggregates depend only on the rows: all are sent before any is awaited (pipelined).
  const takenQuery = tx
    .select({ dropId: c.dropId, units: sql<number>`sum(${c.quantity})::int` })
    .from(c)
    .where(and(inArray(c.dropId, dropIds), heldAt(asOf)))
    .groupBy(c.dropId);
  const since = new Date(asOf.getTime() - POPULARITY_DAYS * DAY);
  const recentQuery = tx
    .select({ productId: d.productId, claims: sql<number>`count(*)::int` })
    .from(c)
    .innerJoin(d, eq(d.id, c.dropId))
    .where(and(eq(c.coopId, coopId), inArray(d.productId, productIds), gte(c.createdAt, since), heldAt(asOf)))
    .groupBy(d.productId);
  const firstsQuery = tx
    .select({ productId: d.productId, firstOpensAt: sql<Date>`min(${d.opensAt})` })
    .from(d)
    .where(and(eq(d.coopId, coopId), inArray(d.productId, productIds)))
    .groupBy(d.productId);
  const t = schema.subscriptionTiers;
  const ranksQuery = tx
    .select({ creatorId: t.creatorId, maxRank: sql<number>`max(${t.rank})::int` })
    .from(t)
    .where(and(eq(t.coopId, coopId), inArray(t.creatorId, creatorIds), ne(t.status, "draft")))
    .groupBy(t.creatorId);
  const [taken, recent, firsts, ranks] = await Promise.all([
    takenQuery.execute(),
    recentQuery.execute(),
    firstsQuery.execute(),
    ranksQuery.execute(),
  ]);
  const takenBy = new Map(taken.map((row) => [row.dropId, Number(row.units)]));
  const recentBy = new Map(recent.map((r) => [r.productId, Number(r.claims)]));
  const firstBy = new Map(firsts.map((f) => [f.productId, new Date(f.firstOpensAt).getTime()]));
  const maxRankBy = new Map(ranks.map((r) => [r.creatorId, Math.max(0, Number(r.maxRank))]));

  const order = "dropIds" in input ? new Map(input.dropIds.map((id, i) => [id, i])) : null;
  const offers = rows.map((r): OfferAttributes => ({
    offerId: r.dropId,
    productId: r.productId,
    creatorId: r.creatorId,
    tags: r.tags,
    priceMinor: r.priceMinor,
    minorPerMajor: minorPerMajor(r.currency),
    memberOnly: r.tierIds.length > 0,
    restock: (firstBy.get(r.productId) ?? r.opensAt.getTime()) < r.opensAt.getTime(),
    quantity: r.quantity,
    remaining: Math.max(0, r.quantity - (takenBy.get(r.dropId) ?? 0)),
    recentClaims: recentBy.get(r.productId) ?? 0,
    maxTierRank: maxRankBy.get(r.creatorId) ?? 0,
  }));
  if (order) offers.sort((a, b) => order.get(a.offerId)! - order.get(b.offerId)!);
  return offers;
}
