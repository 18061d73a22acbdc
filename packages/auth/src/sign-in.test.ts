import { randomInt } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createUser, DEFAULT_TEST_PASSWORD } from "../../seed/src/factories";
import { validateSessionToken } from "./sessions";
import { SIGN_IN_IP_ALL_LIMIT, signIn, signInAccountKey, signInIpAllKey } from "./sign-in";
import { countRows, expectAppError, uniqueEmail } from "./test-helpers";
import { hashToken, MINUTE_MS } from "./tokens";

const rt = await getTestRuntime();
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const attempt = (email: string, password: string, ip: string | null = randomIp(), local = rt) =>
  signIn(local, { email, password, ip, userAgent: "vitest" });

describe("signIn", () => {
  it("opens a session for the right password; the token is stored only as its hash", async () => {
    const user = await createUser(rt);
    const result = await attempt(` ${user.email.toUpperCase()} `, DEFAULT_TEST_PASSWORD);
    expect(result.user).toMatchObject({ id: user.id, email: user.email });
    expect(result.user).not.toHaveProperty("passwordHash");
    expect(result.expiresAt.getTime() - rt.clock.now().getTime()).toBe(30 * 24 * 60 * MINUTE_MS);
    const rows = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.sessions).where(eq(schema.sessions.userId, user.id)),
    );
    expect(rows.map((r) => r.id)).toEqual([hashToken(result.token)]);
    expect(rows[0]!.userAgent).toBe("vitest");
    expect((await validateSessionToken(rt, result.token))?.user.id).toBe(user.id);
  });

  it("gives the same answer for a wrong password and an unknown email", async () => {
    const user = await createUser(rt);
    const wrongPassword = await expectAppError(attempt(user.email, "not the password"), "UNAUTHENTICATED");
    const unknown = await expectAppError(attempt(uniqueEmail("ghost"), DEFAULT_TEST_PASSWORD), "UNAUTHENTICATED");
    expect(wrongPassword.message).toBe("Email or password is incorrect");
    expect(unknown.message).toBe(wrongPassword.message);
    expect(await countRows(rt, schema.sessions, eq(schema.sessions.userId, user.id))).toBe(0);
  });

  it("asks an unverified user to confirm their email first, only after the right password", async () => {
    const user = await createUser(rt, { verified: false });
    await expectAppError(attempt(user.email, "wrong password!"), "UNAUTHENTICATED");
    const error = await expectAppError(attempt(user.email, DEFAULT_TEST_PASSWORD), "FORBIDDEN");
    expect(error.message).toMatch(/confirm your email/i);
    expect(error.fields?.email?.[0]).toMatch(/confirm this email/i);
    expect(await countRows(rt, schema.sessions, eq(schema.sessions.userId, user.id))).toBe(0);
  });

  it("rejects bad input with field messages and counts nothing", async () => {
    const ip = randomIp();
    const error = await expectAppError(attempt("", "", ip), "BAD_INPUT");
    expect(error.fields).toEqual({
      email: ["Enter a valid email address, like name@example.com"],
      password: ["Enter your password"],
    });
    await expectAppError(attempt("not-an-email", DEFAULT_TEST_PASSWORD, ip), "BAD_INPUT");
    const keys = [`sign-in:ip:${ip}`, signInAccountKey(""), signInAccountKey("not-an-email")];
    expect(await countRows(rt, schema.rateLimits, inArray(schema.rateLimits.key, keys))).toBe(0);
  });
});

describe("sign-in rate limits", () => {
  it("locks an account after 5 failures in 15 minutes, even for the right password, with Retry-After", async () => {
    const { clock } = await getTestRuntime("2026-03-02T09:03:00.000Z");
    const local = { ...rt, clock };
    const user = await createUser(local);
    for (let i = 0; i < 5; i++)
      await expectAppError(attempt(user.email, "wrong password", randomIp(), local), "UNAUTHENTICATED");
    const limited = await expectAppError(attempt(user.email, DEFAULT_TEST_PASSWORD, randomIp(), local), "RATE_LIMITED");
    // Windows are aligned to 15 minutes: 09:00–09:15, so 12 minutes remain.
    expect(limited.retryAfterSeconds).toBe(12 * 60);
    expect(limited.message).toBe("Too many attempts. Try again in 12 minutes.");

    clock.advance(12 * MINUTE_MS);
    const result = await attempt(user.email, DEFAULT_TEST_PASSWORD, randomIp(), local);
    expect(result.user.id).toBe(user.id);
  });

  it("counts an account's failures across addresses, and a success clears them", async () => {
    const { clock } = await getTestRuntime("2026-03-02T10:00:00.000Z");
    const local = { ...rt, clock };
    const user = await createUser(local);
    for (let i = 0; i < 4; i++)
      await expectAppError(attempt(user.email, "wrong password", randomIp(), local), "UNAUTHENTICATED");
    await attempt(user.email, DEFAULT_TEST_PASSWORD, randomIp(), local);
    expect(await countRows(rt, schema.rateLimits, eq(schema.rateLimits.key, signInAccountKey(user.email)))).toBe(0);
    // A fresh allowance of 5 failures.
    for (let i = 0; i < 5; i++)
      await expectAppError(attempt(user.email, "wrong password", randomIp(), local), "UNAUTHENTICATED");
    await expectAppError(attempt(user.email, "wrong password", randomIp(), local), "RATE_LIMITED");
  });

  it("limits one address to 20 failed attempts in 15 minutes, whichever accounts it tries", async () => {
    const { clock } = await getTestRuntime("2026-03-02T11:14:30.000Z");
    const local = { ...rt, clock };
    const ip = randomIp();
    const user = await createUser(local);
    for (let i = 0; i < 19; i++)
      await expectAppError(attempt(uniqueEmail("spray"), "whatever password", ip, local), "UNAUTHENTICATED");
    // A right password in between gives its attempt back: it is not a guess.
    await attempt(user.email, DEFAULT_TEST_PASSWORD, ip, local);
    await expectAppError(attempt(uniqueEmail("spray"), "whatever password", ip, local), "UNAUTHENTICATED"); // 20th
    const limited = await expectAppError(attempt(user.email, DEFAULT_TEST_PASSWORD, ip, local), "RATE_LIMITED");
    expect(limited.retryAfterSeconds).toBe(30);
    // A refused attempt is not given back, even with the right password.
    expect(
      await countRows(
        rt,
        schema.rateLimits,
        and(eq(schema.rateLimits.key, `sign-in:ip:${ip}`), eq(schema.rateLimits.count, 21)),
      ),
    ).toBe(1);
    // Another address is not affected; the next window starts afresh.
    await attempt(user.email, DEFAULT_TEST_PASSWORD, randomIp(), local);
    clock.advance(30_000);
    await attempt(user.email, DEFAULT_TEST_PASSWORD, ip, local);
  });

  it("lets many people sign in from one shared address (a right password does not use up the address's allowance)", async () => {
    const { clock } = await getTestRuntime("2026-03-02T13:00:00.000Z");
    const local = { ...rt, clock };
    const ip = randomIp();
    const users = [];
    for (let i = 0; i < 25; i++) users.push(await createUser(local));
    for (const u of users) expect((await attempt(u.email, DEFAULT_TEST_PASSWORD, ip, local)).user.id).toBe(u.id);
    // The address still has its whole allowance of failures.
    for (let i = 0; i < 20; i++)
      await expectAppError(attempt(uniqueEmail("nat"), "whatever password", ip, local), "UNAUTHENTICATED");
    await expectAppError(attempt(users[0]!.email, DEFAULT_TEST_PASSWORD, ip, local), "RATE_LIMITED");
  });

  it("still caps every attempt from one address, right or wrong, since each costs a password hash", async () => {
    const { clock } = await getTestRuntime("2026-03-02T14:00:00.000Z");
    const local = { ...rt, clock };
    const ip = randomIp();
    const user = await createUser(local);
    // The counter as SIGN_IN_IP_ALL_LIMIT.limit right sign-ins would leave it (each one hashes).
    await withSystem(local, "test-rate-limit", (tx) =>
      tx.insert(schema.rateLimits).values({
        key: signInIpAllKey(ip),
        windowStart: new Date("2026-03-02T14:00:00.000Z"),
        count: SIGN_IN_IP_ALL_LIMIT.limit - 1,
      }),
    );
    await attempt(user.email, DEFAULT_TEST_PASSWORD, ip, local); // the last one allowed
    const limited = await expectAppError(attempt(user.email, DEFAULT_TEST_PASSWORD, ip, local), "RATE_LIMITED");
    expect(limited.retryAfterSeconds).toBe(15 * 60);
    await attempt(user.email, DEFAULT_TEST_PASSWORD, randomIp(), local); // another address is not affected
  });

  it("keeps parallel guesses within the account limit", async () => {
    const user = await createUser(rt);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => attempt(user.email, "wrong password")));
    const codes = results.map((r) => (r.status === "rejected" ? (r.reason as { code: string }).code : "OK"));
    expect(codes.filter((c) => c === "UNAUTHENTICATED")).toHaveLength(5);
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(7);
  });
});
