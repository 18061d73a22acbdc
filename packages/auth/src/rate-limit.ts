import { and, eq, lt, sql } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, type Tx } from "@kiln/db";

/**
 * Fixed-window counters in rate_limits, shared by every web process. Each hit is one atomic
 * upsert-increment, so concurrent attempts cannot slip past the limit. System context only
 * (kiln_app has no grant on the table).
 */

export interface RateLimitRule {
  /** Counter name, e.g. "sign-in:ip:203.0.113.9". */
  key: string;
  limit: number;
  windowMs: number;
}

export interface RateLimitHit {
  count: number;
  limited: boolean;
  retryAfterSeconds: number;
  /** The window the hit was counted in (for refundRateLimit). */
  windowStart: Date;
}

function windowOf(now: Date, windowMs: number) {
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  return {
    start: new Date(start),
    retryAfterSeconds: Math.max(1, Math.ceil((start + windowMs - now.getTime()) / 1000)),
  };
}

/** Counts one hit in the current window; `limited` once the count exceeds the limit. */
export async function hitRateLimit(tx: Tx, now: Date, rule: RateLimitRule): Promise<RateLimitHit> {
  const window = windowOf(now, rule.windowMs);
  // Earlier windows of this key are over: drop them so the table stays small.
  await tx
    .delete(schema.rateLimits)
    .where(and(eq(schema.rateLimits.key, rule.key), lt(schema.rateLimits.windowStart, window.start)));
  const [row] = await tx
    .insert(schema.rateLimits)
    .values({ key: rule.key, windowStart: window.start, count: 1 })
    .onConflictDoUpdate({
      target: [schema.rateLimits.key, schema.rateLimits.windowStart],
      set: { count: sql`${schema.rateLimits.count} + 1` },
    })
    .returning({ count: schema.rateLimits.count });
  const count = row?.count ?? 1;
  return {
    count,
    limited: count > rule.limit,
    retryAfterSeconds: window.retryAfterSeconds,
    windowStart: window.start,
  };
}

/**
 * Gives one hit back to the window it was counted in (e.g. an address's sign-in attempt that turned
 * out to be the right password: many people sign in from one shared address). Only allowed hits are
 * refunded, so the refused ones still count: the failures an address can make per window stay capped.
 */
export async function refundRateLimit(tx: Tx, key: string, windowStart: Date): Promise<void> {
  await tx
    .update(schema.rateLimits)
    .set({ count: sql`greatest(${schema.rateLimits.count} - 1, 0)` })
    .where(and(eq(schema.rateLimits.key, key), eq(schema.rateLimits.windowStart, windowStart)));
}

/** Forgets a key's counts (e.g. an account's failures after a successful sign-in). */
export async function resetRateLimit(tx: Tx, key: string): Promise<void> {
  await tx.delete(schema.rateLimits).where(eq(schema.rateLimits.key, key));
}

export function rateLimitedError(retryAfterSeconds: number): AppError {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return new AppError("RATE_LIMITED", `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`, {
    retryAfterSeconds,
  });
}
