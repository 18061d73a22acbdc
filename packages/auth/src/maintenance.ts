import { and, isNotNull, lt, lte, or } from "drizzle-orm";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { DAY_MS } from "./tokens";

/**
 * Housekeeping for a periodic job (the app's worker registers it): drops expired sessions, spent or
 * expired emailed tokens older than a day, and rate-limit windows older than a day.
 */
export async function deleteExpiredAuthRows(
  rt: Runtime,
): Promise<{ sessions: number; userTokens: number; rateLimits: number }> {
  const now = rt.clock.now();
  const dayAgo = new Date(now.getTime() - DAY_MS);
  return withSystem(rt, "auth-cleanup", async (tx) => {
    const sessions = await tx
      .delete(schema.sessions)
      .where(lte(schema.sessions.expiresAt, now))
      .returning({ id: schema.sessions.id });
    const userTokens = await tx
      .delete(schema.userTokens)
      .where(
        or(
          lt(schema.userTokens.expiresAt, dayAgo),
          and(isNotNull(schema.userTokens.usedAt), lt(schema.userTokens.usedAt, dayAgo)),
        ),
      )
      .returning({ id: schema.userTokens.id });
    const rateLimits = await tx
      .delete(schema.rateLimits)
      .where(lt(schema.rateLimits.windowStart, dayAgo))
      .returning({ key: schema.rateLimits.key });
    return { sessions: sessions.length, userTokens: userTokens.length, rateLimits: rateLimits.length };
  });
}
