import { eq } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { hashPassword, verifyPassword } from "./password";
import { hitRateLimit, rateLimitedError, refundRateLimit, resetRateLimit } from "./rate-limit";
import { SignInSchema } from "./schemas";
import { insertSession } from "./sessions";
import { MINUTE_MS } from "./tokens";
import type { SessionUser } from "./users";
import { parseInput } from "./validate";

/** Per account: 5 failed attempts per 15 minutes (a success clears the count). */
export const SIGN_IN_ACCOUNT_LIMIT = { limit: 5, windowMs: 15 * MINUTE_MS };
/** Per client address: 20 failed attempts per 15 minutes (a right password gives its attempt back). */
export const SIGN_IN_IP_LIMIT = { limit: 20, windowMs: 15 * MINUTE_MS };
/**
 * Per client address, every attempt, right or wrong: 300 per 15 minutes. Many people may share one
 * address, but each attempt costs an argon2id hash, so one valid account cannot make the server hash
 * without end (docs/decisions/002).
 */
export const SIGN_IN_IP_ALL_LIMIT = { limit: 300, windowMs: 15 * MINUTE_MS };

export const signInAccountKey = (email: string) => `sign-in:account:${email}`;
export const signInIpKey = (ip: string) => `sign-in:ip:${ip}`;
export const signInIpAllKey = (ip: string) => `sign-in:ip-all:${ip}`;

export interface SignInInput {
  email: unknown;
  password: unknown;
  /** The client's address as the app determined it (TRUST_PROXY decides on forwarded headers). */
  ip: string | null;
  userAgent: string | null;
}

export interface SignInResult {
  token: string;
  expiresAt: Date;
  user: SessionUser;
}

/** Verifying against this when the address has no account keeps the answer time the same. */
let dummyHash: Promise<string> | undefined;

const wrongCredentials = () => new AppError("UNAUTHENTICATED", "Email or password is incorrect");

/**
 * Checks email and password and opens a session. Attempts are counted before the password is
 * checked (atomic upsert-increment), so a burst of parallel guesses cannot exceed the limits.
 */
export async function signIn(rt: Runtime, input: SignInInput): Promise<SignInResult> {
  const { email, password } = parseInput(SignInSchema, { email: input.email, password: input.password });
  const ip = input.ip?.trim() || null;
  const accountKey = signInAccountKey(email);

  const user = await withSystem(rt, "sign-in", async (tx) => {
    const now = rt.clock.now();
    let ipWindow: Date | null = null;
    if (ip) {
      const all = await hitRateLimit(tx, now, { key: signInIpAllKey(ip), ...SIGN_IN_IP_ALL_LIMIT });
      if (all.limited) return { ok: false, retryAfterSeconds: all.retryAfterSeconds } as const;
      const hit = await hitRateLimit(tx, now, { key: signInIpKey(ip), ...SIGN_IN_IP_LIMIT });
      if (hit.limited) return { ok: false, retryAfterSeconds: hit.retryAfterSeconds } as const;
      ipWindow = hit.windowStart;
    }
    const hit = await hitRateLimit(tx, now, { key: accountKey, ...SIGN_IN_ACCOUNT_LIMIT });
    if (hit.limited) return { ok: false, retryAfterSeconds: hit.retryAfterSeconds } as const;
    const [row] = await tx.select().from(schema.users).where(eq(schema.users.email, email));
    return { ok: true, row, ipWindow } as const;
  });
  /** The right password: the account's failures are forgotten and the address gets its attempt back. */
  const forgetAttempts = async (tx: Tx) => {
    await resetRateLimit(tx, accountKey);
    if (ip && user.ok && user.ipWindow) await refundRateLimit(tx, signInIpKey(ip), user.ipWindow);
  };
  // Thrown after the transaction committed, so the counted attempt stays counted.
  if (!user.ok) throw rateLimitedError(user.retryAfterSeconds);

  const row = user.row;
  const matches = await verifyPassword(
    row?.passwordHash ?? (await (dummyHash ??= hashPassword("kiln-dummy-password"))),
    password,
  );
  if (!row || !matches) throw wrongCredentials();

  if (!row.emailVerifiedAt) {
    await withSystem(rt, "sign-in", forgetAttempts);
    throw new AppError(
      "FORBIDDEN",
      "Please confirm your email address first: open the link we sent you, or ask for a new one.",
      {
        fields: { email: ["Confirm this email address first: open the link we sent you, or ask for a new one."] },
      },
    );
  }

  const { token, session } = await withSystem(rt, "sign-in", async (tx) => {
    await forgetAttempts(tx);
    return insertSession(tx, rt, row.id, { ip, userAgent: input.userAgent });
  });
  return {
    token,
    expiresAt: session.expiresAt,
    user: {
      id: row.id,
      email: row.email,
      displayName: row.displayName,
      locale: row.locale,
      country: row.country,
      usState: row.usState,
      emailVerifiedAt: row.emailVerifiedAt,
    },
  };
}
