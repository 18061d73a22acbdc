import { and, eq, sql } from "drizzle-orm";
import { DEFAULT_GRACE_DAYS } from "@kiln/billing";
import { AppError } from "@kiln/core";
import { isInTransaction, schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { hashAdmissionToken } from "./admission";
import { releaseLifetime } from "./lifetime";
import { ClaimSchema, type ClaimInput } from "./schemas";
import { clearSoldOut, isKnownSoldOut, markSoldOut } from "./soldout";
import { parseInput } from "./validate";

/**
 * The claim path (DESIGN.md §4 "Claim"). A member takes stock from a creator's drop, which is another
 * tenant's row: every step runs in the system context, in one short transaction, and checks the member
 * explicitly. The claim itself is one statement, `kiln_claim_drop` (migration 0050, decision 019), so
 * a claim is one round-trip; releasing units (cancel, expiry) stays here. Locks are always taken in
 * the same order — claim row, then per-member counters, then lifetime counters (lifetime.ts), then
 * stock buckets (each group sorted) — so claims, cancellations and expiry cannot deadlock each other.
 */

export type Claim = typeof schema.dropClaims.$inferSelect;

/** The signed-in member acting for themselves. */
export interface MemberContext {
  userId: string;
}

const pgCode = (error: unknown): string | undefined =>
  (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;

/** The member's number that spreads claims over buckets (the first 32 bits of their id). */
const bucketSeed = (memberUserId: string): number => Number.parseInt(memberUserId.replaceAll("-", "").slice(0, 8), 16);

/** Where a member starts looking for stock: derived from the member, so concurrent claims spread. */
export function startBucket(memberUserId: string, bucketCount: number): number {
  return bucketSeed(memberUserId) % bucketCount;
}

// The gate (tiers by rank, early access, NOT_OPEN / NOT_ENTITLED) lives in gate.ts.
export { checkGate, entitledTiers } from "./gate";

/** Codes the claim statement refuses with ('KILN_CLAIM:<code>', the message in DETAIL). */
const CLAIM_REFUSALS = new Set([
  "UNAUTHENTICATED",
  "CONFLICT",
  "NOT_FOUND",
  "NOT_OPEN",
  "NOT_ENTITLED",
  "FORBIDDEN",
  "LIMIT_EXCEEDED",
  "SOLD_OUT",
]);

/** A row of drop_claims as the driver returns it (snake_case; timestamps as text or Date). */
type ClaimRow = Record<string, unknown>;

const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const toDateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : toDate(v));

function claimFromRow(r: ClaimRow): Claim {
  return {
    id: r.id as string,
    coopId: r.coop_id as string,
    creatorId: r.creator_id as string,
    dropId: r.drop_id as string,
    memberUserId: r.member_user_id as string,
    quantity: Number(r.quantity),
    status: r.status as Claim["status"],
    takenFrom: (typeof r.taken_from === "string" ? JSON.parse(r.taken_from) : r.taken_from) as Record<string, number>,
    idempotencyKey: r.idempotency_key as string,
    lifetimeSubjectIds: r.lifetime_subject_ids as string[],
    expiresAt: toDate(r.expires_at),
    confirmedAt: toDateOrNull(r.confirmed_at),
    releasedAt: toDateOrNull(r.released_at),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
  };
}

/** A refusal of the claim statement as the AppError it stands for (anything else: unchanged). */
function refusal(error: unknown, dropId: string): unknown {
  const e = (error as { cause?: unknown }).cause ?? error;
  const { message, detail, hint } = e as { message?: string; detail?: string; hint?: string };
  const code = message?.startsWith("KILN_CLAIM:") ? message.slice("KILN_CLAIM:".length) : undefined;
  if (!code || !CLAIM_REFUSALS.has(code)) return error;
  // Every bucket was empty: a hot drop answers the next claims from memory (soldout.ts).
  if (code === "SOLD_OUT" && hint === "hot") markSoldOut(dropId);
  return new AppError(code as "SOLD_OUT", detail ?? code);
}

/**
 * The claim statement's parameters, in order (migration 0050, docs/decisions/019): `kiln_claim_drop`
 * runs the whole claim — idempotency key, gate, admission token, per-member and lifetime counters,
 * stock buckets, claim row — as kiln_system in one statement. `admission.requireAdmission`: a hot drop
 * needs (and consumes) the member's admission token.
 */
function claimParams(
  now: Date,
  memberUserId: string,
  value: { dropId: string; quantity: number; idempotencyKey: string },
  admission: { requireAdmission?: boolean; admissionToken?: string },
) {
  return [
    memberUserId,
    value.dropId,
    value.quantity,
    value.idempotencyKey,
    now.toISOString(),
    bucketSeed(memberUserId),
    DEFAULT_GRACE_DAYS,
    admission.requireAdmission === true,
    admission.admissionToken ? hashAdmissionToken(admission.admissionToken) : null,
  ] as const;
}

/**
 * Claims inside the caller's transaction (the waitlist's offers). The same statement as claimDrop.
 * `admissionToken`: required (and consumed) for a hot drop when `requireAdmission` (claimDrop sets it).
 */
export async function claimInTx(
  tx: Tx,
  now: Date,
  memberUserId: string,
  value: { dropId: string; quantity: number; idempotencyKey: string },
  admission: { requireAdmission?: boolean; admissionToken?: string } = {},
): Promise<Claim> {
  try {
    const [m, d, q, k, at, seed, grace, require, hash] = claimParams(now, memberUserId, value, admission);
    const [row] = await tx.execute<ClaimRow>(
      sql`select * from kiln_claim_drop(${m}, ${d}, ${q}, ${k}, ${at}, ${seed}, ${grace}, ${require}, ${hash})`,
    );
    return claimFromRow(row!);
  } catch (error) {
    throw refusal(error, value.dropId);
  }
}

/**
 * Claims units of a drop for a member: a `reserved` claim held for the drop's hold minutes. A retry
 * with the same idempotency key returns the same claim. Errors: NOT_FOUND (missing or unpublished),
 * NOT_OPEN (not open yet / closed), CONFLICT (key reused), NOT_ENTITLED, FORBIDDEN (a hot drop without
 * a valid admission token), LIMIT_EXCEEDED (per drop or lifetime), SOLD_OUT.
 *
 * One autocommit statement (no withSystem transaction around it: BEGIN, settings, role and COMMIT
 * were most of a claim's round-trips and of its CPU, docs/decisions/019); it returns after its commit.
 */
export async function claimDrop(
  rt: Runtime,
  member: MemberContext,
  input: ClaimInput,
  /** A hot drop's single-use admission token from its waiting room (admission.ts). */
  options: { admissionToken?: string } = {},
): Promise<Claim> {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to claim");
  const userId = member.userId;
  return runClaim(rt, input, (value, now) => {
    const [m, d, q, k, at, seed, grace, require, hash] = claimParams(now, userId, value, {
      requireAdmission: true,
      admissionToken: options.admissionToken,
    });
    return rt.database.sql<ClaimRow[]>`select * from kiln_claim_drop(${m}, ${d}, ${q}, ${k}, ${at}, ${seed},
      ${grace}, ${require}, ${hash})`;
  });
}

/** An API bearer token a claim comes with: its SHA-256, the scope it needs, how often to touch it. */
export interface ClaimApiToken {
  hash: string;
  scope: string;
  touchIntervalMs: number;
}

/**
 * claimDrop for the holder of an API token, checked by the claim's own statement
 * (kiln_claim_drop_with_token, docs/decisions/025): one round trip for the token and the claim.
 * UNAUTHENTICATED when the token is unknown, revoked or expired; FORBIDDEN without the scope. The
 * claim's `memberUserId` says whose token it was. A refusal also rolls back the statement's touch of
 * last_used_at.
 */
export async function claimDropWithApiToken(
  rt: Runtime,
  token: ClaimApiToken,
  input: ClaimInput,
  options: { admissionToken?: string } = {},
): Promise<Claim> {
  return runClaim(
    rt,
    input,
    (value, now) => rt.database.sql<ClaimRow[]>`select * from kiln_claim_drop_with_token(${token.hash},
      ${token.scope}, ${token.touchIntervalMs}, ${value.dropId}, ${value.quantity}, ${value.idempotencyKey},
      ${now.toISOString()}, ${DEFAULT_GRACE_DAYS}, ${true},
      ${options.admissionToken ? hashAdmissionToken(options.admissionToken) : null})`,
  );
}

/**
 * The claim statement as one autocommit round trip, tried again on a lost idempotency race or a
 * deadlock. postgres.js tagged templates are prepared once per connection: drizzle's execute would send
 * a describe round trip before every call (docs/decisions/025).
 */
async function runClaim(
  rt: Runtime,
  input: ClaimInput,
  statement: (value: ReturnType<typeof parseClaim>, now: Date) => Promise<ClaimRow[]>,
): Promise<Claim> {
  const value = parseClaim(input);
  // A hot drop known to be sold out is answered from memory, without the database (soldout.ts).
  if (isKnownSoldOut(value.dropId)) throw new AppError("SOLD_OUT", "Sold out");
  // In embedded mode there is one connection: inside a transaction this statement would wait for ever.
  if (isInTransaction())
    throw new Error("claimDrop inside withTenant/withSystem: use claimInTx with the open transaction");
  const now = rt.clock.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const [row] = await statement(value, now);
      return claimFromRow(row!);
    } catch (error) {
      // A concurrent request with the same key won (unique violation): the next round returns its claim.
      // A deadlock or serialization failure rolled everything back: trying again is safe.
      const code = pgCode(error);
      if (attempt < 3 && (code === "23505" || code === "40P01" || code === "40001")) continue;
      throw refusal(error, value.dropId);
    }
  }
}

const parseClaim = (input: ClaimInput) => parseInput(ClaimSchema, input);

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
