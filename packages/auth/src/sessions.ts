import { and, eq, ne } from "drizzle-orm";
import { schema, withSystem, withTenant, type Runtime, type Tx } from "@kiln/db";
import { addMs, DAY_MS, generateRandomToken, hashToken } from "./tokens";
import { sessionUserColumns, type SessionUser } from "./users";

/**
 * Sessions after Lucia's guide (lucia-auth.com/sessions): the cookie holds a random token; the
 * database holds only its SHA-256 as the session id. Sessions last 30 days and slide forward when
 * fewer than 15 remain.
 */

export const SESSION_LIFETIME_MS = 30 * DAY_MS;
export const SESSION_RENEW_BEFORE_MS = 15 * DAY_MS;

export interface Session {
  id: string;
  userId: string;
  expiresAt: Date;
}

export interface SessionMeta {
  ip?: string | null;
  userAgent?: string | null;
}

export interface SessionValidation {
  session: Session;
  user: SessionUser;
  /** The expiry moved: the app must set the cookie again with the new expiry. */
  refreshed: boolean;
}

/** 20 random bytes, base32 lower case without padding (32 characters). */
export function generateSessionToken(): string {
  return generateRandomToken(20);
}

/** The session id for a token: hex(sha256(token)). */
export const sessionIdFromToken = hashToken;

/** Inserts a session inside an open transaction (system or the user's own context). */
export async function insertSession(
  tx: Tx,
  rt: Runtime,
  userId: string,
  meta: SessionMeta = {},
): Promise<{ token: string; session: Session }> {
  const token = generateSessionToken();
  const session: Session = {
    id: sessionIdFromToken(token),
    userId,
    expiresAt: addMs(rt.clock.now(), SESSION_LIFETIME_MS),
  };
  await tx.insert(schema.sessions).values({
    ...session,
    ip: meta.ip?.slice(0, 100) ?? null,
    userAgent: meta.userAgent?.slice(0, 500) ?? null,
  });
  return { token, session };
}

export async function createSession(
  rt: Runtime,
  userId: string,
  meta: SessionMeta = {},
): Promise<{ token: string; session: Session }> {
  return withTenant(rt, { userId }, (tx) => insertSession(tx, rt, userId, meta));
}

/** The session and user for a cookie's token, or null (unknown or expired; expired ones are deleted). */
export async function validateSessionToken(rt: Runtime, token: string): Promise<SessionValidation | null> {
  if (typeof token !== "string" || token.length === 0 || token.length > 200) return null;
  const id = sessionIdFromToken(token);
  const now = rt.clock.now();
  return withSystem(rt, "validate-session", async (tx) => {
    const [row] = await tx
      .select({
        session: { id: schema.sessions.id, userId: schema.sessions.userId, expiresAt: schema.sessions.expiresAt },
        user: sessionUserColumns,
      })
      .from(schema.sessions)
      .innerJoin(schema.users, eq(schema.users.id, schema.sessions.userId))
      .where(eq(schema.sessions.id, id));
    if (!row) return null;
    if (now.getTime() >= row.session.expiresAt.getTime()) {
      await tx.delete(schema.sessions).where(eq(schema.sessions.id, id));
      return null;
    }
    let refreshed = false;
    if (now.getTime() >= row.session.expiresAt.getTime() - SESSION_RENEW_BEFORE_MS) {
      row.session.expiresAt = addMs(now, SESSION_LIFETIME_MS);
      await tx.update(schema.sessions).set({ expiresAt: row.session.expiresAt }).where(eq(schema.sessions.id, id));
      refreshed = true;
    }
    return { session: row.session, user: row.user, refreshed };
  });
}

/** Signs one session out (the app clears the cookie). Unknown tokens are ignored. */
export async function invalidateSession(rt: Runtime, token: string): Promise<void> {
  if (typeof token !== "string" || token.length === 0 || token.length > 200) return;
  const id = sessionIdFromToken(token);
  await withSystem(rt, "sign-out", (tx) => tx.delete(schema.sessions).where(eq(schema.sessions.id, id)));
}

/** Signs a user out everywhere, or everywhere but the current session. */
export async function invalidateUserSessions(
  rt: Runtime,
  userId: string,
  options: { exceptSessionId?: string | null } = {},
): Promise<void> {
  await withTenant(rt, { userId }, (tx) => deleteUserSessions(tx, userId, options.exceptSessionId));
}

export async function deleteUserSessions(tx: Tx, userId: string, exceptSessionId?: string | null): Promise<void> {
  await tx
    .delete(schema.sessions)
    .where(
      exceptSessionId
        ? and(eq(schema.sessions.userId, userId), ne(schema.sessions.id, exceptSessionId))
        : eq(schema.sessions.userId, userId),
    );
}
