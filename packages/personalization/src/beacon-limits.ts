import { AppError } from "@kiln/core";
import { RateLimiter } from "@kiln/drops";

type RateLimit = Parameters<RateLimiter["take"]>[1];

/**
 * Rate limits of the page-view beacon (POST /api/v1/personalization/views), like the waiting room's
 * (packages/drops/src/admission.ts): fixed windows counted in process, per member and per client
 * address, answered 429 with Retry-After. A person reading product pages reports a view every few
 * seconds at most; the per-address limit leaves room for a household or office behind one address.
 * With N web processes behind a balancer the effective limit is up to N times higher (decision 021).
 */
export const VIEW_BEACON_LIMITS = {
  member: { limit: 30, windowMs: 60_000 },
  ip: { limit: 600, windowMs: 60_000 },
} satisfies Record<string, RateLimit>;

/** The process-wide limiter the route uses (tests pass their own). */
export const viewBeaconLimiter = new RateLimiter();

function take(limiter: RateLimiter, key: string, rule: RateLimit, who: string): void {
  try {
    limiter.take(key, rule);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== "RATE_LIMITED") throw error;
    const seconds = error.retryAfterSeconds ?? 1;
    throw new AppError(
      "RATE_LIMITED",
      `Too many page views reported ${who}: at most ${rule.limit} a minute. Try again in ${seconds} s.`,
      { retryAfterSeconds: seconds },
    );
  }
}

/** Counts one beacon from this address (before sign-in is checked, so floods stop early). */
export function limitViewBeaconByIp(ip: string | null, limiter: RateLimiter = viewBeaconLimiter): void {
  if (ip) take(limiter, `views:ip:${ip}`, VIEW_BEACON_LIMITS.ip, "from your network address");
}

/** Counts one beacon of this member. */
export function limitViewBeaconByMember(memberUserId: string, limiter: RateLimiter = viewBeaconLimiter): void {
  take(limiter, `views:m:${memberUserId}`, VIEW_BEACON_LIMITS.member, "for your account");
}
