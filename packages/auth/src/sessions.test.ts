import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createUser } from "../../seed/src/factories";
import {
  createSession,
  generateSessionToken,
  invalidateSession,
  invalidateUserSessions,
  SESSION_LIFETIME_MS,
  validateSessionToken,
} from "./sessions";
import { countRows } from "./test-helpers";
import { DAY_MS, hashToken } from "./tokens";

const rt = await getTestRuntime();

async function sessionRow(id: string) {
  const [row] = await withSystem(rt, "test", (tx) =>
    tx.select().from(schema.sessions).where(eq(schema.sessions.id, id)),
  );
  return row;
}

describe("session tokens", () => {
  it("are 32 base32 characters from 20 random bytes", () => {
    const a = generateSessionToken();
    const b = generateSessionToken();
    expect(a).toMatch(/^[a-z2-7]{32}$/);
    expect(a).not.toBe(b);
  });

  it("are never stored in clear: the session id is the SHA-256 of the token", async () => {
    const user = await createUser(rt);
    const { token, session } = await createSession(rt, user.id, { ip: "198.51.100.7", userAgent: "vitest" });
    expect(session.id).toBe(hashToken(token));
    expect(session.id).toMatch(/^[0-9a-f]{64}$/);
    const row = await sessionRow(session.id);
    expect(row).toMatchObject({ userId: user.id, ip: "198.51.100.7", userAgent: "vitest" });
    expect(await countRows(rt, schema.sessions, eq(schema.sessions.id, token))).toBe(0);
  });
});

describe("validateSessionToken", () => {
  it("returns the session and the user without a password hash", async () => {
    const user = await createUser(rt, { displayName: "Sam", country: "DE" });
    const { token, session } = await createSession(rt, user.id);
    const result = await validateSessionToken(rt, token);
    expect(result).toEqual({
      session: { id: session.id, userId: user.id, expiresAt: new Date(rt.clock.now().getTime() + SESSION_LIFETIME_MS) },
      user: {
        id: user.id,
        email: user.email,
        displayName: "Sam",
        locale: null,
        country: "DE",
        usState: null,
        emailVerifiedAt: user.emailVerifiedAt,
      },
      refreshed: false,
    });
    expect(await validateSessionToken(rt, "not-a-session")).toBeNull();
    expect(await validateSessionToken(rt, "")).toBeNull();
  });

  it("slides the expiry forward once fewer than 15 days remain", async () => {
    const { clock } = await getTestRuntime();
    const local = { ...rt, clock };
    const user = await createUser(local);
    const { token, session } = await createSession(local, user.id);

    clock.advance(14 * DAY_MS);
    const early = await validateSessionToken(local, token);
    expect(early?.refreshed).toBe(false);
    expect(early?.session.expiresAt).toEqual(session.expiresAt);

    clock.advance(2 * DAY_MS); // 16 days in: 14 remain
    const late = await validateSessionToken(local, token);
    expect(late?.refreshed).toBe(true);
    const renewed = new Date(clock.now().getTime() + 30 * DAY_MS);
    expect(late?.session.expiresAt).toEqual(renewed);
    expect((await sessionRow(session.id))?.expiresAt).toEqual(renewed);

    // Renewed: 29 days later it is still valid (it would have expired without the renewal).
    clock.advance(29 * DAY_MS);
    expect(await validateSessionToken(local, token)).not.toBeNull();
  });

  it("rejects and deletes an expired session", async () => {
    const { clock } = await getTestRuntime();
    const local = { ...rt, clock };
    const user = await createUser(local);
    const { token, session } = await createSession(local, user.id);
    clock.advance(30 * DAY_MS);
    expect(await validateSessionToken(local, token)).toBeNull();
    expect(await sessionRow(session.id)).toBeUndefined();
  });
});

describe("invalidating sessions", () => {
  it("signs out one session", async () => {
    const user = await createUser(rt);
    const a = await createSession(rt, user.id);
    const b = await createSession(rt, user.id);
    await invalidateSession(rt, a.token);
    expect(await validateSessionToken(rt, a.token)).toBeNull();
    expect(await validateSessionToken(rt, b.token)).not.toBeNull();
  });

  it("signs out all of a user's sessions, optionally but one, and no one else's", async () => {
    const user = await createUser(rt);
    const other = await createUser(rt);
    const a = await createSession(rt, user.id);
    const b = await createSession(rt, user.id);
    const c = await createSession(rt, user.id);
    const theirs = await createSession(rt, other.id);

    await invalidateUserSessions(rt, user.id, { exceptSessionId: a.session.id });
    expect(await validateSessionToken(rt, a.token)).not.toBeNull();
    expect(await validateSessionToken(rt, b.token)).toBeNull();
    expect(await validateSessionToken(rt, c.token)).toBeNull();

    await invalidateUserSessions(rt, user.id);
    expect(await validateSessionToken(rt, a.token)).toBeNull();
    expect(await validateSessionToken(rt, theirs.token)).not.toBeNull();
  });
});
