import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createUser, DEFAULT_TEST_PASSWORD } from "../../seed/src/factories";
import { verifyPassword } from "./password";
import { changePassword, requestPasswordReset, resetPassword } from "./password-changes";
import { createSession, validateSessionToken } from "./sessions";
import { signIn } from "./sign-in";
import { APP_URL, expectAppError, outboxFor, tokenFromText, uniqueEmail } from "./test-helpers";
import { hashToken, HOUR_MS, MINUTE_MS } from "./tokens";

const rt = await getTestRuntime();
const opts = { appUrl: APP_URL };
const NEW_PASSWORD = "a brand new passphrase";

async function passwordHashOf(userId: string) {
  const [row] = await withSystem(rt, "test", (tx) =>
    tx.select({ hash: schema.users.passwordHash }).from(schema.users).where(eq(schema.users.id, userId)),
  );
  return row!.hash;
}

async function resetTokenFor(email: string) {
  const mails = (await outboxFor(rt, email)).filter((m) => m.template === "reset-password");
  return tokenFromText(mails.at(-1)!.textBody, "/reset-password");
}

describe("changePassword", () => {
  it("changes the password, keeps the current session and signs out the others", async () => {
    const user = await createUser(rt);
    const current = await createSession(rt, user.id);
    const other = await createSession(rt, user.id);
    await changePassword(
      rt,
      {
        userId: user.id,
        currentPassword: DEFAULT_TEST_PASSWORD,
        newPassword: NEW_PASSWORD,
        currentSessionId: current.session.id,
      },
      opts,
    );
    expect(await verifyPassword(await passwordHashOf(user.id), NEW_PASSWORD)).toBe(true);
    expect(await validateSessionToken(rt, current.token)).not.toBeNull();
    expect(await validateSessionToken(rt, other.token)).toBeNull();
    const [notice] = await outboxFor(rt, user.email);
    expect(notice?.template).toBe("password-changed");
    await expectAppError(
      signIn(rt, { email: user.email, password: DEFAULT_TEST_PASSWORD, ip: null, userAgent: null }),
      "UNAUTHENTICATED",
    );
    await signIn(rt, { email: user.email, password: NEW_PASSWORD, ip: null, userAgent: null });
  });

  it("rejects a wrong current password or a weak new one as a field error and changes nothing", async () => {
    const user = await createUser(rt);
    const other = await createSession(rt, user.id);
    const before = await passwordHashOf(user.id);
    const wrong = await expectAppError(
      changePassword(
        rt,
        { userId: user.id, currentPassword: "not my password", newPassword: NEW_PASSWORD, currentSessionId: null },
        opts,
      ),
      "BAD_INPUT",
    );
    expect(wrong.fields).toEqual({ currentPassword: ["Your current password is incorrect"] });
    const weak = await expectAppError(
      changePassword(
        rt,
        { userId: user.id, currentPassword: DEFAULT_TEST_PASSWORD, newPassword: "short", currentSessionId: null },
        opts,
      ),
      "BAD_INPUT",
    );
    expect(weak.fields).toEqual({ newPassword: ["Use at least 10 characters for your password"] });
    expect(await passwordHashOf(user.id)).toBe(before);
    expect(await validateSessionToken(rt, other.token)).not.toBeNull();
    expect(await outboxFor(rt, user.email)).toHaveLength(0);
  });
});

describe("password reset", () => {
  it("is silent for an unknown address and sends nothing", async () => {
    const email = uniqueEmail("unknown");
    await expect(requestPasswordReset(rt, { email }, opts)).resolves.toBeUndefined();
    expect(await outboxFor(rt, email)).toHaveLength(0);
    await expectAppError(requestPasswordReset(rt, { email: "nope" }, opts), "BAD_INPUT");
  });

  it("emails a hashed, single-use link that sets the password and signs out everywhere", async () => {
    const user = await createUser(rt, { verified: false });
    const session = await createSession(rt, user.id);
    await requestPasswordReset(rt, { email: user.email.toUpperCase() }, opts);
    const token = await resetTokenFor(user.email);
    const [stored] = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.userTokens).where(eq(schema.userTokens.userId, user.id)),
    );
    expect(stored).toMatchObject({ kind: "reset_password", tokenHash: hashToken(token), usedAt: null });
    expect(stored!.expiresAt.getTime() - rt.clock.now().getTime()).toBe(HOUR_MS);

    expect(await resetPassword(rt, { token, newPassword: NEW_PASSWORD })).toEqual({ userId: user.id });
    expect(await verifyPassword(await passwordHashOf(user.id), NEW_PASSWORD)).toBe(true);
    expect(await validateSessionToken(rt, session.token)).toBeNull();
    // The link reached the inbox: the address counts as verified, so sign-in works.
    await signIn(rt, { email: user.email, password: NEW_PASSWORD, ip: null, userAgent: null });

    const again = await expectAppError(resetPassword(rt, { token, newPassword: "yet another password" }), "GONE");
    expect(again.message).toBe("This link has expired or was already used");
    expect(await verifyPassword(await passwordHashOf(user.id), NEW_PASSWORD)).toBe(true);
  });

  it("cannot be used twice even at the same time", async () => {
    const user = await createUser(rt);
    await requestPasswordReset(rt, { email: user.email }, opts);
    const token = await resetTokenFor(user.email);
    const results = await Promise.allSettled([
      resetPassword(rt, { token, newPassword: "first new password" }),
      resetPassword(rt, { token, newPassword: "second new password" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected");
    expect((rejected?.reason as { code?: string } | undefined)?.code).toBe("GONE");
  });

  it("expires after an hour", async () => {
    const { clock } = await getTestRuntime();
    const local = { ...rt, clock };
    const user = await createUser(local);
    await requestPasswordReset(local, { email: user.email }, opts);
    const token = await resetTokenFor(user.email);
    clock.advance(HOUR_MS);
    await expectAppError(resetPassword(local, { token, newPassword: NEW_PASSWORD }), "GONE");
    expect(await verifyPassword(await passwordHashOf(user.id), DEFAULT_TEST_PASSWORD)).toBe(true);
  });

  it("does not spend the link on a password that is too short", async () => {
    const user = await createUser(rt);
    await requestPasswordReset(rt, { email: user.email }, opts);
    const token = await resetTokenFor(user.email);
    const error = await expectAppError(resetPassword(rt, { token, newPassword: "short" }), "BAD_INPUT");
    expect(error.fields).toEqual({ newPassword: ["Use at least 10 characters for your password"] });
    await resetPassword(rt, { token, newPassword: NEW_PASSWORD });
  });

  it("spends earlier links when one is used, and sends at most three an hour", async () => {
    const { clock } = await getTestRuntime();
    const local = { ...rt, clock };
    const user = await createUser(local);
    await requestPasswordReset(local, { email: user.email }, opts);
    const first = await resetTokenFor(user.email);
    clock.advance(MINUTE_MS);
    await requestPasswordReset(local, { email: user.email }, opts);
    const second = await resetTokenFor(user.email);
    expect(second).not.toBe(first);
    await resetPassword(local, { token: second, newPassword: NEW_PASSWORD });
    await expectAppError(resetPassword(local, { token: first, newPassword: "another new password" }), "GONE");

    for (let i = 0; i < 3; i++) await requestPasswordReset(local, { email: user.email }, opts);
    expect((await outboxFor(rt, user.email)).filter((m) => m.template === "reset-password")).toHaveLength(3);
  });
});
