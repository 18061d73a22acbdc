import { describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { createDrop, createProduct, setDropHot, setDropPublished } from "@kiln/drops";
import { testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as claimsRoute from "../../app/app/routes/api.v1.drops.$id.claims";
import * as queueRoute from "../../app/app/routes/api.v1.drops.$id.queue";
import * as waitingRoom from "../../app/app/routes/s.$creatorSlug.drops.$dropId.queue";
import { createDropShop } from "../../packages/drops/src/testing";
import { getTestRuntime } from "../setup/runtime";

/** Hot-drop admission through the app (issue 8 §6): the static waiting room and its JSON poll. */
const rt = await getTestRuntime("2026-03-02T09:00:00.000Z");
const services = testServices(rt);
const MINUTE = 60_000;

const call = (route: RouteModule, kind: "loader" | "action", request: Request, params: Record<string, string> = {}) =>
  callRoute(services, route, kind, request, params);

async function member() {
  const user = await createUser(rt);
  const { token } = await signIn(rt, {
    email: user.email,
    password: DEFAULT_TEST_PASSWORD,
    ip: "198.51.100.9",
    userAgent: "test",
  });
  return token;
}

describe("hot-drop waiting room", () => {
  it("is one static, publicly cacheable document for everyone, per language", async () => {
    const params = { creatorSlug: "some-creator", dropId: "0b7e3a0e-6d0c-4c4b-9f3e-2b1d7c1f0a11" };
    const path = `/s/some-creator/drops/${params.dropId}/queue`;
    const anonymous = await call(waitingRoom, "loader", testRequest(path), params);
    const signedIn = await call(waitingRoom, "loader", testRequest(path, { sessionToken: await member() }), params);
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get("Cache-Control")).toMatch(/^public, /);
    expect(anonymous.headers.get("Set-Cookie")).toBeNull();
    expect(signedIn.body).toBe(anonymous.body);
    expect(String(anonymous.body)).toContain('src="/drop-queue.js"');
    expect(String(anonymous.body)).toContain("Waiting room");
    const german = await call(waitingRoom, "loader", testRequest(`${path}?lang=de`), params);
    expect(String(german.body)).toContain("Warteraum");
    const bad = await call(waitingRoom, "loader", testRequest("/s/x/drops/nope/queue"), {
      creatorSlug: "x",
      dropId: "nope",
    });
    expect(bad.status).toBe(404);
  });

  it("the poll places the member and admits them with a token; the claim API refuses a hot drop without it", async () => {
    const shop = await createDropShop(rt, { period: "2026-W12", allocationUnits: 100 });
    const product = await createProduct(rt, shop.creatorCtx, {
      title: "Print",
      priceMinor: 2500,
      currency: "EUR",
      capability: "screenprint",
      sku: "HOT-APP-1",
    });
    const drop = await createDrop(rt, shop.creatorCtx, {
      productId: product.id,
      title: "Hot",
      quantity: 3,
      period: "2026-W12",
      opensAt: new Date(rt.clock.now().getTime() + MINUTE),
      perMemberLimit: 1,
      tierIds: [],
    });
    await setDropPublished(rt, shop.creatorCtx, drop.id, true);
    await setDropHot(rt, shop.creatorCtx, drop.id, true);
    const token = await member();
    const queuePath = `/api/v1/drops/${drop.id}/queue`;
    const params = { id: drop.id };

    expect((await call(queueRoute, "loader", testRequest(queuePath), params)).status).toBe(401);
    const before = await call(queueRoute, "loader", testRequest(queuePath, { sessionToken: token }), params);
    expect(before.status).toBe(200);
    expect(before.headers.get("Cache-Control")).toBe("no-store");
    expect(before.body).toMatchObject({ queue: { state: "waiting", position: null, etaSeconds: 60 } });

    rt.clock.advance(MINUTE);
    const claimPath = `/api/v1/drops/${drop.id}/claims`;
    const claim = (json: unknown, key: string) =>
      call(
        claimsRoute,
        "action",
        testRequest(claimPath, { sessionToken: token, json, headers: { "Idempotency-Key": key } }),
        params,
      );
    const skipped = await claim({ quantity: 1 }, "skip-the-queue-1");
    expect(skipped.status).toBe(403);

    const admitted = await call(queueRoute, "loader", testRequest(queuePath, { sessionToken: token }), params);
    const queue = (admitted.body as { queue: { state: string; position: number; token: string } }).queue;
    expect(queue).toMatchObject({ state: "admitted", position: 1 });
    const won = await claim({ quantity: 1, admissionToken: queue.token }, "with-token-1");
    expect(won.status).toBe(201);
    const reused = await claim({ quantity: 1, admissionToken: queue.token }, "with-token-2");
    expect(reused.status).toBe(403);
  });
});
