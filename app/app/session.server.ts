import { readCookie, serializeCookie } from "./cookies.server";

/** The session cookie carries the random token; the database stores only its SHA-256 (Lucia's design). */
export const SESSION_COOKIE = "kiln_session";

export const getSessionToken = (request: Pick<Request, "headers">): string | null => {
  const token = readCookie(request, SESSION_COOKIE);
  return token && token.length <= 200 ? token : null;
};

export const sessionCookie = (token: string, expiresAt: Date, secure: boolean): string =>
  serializeCookie(SESSION_COOKIE, token, { expires: expiresAt, httpOnly: true, secure, sameSite: "Lax" });

export const clearSessionCookie = (secure: boolean): string =>
  serializeCookie(SESSION_COOKIE, "", { maxAge: 0, expires: new Date(0), httpOnly: true, secure, sameSite: "Lax" });
