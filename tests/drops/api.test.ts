import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiTokenHash, createApiToken, listApiTokens, revokeApiToken, signIn, type ApiScope } from "@kiln/auth";
import { withSystem } from "@kiln/db";
import {
  claimDropWithApiToken,
  createDrop,
  createProduct,
  getRemaining,
  setDropPublished,
  startBucket,
} from "@kiln/drops";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { ClaimEnvelope, DropEnvelope, EditionEnvelope, EditionListEnvelope } from "../../app/app/api/drops-schemas";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import * as claimRoute from "../../app/app/routes/api.v1.claims.$id";
import * as dropRoute from "../../app/app/routes/api.v1.drops.$id";
import * as claimsRoute from "../../app/app/routes/api.v1.drops.$id.claims";
import * as editionsRoute from "../../app/app/routes/api.v1.coops.$coopSlug.editions";
import * as openapi from "../../app/app/routes/api.v1.openapi";
import { RATE_LIMITS } from "../../packages/drops/src/admission";
import { createDropShop, createMember, createTier } from "../../packages/drops/src/testing";
import { getTestRuntime } from "../setup/runtime";

/**
 * The drops JSON API (issue 8 §7): GET /drops/{id}, POST /drops/{id}/claims with an Idempotency-Key,
 * GET and DELETE /claims/{id}; errors `{"error": {"code", "message"}}`; bodies parsed with the very
 * schemas the OpenAPI document is generated from.
 */
const rt = await getTestRuntime("2026-12-20T10:00:00Z");
const PERIOD = "2026-W53";
const MINUTE = 60_000;
const services = testServices(rt);

type Route = { loader?: unknown; action?: unknown };
async function call(
  route: Route,
  kind: "loader" | "action",
  path: string,
  params: Record<string, string>,
  init: Parameters<typeof testRequest>[1] = {},
) {
  const fn = route[kind] as (args: unknown) => Promise<unknown>;
  return settle(async () => fn(await argsFor(services, testRequest(path, init), params)));
}

const bearer = async (userId: string, scopes: ApiScope[] = ["drops:read", "drops:write"]) => {
  const { token } = await createApiToken(rt, userId, { name: "drops", scopes });
  return { Authorization: `Bearer ${token}` };
};

/** A published drop of a fresh shop; `tiered`: for members of a live tier only. */
async function apiDrop(
  options: {
    quantity?: number;
    perMemberLimit?: number;
    opensIn?: number;
    tiered?: boolean;
    bucketCount?: number;
  } = {},
) {
  const shop = await createDropShop(rt, { period: PERIOD, allocationUnits: 500 });
  const tier = options.tiered ? await createTier(rt, shop, "Supporter") : null;
  const product = await createProduct(rt, shop.creatorCtx, {
    title: "API print",
    priceMinor: 2500,
    deliveryMinor: 490,
    currency: "EUR",
    capability: "screenprint",
    sku: "API-1",
  });
  const drop = await createDrop(rt, shop.creatorCtx, {
    productId: product.id,
    title: "API drop",
    quantity: options.quantity ?? 5,
    period: PERIOD,
    opensAt: new Date(rt.clock.now().getTime() + (options.opensIn ?? -MINUTE)),
    perMemberLimit: options.perMemberLimit ?? 2,
    bucketCount: options.bucketCount ?? 1,
    tierIds: tier ? [tier.id] : [],
  });
  await setDropPublished(rt, shop.creatorCtx, drop.id, true);
  return { shop, drop, tier };
}

async function claimCount(dropId: string) {
  return withSystem(rt, "test", async (tx) => {
    const [row] = await tx.execute<{ n: number }>(
      sql`select count(*)::int as n from drop_claims where drop_id = ${dropId}`,
    );
    return row!.n;
  });
}

const post = (dropId: string, headers: Record<string, string>, json?: unknown, key?: string) =>
  call(
    claimsRoute,
    "action",
    `/api/v1/drops/${dropId}/claims`,
    { id: dropId },
    {
      method: "POST",
      headers: key === undefined ? headers : { ...headers, "Idempotency-Key": key },
      ...(json === undefined ? {} : { json }),
    },
  );

describe("drops API", () => {
  it("GET /drops/{id}: the drop with its gate; 401 without a token, 403 without the scope, 404 for unknown ids", async () => {
    const { drop, tier } = await apiDrop({ tiered: true });
    const member = await createUser(rt);
    const path = `/api/v1/drops/${drop.id}`;
    expect((await call(dropRoute, "loader", path, { id: drop.id })).status).toBe(401);
    const meOnly = await bearer(member.id, ["me:read"]);
    const forbidden = await call(dropRoute, "loader", path, { id: drop.id }, { headers: meOnly });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: { code: "FORBIDDEN" } });
    const shown = await call(dropRoute, "loader", path, { id: drop.id }, { headers: await bearer(member.id) });
    expect(shown.status).toBe(200);
    const body = DropEnvelope.parse(shown.body);
    expect(body.drop).toMatchObject({
      id: drop.id,
      remaining: 5,
      perMemberLimit: 2,
      product: { priceMinor: 2500, deliveryMinor: 490, currency: "EUR", lifetimeLimit: null, edition: null },
      gate: { isMemberOnly: true, isEntitled: false, tiers: [{ id: tier!.id, name: "Supporter", isHeld: false }] },
    });
    for (const id of ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
      expect(
        (await call(dropRoute, "loader", `/api/v1/drops/${id}`, { id }, { headers: await bearer(member.id) })).body,
      ).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("POST /drops/{id}/claims: 201, the same claim again for a retried key, 409 for a reused key; bad input is 400 and writes nothing", async () => {
    const { drop } = await apiDrop();
    const member = await createUser(rt);
    const auth = await bearer(member.id);

    // Bad input: no key, a short key, a bad body, a body that is not JSON — nothing written.
    const noKey = await post(drop.id, auth, { quantity: 1 });
    expect(noKey.status).toBe(400);
    expect(noKey.body).toMatchObject({ error: { code: "BAD_INPUT" } });
    expect((await post(drop.id, auth, { quantity: 1 }, "short")).status).toBe(400);
    const badBody = await post(drop.id, auth, { quantity: "two" }, "key-bad-body-1");
    expect(badBody.status).toBe(400);
    expect(badBody.body).toMatchObject({
      error: { code: "BAD_INPUT", details: { quantity: ["Send the quantity as a number"] } },
    });
    expect((await post(drop.id, auth, { quantity: 1, extra: true }, "key-bad-body-2")).status).toBe(400);
    expect(await claimCount(drop.id)).toBe(0);
    expect(await getRemaining(rt, drop.id)).toBe(5);

    // A claim, then the same key again: the same claim, nothing more taken.
    const created = await post(drop.id, auth, { quantity: 2 }, "key-api-claim-1");
    expect(created.status).toBe(201);
    const { claim } = ClaimEnvelope.parse(created.body);
    expect(claim).toMatchObject({ dropId: drop.id, quantity: 2, status: "reserved", isHeld: true });
    expect(created.headers.get("Location")).toBe(`/api/v1/claims/${claim.id}`);
    const retried = await post(drop.id, auth, { quantity: 2 }, "key-api-claim-1");
    expect(retried.status).toBe(201);
    expect(ClaimEnvelope.parse(retried.body).claim.id).toBe(claim.id);
    expect(await getRemaining(rt, drop.id)).toBe(3);
    const reused = await post(drop.id, auth, { quantity: 1 }, "key-api-claim-1");
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ error: { code: "CONFLICT" } });
    expect(await claimCount(drop.id)).toBe(1);
  });

  it("POST refusals: 409 SOLD_OUT / NOT_OPEN / LIMIT_EXCEEDED, 403 NOT_ENTITLED, 403 without drops:write; a session works too", async () => {
    const small = await apiDrop({ quantity: 1, perMemberLimit: 1 });
    const [a, b] = [await createUser(rt), await createUser(rt)];
    expect((await post(small.drop.id, await bearer(a.id), undefined, "key-sold-a")).status).toBe(201);
    // Limit: a second unit for the same member.
    const limited = await post(small.drop.id, await bearer(a.id), { quantity: 1 }, "key-sold-a2");
    expect([limited.status, limited.body]).toMatchObject([409, { error: { code: "LIMIT_EXCEEDED" } }]);
    // Sold out for the next member — signed in with a browser session this time.
    const session = (
      await signIn(rt, { email: b.email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "t" })
    ).token;
    const soldOut = await call(
      claimsRoute,
      "action",
      `/api/v1/drops/${small.drop.id}/claims`,
      { id: small.drop.id },
      { method: "POST", sessionToken: session, headers: { "Idempotency-Key": "key-sold-b" } },
    );
    expect([soldOut.status, soldOut.body]).toMatchObject([409, { error: { code: "SOLD_OUT" } }]);

    const later = await apiDrop({ opensIn: 60 * MINUTE });
    const notOpen = await post(later.drop.id, await bearer(b.id), {}, "key-not-open");
    expect([notOpen.status, notOpen.body]).toMatchObject([409, { error: { code: "NOT_OPEN" } }]);

    const gated = await apiDrop({ tiered: true });
    const notEntitled = await post(gated.drop.id, await bearer(b.id), {}, "key-not-entitled");
    expect([notEntitled.status, notEntitled.body]).toMatchObject([403, { error: { code: "NOT_ENTITLED" } }]);
    const supporter = await createMember(rt, gated.shop, gated.tier!.id);
    expect((await post(gated.drop.id, await bearer(supporter.userId), {}, "key-entitled")).status).toBe(201);

    const readOnly = await post(gated.drop.id, await bearer(b.id, ["drops:read"]), {}, "key-read-only");
    expect([readOnly.status, readOnly.body]).toMatchObject([403, { error: { code: "FORBIDDEN" } }]);
    expect(await claimCount(later.drop.id)).toBe(0);
  });

  it("the claim's own statement checks the bearer token: revoked after a claim is 401 at once, a read-only token claims nothing, last_used_at once a minute, refused claims too", async () => {
    const { drop } = await apiDrop({ quantity: 20, perMemberLimit: 20 });
    const [a, b] = [await createUser(rt), await createUser(rt)];
    const created = await createApiToken(rt, a.id, { name: "claims", scopes: ["drops:read", "drops:write"] });
    const auth = { Authorization: `Bearer ${created.token}` };
    const lastUsed = async (userId: string, tokenId: string) =>
      (await listApiTokens(rt, userId)).find((t) => t.id === tokenId)!.lastUsedAt;

    // The claim statement touches the token when its last use is a minute old or more.
    const start = rt.clock.now();
    expect((await post(drop.id, auth, {}, "key-token-1")).status).toBe(201);
    expect(await lastUsed(a.id, created.record.id)).toEqual(start);
    rt.clock.advance(30_000);
    expect((await post(drop.id, auth, {}, "key-token-2")).status).toBe(201);
    expect(await lastUsed(a.id, created.record.id)).toEqual(start);
    rt.clock.advance(31_000);
    expect((await post(drop.id, auth, {}, "key-token-3")).status).toBe(201);
    expect(await lastUsed(a.id, created.record.id)).toEqual(rt.clock.now());

    // Revoked seconds after a claim: refused by the statement, nothing written.
    await revokeApiToken(rt, a.id, created.record.id);
    for (const key of ["key-token-4", "key-token-5"]) {
      const refused = await post(drop.id, auth, {}, key);
      expect([refused.status, refused.body]).toMatchObject([
        401,
        { error: { code: "UNAUTHENTICATED", message: "The bearer token is unknown, revoked or expired" } },
      ]);
    }
    // Bad input with a wrong token is 401 too, as on the other routes: the token is checked first.
    expect((await post(drop.id, auth, { quantity: "two" }, "key-token-bad-1")).status).toBe(401);
    expect((await post(drop.id, auth, {}, "short")).status).toBe(401);
    expect((await post("not-a-uuid", auth, {}, "key-token-bad-2")).status).toBe(401);
    // A read-only token: 403, nothing written, and its use still counts.
    const readOnly = await createApiToken(rt, b.id, { name: "read", scopes: ["drops:read"] });
    const readOnlyAuth = { Authorization: `Bearer ${readOnly.token}` };
    expect((await post(drop.id, readOnlyAuth, { quantity: 0 }, "key-token-bad-3")).status).toBe(403);
    const forbidden = await post(drop.id, readOnlyAuth, {}, "key-token-6");
    expect([forbidden.status, forbidden.body]).toMatchObject([403, { error: { code: "FORBIDDEN" } }]);
    expect(await lastUsed(b.id, readOnly.record.id)).toEqual(rt.clock.now());
    expect(await claimCount(drop.id)).toBe(3);
    expect(await getRemaining(rt, drop.id)).toBe(17);

    // A claim refused by the drop (not open yet) rolls the statement back: the token is touched anyway.
    const later = await apiDrop({ opensIn: 60 * MINUTE });
    const fresh = await createApiToken(rt, b.id, { name: "fresh", scopes: ["drops:write"] });
    const notOpen = await post(later.drop.id, { Authorization: `Bearer ${fresh.token}` }, {}, "key-token-7");
    expect([notOpen.status, notOpen.body]).toMatchObject([409, { error: { code: "NOT_OPEN" } }]);
    expect(await lastUsed(b.id, fresh.record.id)).toEqual(rt.clock.now());

    // The statement starts at the member's own bucket, as claimDrop does.
    const spread = await apiDrop({ quantity: 64, perMemberLimit: 2, bucketCount: 32 });
    const claimed = await claimDropWithApiToken(
      rt,
      { hash: apiTokenHash(fresh.token)!, scope: "drops:write", touchIntervalMs: MINUTE },
      { dropId: spread.drop.id, quantity: 1, idempotencyKey: "key-token-8" },
    );
    expect(claimed.memberUserId).toBe(b.id);
    expect(claimed.takenFrom).toEqual({ [String(startBucket(b.id, 32))]: 1 });
  });

  it("429 with Retry-After once a member claims too often", async () => {
    const { drop } = await apiDrop({ quantity: 50, perMemberLimit: 50 });
    // The in-process claim limiter shared with hot-drop admission (packages/drops/src/admission.ts).
    const member = await createUser(rt);
    const auth = await bearer(member.id);
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof post>> | undefined;
    const allowed = RATE_LIMITS.claimMember.limit;
    for (let i = 0; i < allowed + 3 && !limited; i++) {
      const res = await post(drop.id, auth, {}, `key-rate-${i}`);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([...Array.from({ length: allowed }, () => 201), 429]);
    expect(limited?.body).toMatchObject({ error: { code: "RATE_LIMITED" } });
    expect(Number(limited?.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    // The refused request took nothing.
    expect(await claimCount(drop.id)).toBe(allowed);
  });

  it("GET /claims/{id} is the member's own; DELETE lets go of it and the units go back", async () => {
    const { drop } = await apiDrop();
    const [owner, stranger] = [await createUser(rt), await createUser(rt)];
    const auth = await bearer(owner.id);
    const { claim } = ClaimEnvelope.parse((await post(drop.id, auth, { quantity: 2 }, "key-own-claim")).body);
    const path = `/api/v1/claims/${claim.id}`;
    const params = { id: claim.id };
    const shown = await call(claimRoute, "loader", path, params, { headers: auth });
    expect(ClaimEnvelope.parse(shown.body).claim).toMatchObject({ id: claim.id, status: "reserved", isHeld: true });
    expect((await call(claimRoute, "loader", path, params, { headers: await bearer(stranger.id) })).status).toBe(404);
    const strangerDelete = await call(claimRoute, "action", path, params, {
      method: "DELETE",
      headers: await bearer(stranger.id),
    });
    expect(strangerDelete.status).toBe(404);
    expect(await getRemaining(rt, drop.id)).toBe(3);

    const released = await call(claimRoute, "action", path, params, { method: "DELETE", headers: auth });
    expect(released.status).toBe(200);
    expect(ClaimEnvelope.parse(released.body).claim).toMatchObject({ status: "cancelled", isHeld: false });
    expect(await getRemaining(rt, drop.id)).toBe(5);
    // Releasing twice is the same answer; nothing more comes back.
    expect((await call(claimRoute, "action", path, params, { method: "DELETE", headers: auth })).status).toBe(200);
    expect(await getRemaining(rt, drop.id)).toBe(5);
    // An expired hold shows as not held.
    const { claim: second } = ClaimEnvelope.parse((await post(drop.id, auth, {}, "key-own-claim-2")).body);
    rt.clock.advance(11 * MINUTE);
    const stale = await call(claimRoute, "loader", `/api/v1/claims/${second.id}`, { id: second.id }, { headers: auth });
    expect(ClaimEnvelope.parse(stale.body).claim).toMatchObject({ status: "reserved", isHeld: false });
  });

  it("a co-op admin creates and lists editions; a creator's token cannot; bad input is 400", async () => {
    const { shop } = await apiDrop();
    const path = `/api/v1/coops/${shop.coop.slug}/editions`;
    const params = { coopSlug: shop.coop.slug };
    const admin = await bearer(shop.admin.id);
    const bad = await call(editionsRoute, "action", path, params, {
      method: "POST",
      headers: admin,
      json: { name: "Collab", lifetimeLimit: 0 },
    });
    expect([bad.status, bad.body]).toMatchObject([400, { error: { code: "BAD_INPUT" } }]);
    const created = await call(editionsRoute, "action", path, params, {
      method: "POST",
      headers: admin,
      json: { name: "Night collab", lifetimeLimit: 2 },
    });
    expect(created.status).toBe(201);
    const { edition } = EditionEnvelope.parse(created.body);
    expect(edition).toMatchObject({ name: "Night collab", lifetimeLimit: 2 });
    const listed = EditionListEnvelope.parse(
      (await call(editionsRoute, "loader", path, params, { headers: admin })).body,
    );
    expect(listed.editions.map((e) => e.id)).toEqual([edition.id]);
    const creator = await call(editionsRoute, "action", path, params, {
      method: "POST",
      headers: await bearer(shop.owner.id),
      json: { name: "Mine", lifetimeLimit: 1 },
    });
    expect(creator.status).toBe(404);
  });

  it("the OpenAPI document describes the drops endpoints, their errors and the Idempotency-Key", async () => {
    const res = await call(openapi, "loader", "/api/v1/openapi.json", {});
    const doc = res.body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string }[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    const claimOp = doc.paths["/drops/{id}/claims"]!.post!;
    expect(Object.keys(claimOp.responses).sort()).toEqual(["201", "400", "401", "403", "404", "409", "429"]);
    expect(claimOp.parameters!.map((p) => p.name)).toContain("Idempotency-Key");
    expect(JSON.stringify(claimOp.responses["409"])).toMatch(/SOLD_OUT.*NOT_OPEN.*LIMIT_EXCEEDED/);
    expect(JSON.stringify(claimOp.responses["429"])).toContain("Retry-After");
    expect(Object.keys(doc.paths["/claims/{id}"]!).sort()).toEqual(["delete", "get"]);
    expect(doc.paths["/drops/{id}"]!.get).toBeDefined();
    for (const id of ["DropEnvelope", "ClaimEnvelope", "ClaimRequest"])
      expect(doc.components.schemas[id]).toBeDefined();
  });
});
