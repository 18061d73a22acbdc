/**
 * The sold-out flag of hot drops (issue 8 §6): once a claim finds no unit left, this process answers
 * further claims and waiting-room polls for that drop with SOLD_OUT without touching the database.
 *
 * Limits (documented, by design): the flag lives in one process. A unit returned by expiry or a
 * cancellation clears it at once in the process that returned it; other processes keep answering
 * SOLD_OUT until their flag ages out after `SOLD_OUT_TTL_MS` (then the next claim asks the database
 * again). The flag only ever refuses, so it cannot oversell; the worst case with several processes is
 * a member told "sold out" for up to the TTL while a returned unit waits (the waitlist takes it anyway).
 * A retry of a claim that won before the sell-out may get SOLD_OUT from the flag instead of its claim;
 * GET /claims/{id} and the member's claims page still show it.
 */
export const SOLD_OUT_TTL_MS = 2_000;

const soldOutUntil = new Map<string, number>();

/** Remembers that the drop had no unit left just now (wall-clock TTL: it is about this process's freshness). */
export function markSoldOut(dropId: string, ttlMs = SOLD_OUT_TTL_MS): void {
  soldOutUntil.set(dropId, Date.now() + ttlMs);
}

/** True while this process's flag for the drop is fresh; no database access. */
export function isKnownSoldOut(dropId: string): boolean {
  const until = soldOutUntil.get(dropId);
  if (until === undefined) return false;
  if (until > Date.now()) return true;
  soldOutUntil.delete(dropId);
  return false;
}

/** Units came back (expiry, cancellation): forget the flag in this process. */
export function clearSoldOut(dropId: string): void {
  soldOutUntil.delete(dropId);
}
