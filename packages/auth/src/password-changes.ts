import { and, eq, isNull } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime } from "@kiln/db";
import { appLink, sendAccountEmail } from "./emails";
import { hashPassword, verifyPassword } from "./password";
import { hitRateLimit } from "./rate-limit";
import { ChangePasswordSchema, RequestResetSchema, ResetPasswordSchema } from "./schemas";
import { deleteUserSessions } from "./sessions";
import { consumeUserToken, insertUserToken, linkExpiredError, type LinkOptions } from "./sign-up";
import { HOUR_MS } from "./tokens";
import { parseInput } from "./validate";

export const RESET_TOKEN_LIFETIME_MS = HOUR_MS;

export interface ChangePasswordInput {
  userId: string;
  currentPassword: unknown;
  newPassword: unknown;
  /** The session making the change stays signed in; every other one is signed out. */
  currentSessionId: string | null;
}

/**
 * Changes the password after checking the current one; signs out the user's other sessions. With
 * `options.appUrl`, the user is also told by email (with a reset link, in case it was not them).
 */
export async function changePassword(rt: Runtime, input: ChangePasswordInput, options?: LinkOptions): Promise<void> {
  const data = parseInput(ChangePasswordSchema, {
    currentPassword: input.currentPassword,
    newPassword: input.newPassword,
  });
  const { userId } = input;
  const [user] = await withTenant(rt, { userId }, (tx) =>
    tx.select().from(schema.users).where(eq(schema.users.id, userId)),
  );
  if (!user) throw new AppError("UNAUTHENTICATED", "Please sign in again");
  if (!(await verifyPassword(user.passwordHash, data.currentPassword))) {
    throw new AppError("BAD_INPUT", "Your current password is incorrect", {
      fields: { currentPassword: ["Your current password is incorrect"] },
    });
  }
  const passwordHash = await hashPassword(data.newPassword);
  // System context: the notice goes through the outbox, which kiln_app may write only inside a co-op.
  await withSystem(rt, "change-password", async (tx) => {
    await tx.update(schema.users).set({ passwordHash, updatedAt: rt.clock.now() }).where(eq(schema.users.id, userId));
    await deleteUserSessions(tx, userId, input.currentSessionId);
    if (options) {
      await sendAccountEmail(tx, "password-changed", user, {
        name: user.displayName,
        resetLink: appLink(options.appUrl, "/forgot-password"),
      });
    }
  });
}

/**
 * Emails a one-hour, single-use reset link when the address has an account; says nothing either
 * way. At most 3 links per address and hour (further requests are dropped silently).
 */
export async function requestPasswordReset(rt: Runtime, input: unknown, options: LinkOptions): Promise<void> {
  const { email } = parseInput(RequestResetSchema, input);
  await withSystem(rt, "request-password-reset", async (tx) => {
    const [user] = await tx.select().from(schema.users).where(eq(schema.users.email, email));
    if (!user) return;
    const hit = await hitRateLimit(tx, rt.clock.now(), {
      key: `reset-password:${user.id}`,
      limit: 3,
      windowMs: HOUR_MS,
    });
    if (hit.limited) return;
    const token = await insertUserToken(tx, rt, user.id, "reset_password", RESET_TOKEN_LIFETIME_MS);
    await sendAccountEmail(tx, "reset-password", user, {
      name: user.displayName,
      link: appLink(options.appUrl, "/reset-password", token),
    });
  });
}

/**
 * Sets a new password from an emailed link. The token is consumed by a conditional update (it works
 * once, even under concurrency); all sessions are signed out; the email counts as verified, since
 * the link reached it. Bad input consumes nothing.
 */
export async function resetPassword(rt: Runtime, input: unknown): Promise<{ userId: string }> {
  const data = parseInput(ResetPasswordSchema, input);
  const passwordHash = await hashPassword(data.newPassword);
  return withSystem(rt, "reset-password", async (tx) => {
    const userId = await consumeUserToken(tx, rt, "reset_password", data.token);
    if (!userId) throw linkExpiredError();
    const now = rt.clock.now();
    const [user] = await tx.select().from(schema.users).where(eq(schema.users.id, userId));
    await tx
      .update(schema.users)
      .set({ passwordHash, updatedAt: now, emailVerifiedAt: user?.emailVerifiedAt ?? now })
      .where(eq(schema.users.id, userId));
    // Other reset links sent before this one are spent too.
    await tx
      .update(schema.userTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(schema.userTokens.userId, userId),
          eq(schema.userTokens.kind, "reset_password"),
          isNull(schema.userTokens.usedAt),
        ),
      );
    await deleteUserSessions(tx, userId);
    return { userId };
  });
}
