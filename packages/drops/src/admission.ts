import { createHash, createHmac, randomBytes } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { entitledTiers, type MemberContext } from "./claims";
import { isKnownSoldOut, markSoldOut } from "./soldout";
import { requireCreatorScope } from "./validate";

/**
 * Hot-drop admission (issue 8 §6, research/performance-2026.md §1.1.6 and §7). A drop marked hot has a
 * waiting room: the page is static and cacheable; the browser polls `pollQueue` for its place.
 *
 * - Members who enter before opening are placed in random order when the room is sealed at opening: a
 *   shuffle keyed by a secret seed drawn at that moment (nobody, the operator included, knows it
 *   before), so arriving early or with a fast connection buys nothing. Later entrants queue first come,
 *   first served behind them.
 * - From opening, the first `admitFirst(drop)` places are admitted, then `admitPerMinute(drop)` more
 *   every minute (units come back as holds expire). An admitted member's poll returns a single-use
 *   admission token bound to the member and the drop; a claim on a hot drop consumes it in the claim's
 *   own transaction (claims.ts) — without one the claim is refused, for API tokens too.
 * - Polls and claims are rate limited per member and per IP (in process: each process counts its own
 *   requests, so with N processes behind a balancer the effective limit is up to N times higher).
 * - A sold-out drop is answered from memory (soldout.ts) without touching the database.
 */

export const POLL_AFTER_SECONDS = 5;

type DropRow = typeof schema.drops.$inferSelect;

/** Places admitted at opening: one per unit (fewer claimants than units never queue). */
export const admitFirst = (drop: Pick<DropRow, "quantity">) => drop.quantity;

/** Places admitted per minute after opening: about the units a minute of expiring holds can return. */
export const admitPerMinute = (drop: Pick<DropRow, "quantity" | "holdMinutes">) =>
  Math.max(1, Math.ceil(drop.quantity / drop.holdMinutes));

/** How many places are admitted at `now` (0 before opening). */
export function admittedUpTo(drop: Pick<DropRow, "quantity" | "holdMinutes" | "opensAt">, now: Date): number {
  const since = now.getTime() - drop.opensAt.getTime();
  if (since < 0) return 0;
  return admitFirst(drop) + Math.floor(since / 60_000) * admitPerMinute(drop);
}

/** Seconds until `position` is admitted. */
export function etaSeconds(drop: Pick<DropRow, "quantity" | "holdMinutes" | "opensAt">, position: number, now: Date) {
  const untilOpen = Math.max(0, Math.ceil((drop.opensAt.getTime() - now.getTime()) / 1000));
  if (position <= admitFirst(drop)) return untilOpen;
  const minutes = Math.ceil((position - admitFirst(drop)) / admitPerMinute(drop));
  const at = drop.opensAt.getTime() + minutes * 60_000;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * The order of the early entrants for a seed: sorted by HMAC-SHA256(seed, member id). A permutation of
 * the input, the same for the same seed, unpredictable without it.
 */
export function shuffleOrder(seed: string, memberUserIds: readonly string[]): string[] {
  const keyed = memberUserIds.map((id) => ({ id, key: createHmac("sha256", seed).update(id).digest("hex") }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
  return keyed.map((k) => k.id);
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** How an admission token is stored and compared (the claim statement compares hashes, claims.ts). */
export const hashAdmissionToken = hashToken;

// ---------- rate limits (in process) ----------

export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** Per member: one poll every ~2 s with a little slack; per IP: a shared household or office. */
export const RATE_LIMITS = {
  pollMember: { limit: 6, windowMs: 10_000 },
  pollIp: { limit: 120, windowMs: 10_000 },
  claimMember: { limit: 5, windowMs: 10_000 },
  claimIp: { limit: 60, windowMs: 10_000 },
} satisfies Record<string, RateLimit>;

/** Fixed-window counters; `take` throws RATE_LIMITED with Retry-After seconds. */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  take(key: string, rule: RateLimit): void {
    const now = this.nowMs();
    const window = this.count(key, rule);
    if (window.count > rule.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.start + rule.windowMs - now) / 1000));
      throw new AppError("RATE_LIMITED", "Too many requests; try again shortly", { retryAfterSeconds });
    }
  }

  /** Counts one request in the key's window without refusing it; returns the window. */
  count(key: string, rule: RateLimit): { start: number; count: number } {
    const now = this.nowMs();
    let window = this.windows.get(key);
    if (!window || now - window.start >= rule.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      if (this.windows.size > 100_000) this.prune(now, rule.windowMs);
    }
    window.count++;
    return window;
  }

  private prune(now: number, windowMs: number) {
    for (const [key, w] of this.windows) if (now - w.start >= windowMs) this.windows.delete(key);
  }
}

/** The process-wide limiter the routes use (tests pass their own). */
export const admissionLimiter = new RateLimiter();

/**
 * Checks the member's and the IP's limits for a poll or a claim on a hot drop. `memberUserId` null: the
 * member is not known yet (an API token this process has not seen); count the request for them with
 * `countRequest` once the answer says who they are.
 */
export function limitRequest(
  kind: "poll" | "claim",
  who: { memberUserId: string | null; ip: string | null },
  limiter: RateLimiter = admissionLimiter,
): void {
  if (who.memberUserId !== null) limiter.take(`${kind}:m:${who.memberUserId}`, memberRule(kind));
  if (who.ip) limiter.take(`${kind}:ip:${who.ip}`, kind === "poll" ? RATE_LIMITS.pollIp : RATE_LIMITS.claimIp);
}

/** Counts a request that has already been answered towards the member's limit (never refuses it). */
export function countRequest(kind: "poll" | "claim", memberUserId: string, limiter: RateLimiter = admissionLimiter) {
  limiter.count(`${kind}:m:${memberUserId}`, memberRule(kind));
}

const memberRule = (kind: "poll" | "claim") => (kind === "poll" ? RATE_LIMITS.pollMember : RATE_LIMITS.claimMember);

// ---------- the waiting room ----------

export type QueueStatus =
  | { state: "sold_out"; pollAfterSeconds: number }
  | { state: "waiting"; position: number | null; etaSeconds: number; pollAfterSeconds: number }
  | { state: "admitted"; position: number; token: string; pollAfterSeconds: number }
  | { state: "claimed"; position: number; claimId: string | null; pollAfterSeconds: number };

async function hotDrop(tx: Tx, dropId: string): Promise<DropRow> {
  const [found] = await tx
    .select({ drop: schema.drops })
    .from(schema.drops)
    .innerJoin(schema.creators, eq(schema.creators.id, schema.drops.creatorId))
    .where(and(eq(schema.drops.id, dropId), eq(schema.drops.isPublished, true), eq(schema.creators.isPublished, true)));
  if (!found) throw new AppError("NOT_FOUND", "Drop not found");
  if (!found.drop.isHot) throw new AppError("CONFLICT", "This drop has no waiting room; claim it directly");
  return found.drop;
}

/**
 * Seals the room at opening (once): draws the secret seed and gives every early entrant their place.
 * Concurrent sealers: the insert of the seal row decides; the losers wait for it and read its count.
 */
async function seal(tx: Tx, drop: DropRow, now: Date): Promise<number> {
  const seed = randomBytes(32).toString("base64url");
  const [sealed] = await tx.execute<{ drop_id: string }>(sql`
    insert into drop_queue_seals (drop_id, coop_id, creator_id, seed, early_count, sealed_at)
    values (${drop.id}, ${drop.coopId}, ${drop.creatorId}, ${seed}, 0, ${now.toISOString()})
    on conflict (drop_id) do nothing returning drop_id`);
  if (!sealed) {
    const [row] = await tx.execute<{ early_count: number }>(
      sql`select early_count from drop_queue_seals where drop_id = ${drop.id}`,
    );
    return row!.early_count;
  }
  const early = await tx.execute<{ member_user_id: string }>(
    sql`select member_user_id from drop_queue where drop_id = ${drop.id} and early order by member_user_id for update`,
  );
  const order = shuffleOrder(
    seed,
    early.map((r) => r.member_user_id),
  );
  if (order.length) {
    await tx.execute(sql`
      update drop_queue q set position = o.position
      from unnest(${`{${order.join(",")}}`}::uuid[]) with ordinality as o(member_user_id, position)
      where q.drop_id = ${drop.id} and q.member_user_id = o.member_user_id`);
    await tx.execute(sql`update drop_queue_seals set early_count = ${order.length} where drop_id = ${drop.id}`);
  }
  return order.length;
}

/**
 * Enters the member into a hot drop's waiting room (idempotent) and tells them where they stand; an
 * admitted member gets a fresh single-use admission token (a new poll replaces an unused one).
 */
export async function pollQueue(
  rt: Runtime,
  member: MemberContext,
  dropId: string,
  options: { ip?: string | null; limiter?: RateLimiter } = {},
): Promise<QueueStatus> {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to queue");
  limitRequest("poll", { memberUserId: member.userId, ip: options.ip ?? null }, options.limiter);
  if (isKnownSoldOut(dropId)) return { state: "sold_out", pollAfterSeconds: POLL_AFTER_SECONDS * 6 };
  const now = rt.clock.now();
  const result = await withSystem(rt, "drops-queue-poll", async (tx): Promise<QueueStatus | "sold_out"> => {
    const drop = await hotDrop(tx, dropId);
    if (drop.closesAt && drop.closesAt <= now) throw new AppError("CONFLICT", "This drop has closed");
    // Only members who may claim take a place (the claim checks the gate again, early access included).
    const gateTiers = [...drop.tierIds, ...drop.earlyAccessTierIds];
    const entitled = await entitledTiers(tx, member.userId, gateTiers, now);
    if (drop.tierIds.length && !gateTiers.some((t) => entitled.has(t)))
      throw new AppError("NOT_ENTITLED", "This drop is for members of another tier");
    const isOpen = drop.opensAt <= now;
    await tx.execute(sql`
      insert into drop_queue (drop_id, member_user_id, coop_id, creator_id, early, entered_at)
      values (${drop.id}, ${member.userId}, ${drop.coopId}, ${drop.creatorId}, ${!isOpen}, ${now.toISOString()})
      on conflict (drop_id, member_user_id) do nothing`);
    if (!isOpen)
      return {
        state: "waiting",
        position: null,
        etaSeconds: etaSeconds(drop, 1, now),
        pollAfterSeconds: POLL_AFTER_SECONDS,
      };
    const [stock] = await tx.execute<{ remaining: number }>(
      sql`select coalesce(sum(remaining), 0)::int as remaining from drop_stock where drop_id = ${drop.id}`,
    );
    if ((stock?.remaining ?? 0) === 0) return "sold_out";
    const earlyCount = await seal(tx, drop, now);
    const [me] = await tx
      .select()
      .from(schema.dropQueue)
      .where(and(eq(schema.dropQueue.dropId, drop.id), eq(schema.dropQueue.memberUserId, member.userId)));
    let position = me!.position;
    if (position === null) {
      // Late (or entered while the room was being sealed): first come, first served behind the early ones.
      const [ahead] = await tx.execute<{ n: number }>(sql`
        select count(*)::int as n from drop_queue
        where drop_id = ${drop.id} and position is null and seq <= ${me!.seq}`);
      position = earlyCount + (ahead?.n ?? 1);
    }
    if (me!.tokenUsedAt) return { state: "claimed", position, claimId: me!.claimId, pollAfterSeconds: 0 };
    if (position > admittedUpTo(drop, now))
      return {
        state: "waiting",
        position,
        etaSeconds: etaSeconds(drop, position, now),
        pollAfterSeconds: POLL_AFTER_SECONDS,
      };
    const token = `adm_${randomBytes(24).toString("base64url")}`;
    await tx
      .update(schema.dropQueue)
      .set({ tokenHash: hashToken(token), tokenIssuedAt: now })
      .where(
        and(
          eq(schema.dropQueue.dropId, drop.id),
          eq(schema.dropQueue.memberUserId, member.userId),
          isNull(schema.dropQueue.tokenUsedAt),
        ),
      );
    return { state: "admitted", position, token, pollAfterSeconds: 0 };
  });
  if (result === "sold_out") {
    markSoldOut(dropId);
    return { state: "sold_out", pollAfterSeconds: POLL_AFTER_SECONDS * 6 };
  }
  return result;
}

/** The creator marks their drop hot (a waiting room) or not. */
export async function setDropHot(rt: Runtime, ctx: TenantContext, dropId: string, isHot: boolean): Promise<void> {
  const scope = requireCreatorScope(ctx);
  await withTenant(rt, ctx, async (tx) => {
    const [drop] = await tx
      .update(schema.drops)
      .set({ isHot, updatedAt: rt.clock.now() })
      .where(and(eq(schema.drops.id, dropId), eq(schema.drops.creatorId, scope.creatorId)))
      .returning({ id: schema.drops.id });
    if (!drop) throw new AppError("NOT_FOUND", "Drop not found");
  });
}
