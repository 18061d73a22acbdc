import { and, eq, gt, isNull } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { appLink, sendAccountEmail } from "./emails";
import { hashPassword } from "./password";
import { hitRateLimit } from "./rate-limit";
import { RequestResetSchema, SignUpSchema } from "./schemas";
import { addMs, generateRandomToken, hashToken, HOUR_MS } from "./tokens";
import { parseInput } from "./validate";

export const VERIFY_EMAIL_TOKEN_LIFETIME_MS = 24 * HOUR_MS;

export interface LinkOptions {
  /** Public origin of the app, e.g. "https://kiln.example" (Config.appUrl). */
  appUrl: string;
}

type UserTokenKind = (typeof schema.userTokenKind.enumValues)[number];

/** A single-use emailed token: 32 random bytes; the row keeps only its SHA-256. */
export async function insertUserToken(
  tx: Tx,
  rt: Runtime,
  userId: string,
  kind: UserTokenKind,
  lifetimeMs: number,
): Promise<string> {
  const token = generateRandomToken(32);
  await tx.insert(schema.userTokens).values({
    userId,
    kind,
    tokenHash: hashToken(token),
    expiresAt: addMs(rt.clock.now(), lifetimeMs),
  });
  return token;
}

/**
 * Consumes a single-use token: one conditional update, so two concurrent uses cannot both succeed.
 * Returns the user id, or undefined when the token is unknown, used or expired.
 */
export async function consumeUserToken(tx: Tx, rt: Runtime, kind: UserTokenKind, token: string) {
  if (typeof token !== "string" || token.length === 0 || token.length > 200) return undefined;
  const now = rt.clock.now();
  const t = schema.userTokens;
  const [row] = await tx
    .update(t)
    .set({ usedAt: now })
    .where(and(eq(t.tokenHash, hashToken(token)), eq(t.kind, kind), isNull(t.usedAt), gt(t.expiresAt, now)))
    .returning({ userId: t.userId });
  return row?.userId;
}

export const linkExpiredError = () => new AppError("GONE", "This link has expired or was already used");

async function sendVerification(
  tx: Tx,
  rt: Runtime,
  user: { id: string; email: string; displayName: string; locale: string | null },
  appUrl: string,
) {
  const token = await insertUserToken(tx, rt, user.id, "verify_email", VERIFY_EMAIL_TOKEN_LIFETIME_MS);
  await sendAccountEmail(tx, "verify-email", user, {
    name: user.displayName,
    link: appLink(appUrl, "/verify-email", token),
  });
}

/**
 * Creates an unverified account and emails a verification link. When the address already has an
 * account, nothing is created and that address is told someone tried to sign up with it; the caller
 * cannot tell the difference (the app shows "check your inbox" either way) except that `userId` is
 * null, so it can never sign anyone in as the existing account.
 */
export async function signUp(rt: Runtime, input: unknown, options: LinkOptions): Promise<{ userId: string | null }> {
  const data = parseInput(SignUpSchema, input);
  const passwordHash = await hashPassword(data.password);
  return withSystem(rt, "sign-up", async (tx) => {
    const [created] = await tx
      .insert(schema.users)
      .values({ email: data.email, displayName: data.displayName, passwordHash, locale: data.locale ?? null })
      .onConflictDoNothing({ target: schema.users.email })
      .returning();
    if (created) {
      await sendVerification(tx, rt, created, options.appUrl);
      return { userId: created.id };
    }
    const [existing] = await tx.select().from(schema.users).where(eq(schema.users.email, data.email));
    if (existing) {
      // One such warning per address and hour is enough (and keeps this from being a mail cannon).
      const hit = await hitRateLimit(tx, rt.clock.now(), {
        key: `sign-up-existing:${existing.id}`,
        limit: 1,
        windowMs: HOUR_MS,
      });
      if (!hit.limited) {
        await sendAccountEmail(
          tx,
          "sign-up-existing",
          { email: existing.email, locale: existing.locale ?? data.locale },
          {
            name: existing.displayName,
            signInLink: appLink(options.appUrl, "/sign-in"),
            resetLink: appLink(options.appUrl, "/forgot-password"),
          },
        );
      }
    }
    return { userId: null };
  });
}

/** Marks the email verified. Unknown, used or expired token: GONE. */
export async function verifyEmail(rt: Runtime, token: string): Promise<{ userId: string }> {
  return withSystem(rt, "verify-email", async (tx) => {
    const userId = await consumeUserToken(tx, rt, "verify_email", token);
    if (!userId) throw linkExpiredError();
    const [user] = await tx
      .select({ at: schema.users.emailVerifiedAt })
      .from(schema.users)
      .where(eq(schema.users.id, userId));
    if (user && !user.at) {
      await tx
        .update(schema.users)
        .set({ emailVerifiedAt: rt.clock.now(), updatedAt: rt.clock.now() })
        .where(eq(schema.users.id, userId));
    }
    return { userId };
  });
}

/**
 * Sends a fresh verification link when the address has an unverified account; otherwise does
 * nothing, and either way says nothing (no account enumeration). At most 3 per address and hour.
 */
export async function resendVerification(rt: Runtime, email: unknown, options: LinkOptions): Promise<void> {
  const { email: address } = parseInput(RequestResetSchema, { email });
  await withSystem(rt, "resend-verification", async (tx) => {
    const [user] = await tx.select().from(schema.users).where(eq(schema.users.email, address));
    if (!user || user.emailVerifiedAt) return;
    const hit = await hitRateLimit(tx, rt.clock.now(), { key: `verify-email:${user.id}`, limit: 3, windowMs: HOUR_MS });
    if (hit.limited) return;
    await sendVerification(tx, rt, user, options.appUrl);
  });
}
