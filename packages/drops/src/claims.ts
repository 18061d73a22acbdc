import { and, eq, sql } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { consumeAdmission, recordAdmissionClaim } from "./admission";
import { checkGate, entitledTiers } from "./gate";
import { lifetimeLimitsOf, releaseLifetime, takeLifetime } from "./lifetime";
import { ClaimSchema, type ClaimInput } from "./schemas";
import { clearSoldOut, isKnownSoldOut, markSoldOut } from "./soldout";
import { parseInput } from "./validate";

/**
 * The claim path (DESIGN.md §4 "Claim"). A member takes stock from a creator's drop, which is another
 * tenant's row: every step runs in the system context, in one short transaction, and checks the member
 * explicitly. Locks are always taken in the same order — claim row, then per-member counters, then
 * lifetime counters (lifetime.ts), then stock buckets (each group sorted) — so claims, cancellations
 * and expiry cannot deadlock each other.
 */

export type Claim = typeof schema.dropClaims.$inferSelect;

/** The signed-in member acting for themselves. */
export interface MemberContext {
  userId: string;
}

const pgCode = (error: unknown): string | undefined =>
  (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;

/** Where a member starts looking for stock: derived from the member, so concurrent claims spread. */
export function startBucket(memberUserId: string, bucketCount: number): number {
  return Number.parseInt(memberUserId.replaceAll("-", "").slice(0, 8), 16) % bucketCount;
}

type DropRow = typeof schema.drops.$inferSelect;

// The gate (tiers by rank, early access, NOT_OPEN / NOT_ENTITLED) lives in gate.ts.
export { checkGate, entitledTiers } from "./gate";

/** Takes q units from the drop's buckets; SOLD_OUT (and the transaction rolls back) if fewer remain. */
async function takeStock(tx: Tx, drop: DropRow, memberUserId: string, q: number): Promise<Record<string, number>> {
  const n = drop.bucketCount;
  const start = startBucket(memberUserId, n);
  for (let i = 0; i < n; i++) {
    const bucket = (start + i) % n;
    const [hit] = await tx
      .update(schema.dropStock)
      .set({ remaining: sql`${schema.dropStock.remaining} - ${q}` })
      .where(
        and(
          eq(schema.dropStock.dropId, drop.id),
          eq(schema.dropStock.bucket, bucket),
          sql`${schema.dropStock.remaining} >= ${q}`,
        ),
      )
      .returning({ bucket: schema.dropStock.bucket });
    if (hit) return { [String(bucket)]: q };
  }
  if (q === 1) {
    // Every bucket was empty: a hot drop answers the next claims from memory (soldout.ts).
    if (drop.isHot) markSoldOut(drop.id);
    throw new AppError("SOLD_OUT", "Sold out");
  }
  // No single bucket holds q: gather from several, locked in bucket order.
  const rows = await tx.execute<{ bucket: number; remaining: number }>(
    sql`select bucket, remaining from drop_stock where drop_id = ${drop.id} and remaining > 0 order by bucket for update`,
  );
  if (rows.reduce((s, r) => s + r.remaining, 0) < q) throw new AppError("SOLD_OUT", "Not enough left");
  const takenFrom: Record<string, number> = {};
  let need = q;
  for (const r of rows) {
    if (need === 0) break;
    const take = Math.min(need, r.remaining);
    await tx.execute(
      sql`update drop_stock set remaining = remaining - ${take} where drop_id = ${drop.id} and bucket = ${r.bucket}`,
    );
    takenFrom[String(r.bucket)] = take;
    need -= take;
  }
  return takenFrom;
}

async function findByKey(tx: Tx, memberUserId: string, key: string) {
  const [claim] = await tx
    .select()
    .from(schema.dropClaims)
    .where(and(eq(schema.dropClaims.memberUserId, memberUserId), eq(schema.dropClaims.idempotencyKey, key)));
  return claim;
}

export async function claimInTx(
  tx: Tx,
  now: Date,
  memberUserId: string,
  value: { dropId: string; quantity: number; idempotencyKey: string },
  /** `admissionToken`: required (and consumed) for a hot drop when `requireAdmission` (claimDrop sets it). */
  admission: { requireAdmission?: boolean; admissionToken?: string } = {},
): Promise<Claim> {
  const existing = await findByKey(tx, memberUserId, value.idempotencyKey);
  if (existing) {
    if (existing.dropId !== value.dropId || existing.quantity !== value.quantity)
      throw new AppError("CONFLICT", "This idempotency key was used for another claim");
    return existing;
  }
  const [found] = await tx
    .select({
      drop: schema.drops,
      product: { id: schema.products.id, lifetimeLimit: schema.products.lifetimeLimit },
      edition: { id: schema.editions.id, lifetimeLimit: schema.editions.lifetimeLimit },
    })
    .from(schema.drops)
    .innerJoin(schema.creators, eq(schema.creators.id, schema.drops.creatorId))
    .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
    .leftJoin(schema.editions, eq(schema.editions.id, schema.products.editionId))
    .where(
      and(eq(schema.drops.id, value.dropId), eq(schema.drops.isPublished, true), eq(schema.creators.isPublished, true)),
    );
  if (!found) throw new AppError("NOT_FOUND", "Drop not found");
  const drop = found.drop;
  const entitled = await entitledTiers(tx, memberUserId, [...drop.tierIds, ...drop.earlyAccessTierIds], now);
  checkGate(drop, entitled, now);
  const admitted = drop.isHot && admission.requireAdmission;
  if (admitted) await consumeAdmission(tx, drop, memberUserId, admission.admissionToken, now);

  const q = value.quantity;
  if (q > drop.perMemberLimit) throw new AppError("LIMIT_EXCEEDED", `At most ${drop.perMemberLimit} per member`);
  // The member's limit: a conditional upsert on the (drop, member) row; a check-then-insert would race.
  const counted = await tx.execute<{ taken: number }>(sql`
    insert into drop_member_counters (drop_id, member_user_id, coop_id, creator_id, taken)
    values (${drop.id}, ${memberUserId}, ${drop.coopId}, ${drop.creatorId}, ${q})
    on conflict (drop_id, member_user_id) do update set taken = drop_member_counters.taken + excluded.taken
    where drop_member_counters.taken + excluded.taken <= ${drop.perMemberLimit}
    returning taken`);
  if (!counted.length) throw new AppError("LIMIT_EXCEEDED", `At most ${drop.perMemberLimit} per member`);
  // Lifetime limits of the product and its co-op-wide edition: the same conditional upsert (lifetime.ts).
  const lifetime = lifetimeLimitsOf(found.product, found.edition);
  await takeLifetime(tx, drop.coopId, memberUserId, lifetime, q);

  const takenFrom = await takeStock(tx, drop, memberUserId, q);
  const [claim] = await tx
    .insert(schema.dropClaims)
    .values({
      coopId: drop.coopId,
      creatorId: drop.creatorId,
      dropId: drop.id,
      memberUserId,
      quantity: q,
      takenFrom,
      idempotencyKey: value.idempotencyKey,
      lifetimeSubjectIds: lifetime.map((l) => l.subjectId),
      expiresAt: new Date(now.getTime() + drop.holdMinutes * 60_000),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (admitted) await recordAdmissionClaim(tx, drop.id, memberUserId, claim!.id);
  return claim!;
}

/**
 * Claims units of a drop for a member: a `reserved` claim held for the drop's hold minutes. A retry
 * with the same idempotency key returns the same claim. Errors: NOT_FOUND (missing or unpublished),
 * NOT_OPEN (not open yet / closed), CONFLICT (key reused), NOT_ENTITLED, LIMIT_EXCEEDED (per drop or
 * lifetime), SOLD_OUT.
 */
export async function claimDrop(
  rt: Runtime,
  member: MemberContext,
  input: ClaimInput,
  /** A hot drop's single-use admission token from its waiting room (admission.ts). */
  options: { admissionToken?: string } = {},
): Promise<Claim> {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to claim");
  const value = parseInput(ClaimSchema, input);
  // A hot drop known to be sold out is answered from memory, without the database (soldout.ts).
  if (isKnownSoldOut(value.dropId)) throw new AppError("SOLD_OUT", "Sold out");
  const admission = { requireAdmission: true, admissionToken: options.admissionToken };
  for (let attempt = 0; ; attempt++) {
    try {
      return await withSystem(rt, "drops-claim", (tx) =>
        claimInTx(tx, rt.clock.now(), member.userId, value, admission),
      );
    } catch (error) {
      // A concurrent request with the same key won (unique violation): the next round returns its claim.
      // A deadlock or serialization failure rolled everything back: trying again is safe.
      const code = pgCode(error);
      if (attempt < 3 && (code === "23505" || code === "40P01" || code === "40001")) continue;
      throw error;
    }
  }
}

type Released = Pick<Claim, "coopId" | "dropId" | "memberUserId" | "quantity" | "takenFrom" | "lifetimeSubjectIds">;

/** Gives released claims' units back to their buckets and members' limits (counters first, then stock). */
async function releaseUnits(tx: Tx, claims: Released[]): Promise<number> {
  for (const c of claims) clearSoldOut(c.dropId);
  const counters = new Map<string, { dropId: string; memberUserId: string; q: number }>();
  const stock = new Map<string, { dropId: string; bucket: number; q: number }>();
  for (const c of claims) {
    const ck = `${c.dropId}:${c.memberUserId}`;
    const counter = counters.get(ck) ?? { dropId: c.dropId, memberUserId: c.memberUserId, q: 0 };
    counter.q += c.quantity;
    counters.set(ck, counter);
    for (const [bucket, q] of Object.entries(c.takenFrom)) {
      const sk = `${c.dropId}:${bucket.padStart(3, "0")}`;
      const s = stock.get(sk) ?? { dropId: c.dropId, bucket: Number(bucket), q: 0 };
      s.q += q;
      stock.set(sk, s);
    }
  }
  for (const [, c] of [...counters].sort(([a], [b]) => (a < b ? -1 : 1)))
    await tx.execute(
      sql`update drop_member_counters set taken = taken - ${c.q} where drop_id = ${c.dropId} and member_user_id = ${c.memberUserId}`,
    );
  await releaseLifetime(tx, claims);
  for (const [, s] of [...stock].sort(([a], [b]) => (a < b ? -1 : 1)))
    await tx.execute(
      sql`update drop_stock set remaining = remaining + ${s.q} where drop_id = ${s.dropId} and bucket = ${s.bucket}`,
    );
  return claims.reduce((sum, c) => sum + c.quantity, 0);
}

/** `and drop_id in (…)` when limited to some drops; nothing otherwise. */
const onlyDrops = (dropIds: string[] | undefined) =>
  dropIds === undefined
    ? sql``
    : dropIds.length
      ? sql`and drop_id in (${sql.join(
          dropIds.map((id) => sql`${id}`),
          sql`, `,
        )})`
      : sql`and false`;

/**
 * Returns the units of reservations whose hold has passed (the pg-boss cron job). Claims being
 * confirmed or cancelled right now are skipped and looked at next time. `dropIds` limits it to some
 * drops (tests sharing a server database with other files).
 */
export async function expireHolds(rt: Runtime, options: { batchSize?: number; dropIds?: string[] } = {}) {
  const batchSize = options.batchSize ?? 500;
  let claims = 0;
  let units = 0;
  for (let round = 0; round < 20; round++) {
    const released = await withSystem(rt, "drops-expire-holds", async (tx) => {
      const rows = await tx.execute<{
        coop_id: string;
        drop_id: string;
        member_user_id: string;
        quantity: number;
        taken_from: Record<string, number>;
        lifetime_subject_ids: string[];
      }>(sql`
        update drop_claims set status = 'expired', released_at = kiln_now(), updated_at = kiln_now()
        where id in (
          select id from drop_claims where status = 'reserved' and expires_at <= kiln_now()
            -- A capture in flight (drop_payments 'capturing') is finished by the payment sweeper instead.
            and not exists (select 1 from drop_payments p where p.claim_id = drop_claims.id and p.status = 'capturing')
            ${onlyDrops(options.dropIds)}
          order by id limit ${batchSize} for update skip locked)
        returning coop_id, drop_id, member_user_id, quantity, taken_from, lifetime_subject_ids`);
      const list = rows.map((r) => ({
        coopId: r.coop_id,
        lifetimeSubjectIds: r.lifetime_subject_ids,
        dropId: r.drop_id,
        memberUserId: r.member_user_id,
        quantity: r.quantity,
        takenFrom: r.taken_from,
      }));
      return { count: list.length, units: await releaseUnits(tx, list) };
    });
    claims += released.count;
    units += released.units;
    if (released.count < batchSize) break;
  }
  return { claims, units };
}

/** A member's own claim (someone else's is NOT_FOUND). */
async function ownClaim(tx: Tx, member: MemberContext, claimId: string): Promise<Claim> {
  const [claim] = await tx
    .select()
    .from(schema.dropClaims)
    .where(and(eq(schema.dropClaims.id, claimId), eq(schema.dropClaims.memberUserId, member.userId)));
  if (!claim) throw new AppError("NOT_FOUND", "Claim not found");
  return claim;
}

/**
 * Confirms a reserved claim while its hold lasts (payment: issue 8 §4 captures in the same step).
 * Confirming twice returns the confirmed claim; a hold that has passed is GONE.
 */
export async function confirmClaim(rt: Runtime, member: MemberContext, claimId: string): Promise<Claim> {
  return withSystem(rt, "drops-confirm", async (tx) => {
    const [claim] = await tx
      .update(schema.dropClaims)
      .set({ status: "confirmed", confirmedAt: sql`kiln_now()`, updatedAt: sql`kiln_now()` })
      .where(
        and(
          eq(schema.dropClaims.id, claimId),
          eq(schema.dropClaims.memberUserId, member.userId),
          eq(schema.dropClaims.status, "reserved"),
          sql`${schema.dropClaims.expiresAt} > kiln_now()`,
        ),
      )
      .returning();
    if (claim) return claim;
    const current = await ownClaim(tx, member, claimId);
    if (current.status === "confirmed") return current;
    if (current.status === "cancelled") throw new AppError("CONFLICT", "This claim was cancelled");
    throw new AppError("GONE", "The hold on this claim has expired");
  });
}

/** The member lets go of a reserved claim; its units go back at once. Cancelling twice is a no-op. */
export async function cancelClaim(rt: Runtime, member: MemberContext, claimId: string): Promise<Claim> {
  return withSystem(rt, "drops-cancel", async (tx) => {
    const [claim] = await tx
      .update(schema.dropClaims)
      .set({ status: "cancelled", releasedAt: sql`kiln_now()`, updatedAt: sql`kiln_now()` })
      .where(
        and(
          eq(schema.dropClaims.id, claimId),
          eq(schema.dropClaims.memberUserId, member.userId),
          eq(schema.dropClaims.status, "reserved"),
        ),
      )
      .returning();
    if (claim) {
      await releaseUnits(tx, [claim]);
      return claim;
    }
    const current = await ownClaim(tx, member, claimId);
    if (current.status === "cancelled") return current;
    throw new AppError("CONFLICT", `A ${current.status} claim cannot be cancelled here`);
  });
}

/** A member's claim, for the hold countdown (their own only). */
export async function getClaim(rt: Runtime, member: MemberContext, claimId: string): Promise<Claim> {
  return withSystem(rt, "drops-get-claim", (tx) => ownClaim(tx, member, claimId));
}

/** Units left in a drop (sum of its buckets). */
export async function getRemaining(rt: Runtime, dropId: string): Promise<number> {
  return withSystem(rt, "drops-remaining", async (tx) => {
    const [row] = await tx.execute<{ remaining: number }>(
      sql`select coalesce(sum(remaining), 0)::int as remaining from drop_stock where drop_id = ${dropId}`,
    );
    return row?.remaining ?? 0;
  });
}
