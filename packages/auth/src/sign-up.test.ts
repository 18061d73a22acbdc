import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createUser } from "../../seed/src/factories";
import { resendVerification, signUp, verifyEmail } from "./sign-up";
import { APP_URL, countRows, expectAppError, outboxFor, tokenFromText, uniqueEmail } from "./test-helpers";
import { hashToken, HOUR_MS } from "./tokens";

const rt = await getTestRuntime();
const opts = { appUrl: APP_URL };
const password = "a long enough password";

async function userByEmail(email: string) {
  const [user] = await withSystem(rt, "test", (tx) =>
    tx.select().from(schema.users).where(eq(schema.users.email, email)),
  );
  return user;
}

describe("signUp", () => {
  it("creates an unverified user with a normalised email and emails a verification link", async () => {
    const email = uniqueEmail("signup");
    const { userId } = await signUp(rt, { displayName: " Ada ", email: `  ${email.toUpperCase()} `, password }, opts);
    const user = await userByEmail(email);
    expect(user?.id).toBe(userId);
    expect(user?.displayName).toBe("Ada");
    expect(user?.emailVerifiedAt).toBeNull();
    expect(user?.passwordHash).toMatch(/^\$argon2id\$/);

    const mails = await outboxFor(rt, email);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ template: "verify-email", locale: "en", coopId: null, status: "pending" });
    expect(mails[0]!.subject).toBe("Confirm your email address for Kiln");
    const token = tokenFromText(mails[0]!.textBody, "/verify-email");

    // Only the SHA-256 of the token is stored.
    const tokens = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.userTokens).where(eq(schema.userTokens.userId, userId!)),
    );
    expect(tokens).toHaveLength(1);
    expect(tokens[0]!.tokenHash).toBe(hashToken(token));
    expect(tokens[0]!.tokenHash).not.toContain(token);
    expect(tokens[0]!.expiresAt.getTime() - rt.clock.now().getTime()).toBe(24 * HOUR_MS);
  });

  it("writes the email in German for locale de", async () => {
    const email = uniqueEmail("de");
    await signUp(rt, { displayName: "Grete", email, password, locale: "de" }, opts);
    const [mail] = await outboxFor(rt, email);
    expect(mail).toMatchObject({ locale: "de", subject: "Bestätigen Sie Ihre E-Mail-Adresse für Kiln" });
    expect(mail!.textBody).toContain("Hallo Grete");
    expect((await userByEmail(email))?.locale).toBe("de");
  });

  it("does not reveal an existing address: no new user, and the owner is told instead", async () => {
    const existing = await createUser(rt, { email: uniqueEmail("taken"), displayName: "Owner" });
    const mallory = `Mallory ${existing.id}`;
    const result = await signUp(rt, { displayName: mallory, email: existing.email, password }, opts);
    expect(result).toEqual({ userId: null });
    expect(await countRows(rt, schema.users, eq(schema.users.displayName, mallory))).toBe(0);
    const mails = await outboxFor(rt, existing.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.template).toBe("sign-up-existing");
    expect(mails[0]!.textBody).toContain(`${APP_URL}/forgot-password`);
    expect(mails[0]!.textBody).not.toContain("token=");
    // The password of the existing account is untouched.
    expect((await userByEmail(existing.email))?.passwordHash).toBe(existing.passwordHash);
  });

  it("rejects bad input with field messages and writes nothing", async () => {
    const email = uniqueEmail("bad");
    const error = await expectAppError(signUp(rt, { displayName: "", email, password: "short" }, opts), "BAD_INPUT");
    expect(error.fields).toEqual({
      displayName: ["Enter your name"],
      password: ["Use at least 10 characters for your password"],
    });
    const badEmail = await expectAppError(
      signUp(rt, { displayName: "Ok", email: "not-an-email", password }, opts),
      "BAD_INPUT",
    );
    expect(badEmail.fields).toEqual({ email: ["Enter a valid email address, like name@example.com"] });
    await expectAppError(signUp(rt, { displayName: "Ok", email, password: "x".repeat(201) }, opts), "BAD_INPUT");
    await expectAppError(signUp(rt, null, opts), "BAD_INPUT");
    expect(await countRows(rt, schema.users, eq(schema.users.email, email))).toBe(0);
    expect(await outboxFor(rt, email)).toEqual([]);
  });
});

describe("verifyEmail", () => {
  it("verifies once; the link then counts as used", async () => {
    const email = uniqueEmail("verify");
    const { userId } = await signUp(rt, { displayName: "V", email, password }, opts);
    const token = tokenFromText((await outboxFor(rt, email))[0]!.textBody, "/verify-email");
    expect(await verifyEmail(rt, token)).toEqual({ userId });
    expect((await userByEmail(email))?.emailVerifiedAt).toEqual(rt.clock.now());
    const error = await expectAppError(verifyEmail(rt, token), "GONE");
    expect(error.message).toBe("This link has expired or was already used");
  });

  it("refuses an expired link and an unknown one", async () => {
    const clock = (await getTestRuntime()).clock;
    const local = { ...rt, clock };
    const email = uniqueEmail("expired");
    await signUp(local, { displayName: "E", email, password }, opts);
    const token = tokenFromText((await outboxFor(rt, email))[0]!.textBody, "/verify-email");
    clock.advance(24 * HOUR_MS);
    await expectAppError(verifyEmail(local, token), "GONE");
    expect((await userByEmail(email))?.emailVerifiedAt).toBeNull();
    await expectAppError(verifyEmail(local, "nonsense"), "GONE");
    await expectAppError(verifyEmail(local, ""), "GONE");
  });
});

describe("resendVerification", () => {
  it("sends a new link to an unverified account and nothing otherwise, silently", async () => {
    const email = uniqueEmail("resend");
    await signUp(rt, { displayName: "R", email, password }, opts);
    await resendVerification(rt, email.toUpperCase(), opts);
    const mails = await outboxFor(rt, email);
    expect(mails.map((m) => m.template)).toEqual(["verify-email", "verify-email"]);
    // The new link works.
    await verifyEmail(rt, tokenFromText(mails[1]!.textBody, "/verify-email"));

    // Verified now: nothing more is sent. Unknown address: nothing either, and no error.
    await resendVerification(rt, email, opts);
    expect(await outboxFor(rt, email)).toHaveLength(2);
    const unknown = uniqueEmail("nobody");
    await expect(resendVerification(rt, unknown, opts)).resolves.toBeUndefined();
    expect(await outboxFor(rt, unknown)).toHaveLength(0);
    await expectAppError(resendVerification(rt, "nope", opts), "BAD_INPUT");
  });

  it("sends at most three links per hour", async () => {
    const email = uniqueEmail("resend-limit");
    await signUp(rt, { displayName: "R", email, password }, opts);
    for (let i = 0; i < 5; i++) await resendVerification(rt, email, opts);
    expect(await outboxFor(rt, email)).toHaveLength(1 + 3);
  });
});
