import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createUser } from "../../seed/src/factories";
import { createApiToken, listApiTokens, requireScope, revokeApiToken, validateApiToken } from "./api-tokens";
import { countRows, expectAppError } from "./test-helpers";
import { DAY_MS, hashToken } from "./tokens";

const rt = await getTestRuntime();

async function tokenRows(userId: string) {
  return withSystem(rt, "test", (tx) => tx.select().from(schema.apiTokens).where(eq(schema.apiTokens.userId, userId)));
}

describe("createApiToken", () => {
  it("shows the token once and stores only its hash and a short prefix", async () => {
    const user = await createUser(rt);
    const { token, record } = await createApiToken(rt, user.id, {
      name: " CI script ",
      scopes: ["me:read", "me:read"],
    });
    expect(token).toMatch(/^kiln_[a-z2-7]{32}$/);
    expect(record).toMatchObject({
      name: "CI script",
      prefix: token.slice(0, 10),
      scopes: ["me:read"],
      expiresAt: null,
      revokedAt: null,
    });
    expect(record).not.toHaveProperty("tokenHash");
    const [row] = await tokenRows(user.id);
    expect(row!.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it("rejects bad input with field messages and writes nothing", async () => {
    const user = await createUser(rt);
    const none = await expectAppError(createApiToken(rt, user.id, { name: "", scopes: [] }), "BAD_INPUT");
    expect(none.fields).toEqual({
      name: ["Name the token, e.g. after the script that uses it"],
      scopes: ["Choose at least one scope"],
    });
    const unknown = await expectAppError(
      createApiToken(rt, user.id, { name: "x", scopes: ["admin:all"] }),
      "BAD_INPUT",
    );
    expect(unknown.fields).toEqual({ "scopes.0": ["Unknown scope"] });
    const long = await expectAppError(
      createApiToken(rt, user.id, { name: "x", scopes: ["me:read"], expiresInDays: 366 }),
      "BAD_INPUT",
    );
    expect(long.fields).toEqual({ expiresInDays: ["A token can be valid for at most 365 days"] });
    await expectAppError(
      createApiToken(rt, user.id, { name: "x", scopes: ["me:read"], expiresInDays: 1.5 }),
      "BAD_INPUT",
    );
    expect(await countRows(rt, schema.apiTokens, eq(schema.apiTokens.userId, user.id))).toBe(0);
  });
});

describe("validateApiToken", () => {
  it("returns the user and scopes, with or without the Bearer prefix", async () => {
    const user = await createUser(rt);
    const { token, record } = await createApiToken(rt, user.id, { name: "t", scopes: ["me:read", "tokens:read"] });
    const result = await validateApiToken(rt, `Bearer ${token}`);
    expect(result).toMatchObject({
      tokenId: record.id,
      scopes: ["me:read", "tokens:read"],
      user: { id: user.id, email: user.email },
    });
    expect(result?.user).not.toHaveProperty("passwordHash");
    expect((await validateApiToken(rt, token))?.tokenId).toBe(record.id);
    expect(() => requireScope(result!.scopes, "me:read")).not.toThrow();
    expect(() => requireScope(result!.scopes, "tokens:write")).toThrow(/tokens:write/);
    expect(await validateApiToken(rt, "kiln_doesnotexist")).toBeNull();
    expect(await validateApiToken(rt, "")).toBeNull();
    expect(await validateApiToken(rt, record.prefix)).toBeNull();
  });

  it("stops working at expiry", async () => {
    const { clock } = await getTestRuntime();
    const local = { ...rt, clock };
    const user = await createUser(local);
    const { token, record } = await createApiToken(local, user.id, {
      name: "t",
      scopes: ["me:read"],
      expiresInDays: 2,
    });
    expect(record.expiresAt).toEqual(new Date(clock.now().getTime() + 2 * DAY_MS));
    clock.advance(2 * DAY_MS - 1000);
    expect(await validateApiToken(local, token)).not.toBeNull();
    clock.advance(1000);
    expect(await validateApiToken(local, token)).toBeNull();
  });

  it("records the last use at most once a minute", async () => {
    const { clock } = await getTestRuntime();
    const local = { ...rt, clock };
    const user = await createUser(local);
    const { token } = await createApiToken(local, user.id, { name: "t", scopes: ["me:read"] });
    const first = clock.now();
    await validateApiToken(local, token);
    expect((await tokenRows(user.id))[0]!.lastUsedAt).toEqual(first);
    clock.advance(30_000);
    await validateApiToken(local, token);
    expect((await tokenRows(user.id))[0]!.lastUsedAt).toEqual(first);
    clock.advance(30_000);
    await validateApiToken(local, token);
    expect((await tokenRows(user.id))[0]!.lastUsedAt).toEqual(clock.now());
  });
});

describe("listing and revoking", () => {
  it("lists only the user's own tokens, without hashes", async () => {
    const user = await createUser(rt);
    const other = await createUser(rt);
    const a = await createApiToken(rt, user.id, { name: "a", scopes: ["me:read"] });
    await createApiToken(rt, other.id, { name: "theirs", scopes: ["me:read"] });
    const list = await listApiTokens(rt, user.id);
    expect(list.map((t) => t.id)).toEqual([a.record.id]);
    expect(Object.keys(list[0]!).sort()).toEqual([
      "createdAt",
      "expiresAt",
      "id",
      "lastUsedAt",
      "name",
      "prefix",
      "revokedAt",
      "scopes",
    ]);
  });

  it("revokes a token at once; someone else's is not found", async () => {
    const user = await createUser(rt);
    const other = await createUser(rt);
    const { token, record } = await createApiToken(rt, user.id, { name: "t", scopes: ["me:read"] });
    await expectAppError(revokeApiToken(rt, other.id, record.id), "NOT_FOUND");
    await expectAppError(revokeApiToken(rt, other.id, "not-a-uuid"), "NOT_FOUND");
    expect(await validateApiToken(rt, token)).not.toBeNull();

    const revoked = await revokeApiToken(rt, user.id, record.id);
    expect(revoked.revokedAt).toEqual(rt.clock.now());
    expect(await validateApiToken(rt, token)).toBeNull();
    // Revoking again changes nothing.
    expect((await revokeApiToken(rt, user.id, record.id)).revokedAt).toEqual(revoked.revokedAt);
    expect((await listApiTokens(rt, user.id))[0]!.revokedAt).toEqual(revoked.revokedAt);
  });
});
