import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, updateProfile } from "@kiln/auth";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { testIp, testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as ordersPage from "../../app/app/routes/account.orders";
import * as dropPage from "../../app/app/routes/s.$creatorSlug.drops.$dropId";
import * as claimPage from "../../app/app/routes/s.$creatorSlug.drops.claims.$claimId";
import * as factoryOrders from "../../app/app/routes/factory.$factoryId.orders";
import * as studioOrders from "../../app/app/routes/studio.$creatorSlug.orders";
import { getTestRuntime } from "../setup/runtime";
import { startDropsWorld } from "./world";

/** The member's screens: drop page → claim → order page (card, address, disclosure) → my orders. */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
let world: Awaited<ReturnType<typeof startDropsWorld>>;
let services: ReturnType<typeof testServices> & {
  billing: { stripe: typeof world.stripe; onWebhookStored: () => void };
};

beforeAll(async () => {
  world = await startDropsWorld(rt);
  services = { ...testServices(rt), billing: { stripe: world.stripe, onWebhookStored: () => {} } };
});
afterAll(async () => {
  await world?.billing.stop();
});

const call = (route: RouteModule, kind: "loader" | "action", request: Request, params: Record<string, string> = {}) =>
  callRoute(services, route, kind, request, params);

describe("drop screens", () => {
  it("claims, saves a card, refuses a bad address, orders; the factory and the creator mark it, the member tracks it", async () => {
    const s = await world.shop();
    const user = await createUser(rt);
    await updateProfile(rt, user.id, { displayName: "Mia", locale: "de", country: "DE" });
    const token = (
      await signIn(rt, { email: user.email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })
    ).token;
    const slug = s.p.creator.slug;
    const dropPath = `/s/${slug}/drops/${s.drop.id}`;

    const shown = await call(dropPage, "loader", testRequest(dropPath, { sessionToken: token }), {
      creatorSlug: slug,
      dropId: s.drop.id,
    });
    expect(shown.status).toBe(200);
    const { idempotencyKey, remaining } = shown.body as { idempotencyKey: string; remaining: number };
    expect(remaining).toBe(5);
    const claimed = await call(
      dropPage,
      "action",
      testRequest(dropPath, { sessionToken: token, form: { intent: "claim", idempotencyKey } }),
      { creatorSlug: slug, dropId: s.drop.id },
    );
    expect(claimed.status).toBe(302);
    const claimPath = claimed.headers.get("Location")!;
    const claimId = claimPath.split("/").at(-1)!;
    const params = { creatorSlug: slug, claimId };

    const before = await call(claimPage, "loader", testRequest(claimPath, { sessionToken: token }), params);
    expect(before.body).toMatchObject({ isHeld: true, session: null, totals: { total: 2990 } });
    const card = await call(
      claimPage,
      "action",
      testRequest(claimPath, { sessionToken: token, form: { intent: "card" } }),
      params,
    );
    expect(card.status).toBe(302);
    const back = new URL(
      await world.completeHosted(card.headers.get("Location")!, {
        cardnumber: "4242424242424242",
        exp: "12/34",
        cvc: "123",
      }),
    );
    expect(back.pathname).toBe(claimPath);
    const session = back.searchParams.get("session")!;
    const orderPath = `${back.pathname}${back.search}`;
    const page = await call(claimPage, "loader", testRequest(orderPath, { sessionToken: token }), params);
    expect(page.body).toMatchObject({ session, locale: "de" });

    const address = { name: "Mia Muster", line1: "Hauptstr. 1", postalCode: "10115", city: "Berlin" };
    const bad = await call(
      claimPage,
      "action",
      testRequest(orderPath, { sessionToken: token, form: { intent: "order", session, ...address, country: "DEU" } }),
      params,
    );
    expect(bad).toMatchObject({
      status: 400,
      body: { code: "BAD_INPUT", fields: { "address.country": ["Enter the country as a two-letter code like DE"] } },
    });
    const none = await call(ordersPage, "loader", testRequest("/account/orders", { sessionToken: token }), {});
    expect(none.body).toEqual({ orders: [] });

    const placed = await call(
      claimPage,
      "action",
      testRequest(orderPath, { sessionToken: token, form: { intent: "order", session, ...address, country: "de" } }),
      params,
    );
    expect(placed.status).toBe(302);
    expect(placed.headers.get("Location")).toBe("/account/orders");
    const mine = await call(ordersPage, "loader", testRequest("/account/orders", { sessionToken: token }), {});
    const { orders } = mine.body as Awaited<ReturnType<typeof ordersPage.loader>>;
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ productTitle: "Night print", status: "placed", totalMinor: 2990 });

    // The factory's operator sees it in their view and marks it produced.
    const operatorToken = (
      await signIn(rt, {
        email: s.p.operator.email,
        password: DEFAULT_TEST_PASSWORD,
        ip: "198.51.100.1",
        userAgent: "test",
      })
    ).token;
    const factoryPath = `/factory/${s.p.factory.id}/orders`;
    const view = await call(factoryOrders, "loader", testRequest(factoryPath, { sessionToken: operatorToken }), {
      factoryId: s.p.factory.id,
    });
    const listed = (view.body as Awaited<ReturnType<typeof factoryOrders.loader>>).orders;
    expect(listed.map((o) => [o.id, o.next])).toEqual([[orders[0]!.id, "produced"]]);
    const marked = await call(
      factoryOrders,
      "action",
      testRequest(factoryPath, {
        sessionToken: operatorToken,
        form: { intent: "mark-order", orderId: orders[0]!.id, status: "produced" },
      }),
      { factoryId: s.p.factory.id },
    );
    expect(marked.status).toBe(302);
    const shipped = await call(
      factoryOrders,
      "action",
      testRequest(factoryPath, {
        sessionToken: operatorToken,
        form: { intent: "mark-order", orderId: orders[0]!.id, status: "shipped" },
      }),
      { factoryId: s.p.factory.id },
    );
    expect(shipped.status).toBe(302);
    // The creator team sees it shipped and marks it delivered (the goods withdrawal period starts then).
    const ownerToken = (
      await signIn(rt, {
        email: s.p.owner.email,
        password: DEFAULT_TEST_PASSWORD,
        ip: "198.51.100.1",
        userAgent: "test",
      })
    ).token;
    const studioPath = `/studio/${slug}/orders`;
    const studio = await call(studioOrders, "loader", testRequest(studioPath, { sessionToken: ownerToken }), {
      creatorSlug: slug,
    });
    expect((studio.body as Awaited<ReturnType<typeof studioOrders.loader>>).orders).toMatchObject([
      { id: orders[0]!.id, status: "shipped", marks: ["delivered", "returned"] },
    ]);
    const delivered = await call(
      studioOrders,
      "action",
      testRequest(studioPath, {
        sessionToken: ownerToken,
        form: { intent: "mark-order", orderId: orders[0]!.id, status: "delivered" },
      }),
      { creatorSlug: slug },
    );
    expect(delivered.status).toBe(302);
    const tracked = await call(ordersPage, "loader", testRequest("/account/orders", { sessionToken: token }), {});
    expect((tracked.body as Awaited<ReturnType<typeof ordersPage.loader>>).orders[0]).toMatchObject({
      status: "delivered",
    });
    // The member cannot open the factory view.
    const denied = await call(factoryOrders, "loader", testRequest(factoryPath, { sessionToken: token }), {
      factoryId: s.p.factory.id,
    });
    expect(denied.status).toBe(404);
  });
});
