import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { testIp, testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as cancelPage from "../../app/app/routes/account.orders.$orderId.cancel";
import * as ordersPage from "../../app/app/routes/account.orders";
import * as studioOrders from "../../app/app/routes/studio.$creatorSlug.orders";
import { setWindow } from "@kiln/capacity";
import { isAppError } from "@kiln/core";
import { schema, withSystem, type TenantContext } from "@kiln/db";
import {
  cancelOrderForRefund,
  claimDrop,
  createDrop,
  createProduct,
  listCreatorOrders,
  listMemberOrders,
  markOrder,
  payForClaim,
  reviseOrderShipBy,
  runDropHoldJob,
  setDropPublished,
} from "@kiln/drops";
import { performDueRefunds, performRefund } from "@kiln/rights";
import { getTestRuntime } from "../setup/runtime";
import { PERIOD, startDropsWorld } from "./world";

/**
 * Issue 8 §8 (ADR 020): capacity changes after sale revise the ship-by dates of orders not yet shipped;
 * the member is told once through the outbox with a link to cancel for a full refund; one press
 * cancels and refunds on the creator's account (idempotent), refused once shipped; the member's
 * per-drop and lifetime units come back for a cancelled order, not for a returned one. Both databases.
 */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
let world: Awaited<ReturnType<typeof startDropsWorld>>;
const APP = "http://kiln.test";

let services: ReturnType<typeof testServices> & {
  billing: { stripe: typeof world.stripe; onWebhookStored: () => void };
};

beforeAll(async () => {
  world = await startDropsWorld(rt);
  services = { ...testServices(rt), billing: { stripe: world.stripe, onWebhookStored: () => {} } };
});

const call = (route: RouteModule, kind: "loader" | "action", request: Request, params: Record<string, string> = {}) =>
  callRoute(services, route, kind, request, params);
const tokenFor = async (email: string) =>
  (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;
afterAll(async () => {
  await world?.billing.stop();
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => {
      if (isAppError(error)) return error.code;
      throw error;
    },
  );

type Shop = Awaited<ReturnType<typeof world.shop>>;

async function order(s: Shop, dropId = s.drop.id) {
  const m = await world.memberWithClaim(dropId);
  const result = await payForClaim(
    rt,
    world.stripe,
    m.member,
    await world.orderInput(m.member, m.claim.id, m.sessionId),
  );
  if (result.status !== "ordered") throw new Error("expected an order");
  return { ...m, order: result.order };
}

const admin = (s: Shop): TenantContext => ({ userId: s.p.admin.id, coopId: s.p.coop.id, role: "coop_admin" });
const operator = (s: Shop): TenantContext => ({
  userId: s.p.operator.id,
  coopId: s.p.coop.id,
  role: "factory_operator",
  factoryId: s.p.factory.id,
});

/**
 * The co-op admin opens a later window, then cuts the factory's window below the locked allocation:
 * capacity flags the batch and moves it to the later window, so it ships later (capacity's rules).
 */
async function cutWindow(s: Shop) {
  const factoryId = s.p.factory.id;
  await setWindow(rt, admin(s), { factoryId, capability: "screenprint", period: "2026-W52", units: 500 });
  await setWindow(rt, admin(s), { factoryId, capability: "screenprint", period: PERIOD, units: 40 });
}

const mails = (template: string, to: string) =>
  withSystem(rt, "test", (tx) =>
    tx.execute<{ subject: string; text_body: string }>(
      sql`select subject, text_body from email_outbox where template = ${template} and to_address = ${to}`,
    ),
  );

const orderRow = (id: string) =>
  withSystem(rt, "test", async (tx) => (await tx.select().from(schema.orders).where(eq(schema.orders.id, id)))[0]!);

const counters = (memberUserId: string, dropId: string, productId: string) =>
  withSystem(rt, "test", async (tx) => {
    const [drop] = await tx
      .select({ taken: schema.dropMemberCounters.taken })
      .from(schema.dropMemberCounters)
      .where(
        and(eq(schema.dropMemberCounters.dropId, dropId), eq(schema.dropMemberCounters.memberUserId, memberUserId)),
      );
    const [life] = await tx
      .select({ taken: schema.lifetimeCounters.taken })
      .from(schema.lifetimeCounters)
      .where(
        and(eq(schema.lifetimeCounters.subjectId, productId), eq(schema.lifetimeCounters.memberUserId, memberUserId)),
      );
    return { drop: drop?.taken ?? 0, lifetime: life?.taken ?? 0 };
  });

describe("revised ship-by dates after sale", () => {
  it("an order follows its batch's revised date; the member is told once, with the cancel link; both dates are shown", async () => {
    const s = await world.shop();
    const a = await order(s);
    const promised = a.order.shipBy!;
    expect(promised).toBe(s.drop.shipBy);
    // Nothing changed yet: nobody is told.
    expect((await reviseOrderShipBy(rt, { dropIds: [s.drop.id], appUrl: APP })).revised).toEqual([]);

    await cutWindow(s);
    const [drop] = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.drops).where(eq(schema.drops.id, s.drop.id)),
    );
    expect(drop!.shipBy! > promised).toBe(true);
    // The order's date has not moved on its own (the audit's finding): the minute hold job moves it.
    expect((await orderRow(a.order.id)).shipBy).toBe(promised);
    const job = await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id], appUrl: APP });
    expect(job.revisedOrders).toBe(1);
    const row = await orderRow(a.order.id);
    expect(row).toMatchObject({ shipBy: drop!.shipBy, originalShipBy: promised, status: "placed" });
    expect(row.shipByRevisedAt).not.toBeNull();

    const told = await mails("drops-ship-by-revised", a.user.email);
    expect(told).toHaveLength(1);
    expect(told[0]!.text_body).toContain(`${APP}/account/orders/${a.order.id}/cancel`);
    expect(told[0]!.text_body).toContain("29,90"); // the full refund offered, German like the order page
    // Again: nothing new, nobody told twice.
    expect((await reviseOrderShipBy(rt, { dropIds: [s.drop.id], appUrl: APP })).revised).toEqual([]);
    expect(await mails("drops-ship-by-revised", a.user.email)).toHaveLength(1);

    const [mine] = await listMemberOrders(rt, a.member);
    expect(mine).toMatchObject({ shipBy: drop!.shipBy, originalShipBy: promised, cancellable: true, refund: null });
  });

  it("one press cancels and refunds the full amount on the creator's account; a second press changes nothing", async () => {
    const s = await world.shop();
    const a = await order(s);
    await cutWindow(s);
    await reviseOrderShipBy(rt, { dropIds: [s.drop.id], appUrl: APP });

    const first = await cancelOrderForRefund(rt, a.member, a.order.id);
    expect(first).toMatchObject({ cancelledNow: true, order: { status: "cancelled" } });
    const paid = await performRefund(rt, world.stripe, first.refundId);
    expect(paid).toMatchObject({ status: "refunded", amountMinor: 2990, paidMinor: 2990, currency: "eur" });

    const again = await cancelOrderForRefund(rt, a.member, a.order.id);
    expect(again).toMatchObject({ cancelledNow: false, refundId: first.refundId });
    await performRefund(rt, world.stripe, again.refundId);
    const account = paid.stripeAccountId;
    const refunds = await world.stripe.refunds.list(
      { payment_intent: a.order.stripePaymentIntentId },
      { stripeAccount: account },
    );
    expect(refunds.data.map((r) => r.amount)).toEqual([2990]);
    expect(await mails("drops-order-cancelled", a.user.email)).toHaveLength(1);

    // The creator sees who cancelled, and that the refund is paid; the factory cannot make it any more.
    const seen = (await listCreatorOrders(rt, s.creator)).find((o) => o.id === a.order.id)!;
    expect(seen).toMatchObject({ status: "cancelled", memberName: a.user.displayName, refund: { status: "refunded" } });
    expect(seen.cancelledAt).not.toBeNull();
    expect(await codeOf(markOrder(rt, operator(s), { orderId: a.order.id, status: "produced" }))).toBe("CONFLICT");
  });

  it("a refund not paid when the member pressed (Stripe down, a crash) is paid by the rights sweep", async () => {
    const s = await world.shop();
    const a = await order(s);
    await cutWindow(s);
    await reviseOrderShipBy(rt, { dropIds: [s.drop.id], appUrl: APP });
    const { refundId } = await cancelOrderForRefund(rt, a.member, a.order.id);
    await performDueRefunds(rt, world.stripe);
    const [row] = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.refunds).where(eq(schema.refunds.id, refundId)),
    );
    expect(row).toMatchObject({ status: "refunded", orderId: a.order.id, withdrawalId: null });
  });

  it("refused once shipped, when the date did not move later, and for anyone else's order", async () => {
    const s = await world.shop();
    const notRevised = await order(s);
    expect(await codeOf(cancelOrderForRefund(rt, notRevised.member, notRevised.order.id))).toBe("CONFLICT");

    const shipped = await order(s);
    await cutWindow(s);
    await reviseOrderShipBy(rt, { dropIds: [s.drop.id], appUrl: APP });
    expect(await codeOf(cancelOrderForRefund(rt, notRevised.member, shipped.order.id))).toBe("NOT_FOUND");
    await markOrder(rt, operator(s), { orderId: shipped.order.id, status: "produced" });
    // Produced but not shipped: still cancellable (checked without pressing).
    expect((await listMemberOrders(rt, shipped.member))[0]).toMatchObject({ status: "produced", cancellable: true });
    await markOrder(rt, operator(s), { orderId: shipped.order.id, status: "shipped" });
    expect((await listMemberOrders(rt, shipped.member))[0]).toMatchObject({ status: "shipped", cancellable: false });
    expect(await codeOf(cancelOrderForRefund(rt, shipped.member, shipped.order.id))).toBe("CONFLICT");
    // A shipped order's date is not revised again.
    expect((await orderRow(shipped.order.id)).status).toBe("shipped");
  });
});

describe("the member's cancel page and the orders screens", () => {
  it("shows both dates, cancels with one press, shows the refund; the creator sees who cancelled; others get 404", async () => {
    const s = await world.shop();
    const a = await order(s);
    const stranger = await order(s);
    await cutWindow(s);
    await reviseOrderShipBy(rt, { dropIds: [s.drop.id], appUrl: APP });
    const token = await tokenFor(a.user.email);
    const path = `/account/orders/${a.order.id}/cancel`;
    const params = { orderId: a.order.id };

    const shown = await call(cancelPage, "loader", testRequest(path, { sessionToken: token }), params);
    expect(shown.status).toBe(200);
    const view = shown.body as Awaited<ReturnType<typeof cancelPage.loader>>;
    expect(view).toMatchObject({ cancellable: true, refund: null, order: { status: "placed", totalMinor: 2990 } });
    expect(view.order.shipBy! > view.order.originalShipBy!).toBe(true);
    // Someone else's order looks missing, and cannot be cancelled.
    const other = await tokenFor(stranger.user.email);
    expect((await call(cancelPage, "loader", testRequest(path, { sessionToken: other }), params)).status).toBe(404);
    expect(
      (await call(cancelPage, "action", testRequest(path, { sessionToken: other, form: {} }), params)).status,
    ).toBe(404);

    const pressed = await call(cancelPage, "action", testRequest(path, { sessionToken: token, form: {} }), params);
    expect(pressed).toMatchObject({ status: 200, body: { cancelled: true, refundStatus: "refunded" } });
    const again = await call(cancelPage, "action", testRequest(path, { sessionToken: token, form: {} }), params);
    expect(again).toMatchObject({ status: 200, body: { cancelled: true, refundStatus: "refunded" } });

    const orders = (await call(ordersPage, "loader", testRequest("/account/orders", { sessionToken: token })))
      .body as Awaited<ReturnType<typeof ordersPage.loader>>;
    expect(orders.orders[0]).toMatchObject({ status: "cancelled", refundStatus: "refunded", cancelPath: null });
    const creatorToken = await tokenFor(s.p.owner.email);
    const studio = (
      await call(
        studioOrders,
        "loader",
        testRequest(`/studio/${s.p.creator.slug}/orders`, { sessionToken: creatorToken }),
        {
          creatorSlug: s.p.creator.slug,
        },
      )
    ).body as Awaited<ReturnType<typeof studioOrders.loader>>;
    expect(studio.orders.find((o) => o.id === a.order.id)).toMatchObject({
      status: "cancelled",
      memberName: a.user.displayName,
      refundStatus: "refunded",
    });
    expect(studio.orders.find((o) => o.id === stranger.order.id)).toMatchObject({
      status: "placed",
      originalShipBy: view.order.originalShipBy,
      cancelledAt: null,
    });
  });
});

describe("lifetime and per-drop units of a cancelled or returned order", () => {
  async function limitedShop() {
    const s = await world.shop();
    const product = await createProduct(rt, s.creator, {
      title: "Numbered print",
      priceMinor: 4000,
      currency: "EUR",
      capability: "screenprint",
      sku: "NUMBERED-1",
      lifetimeLimit: 1,
    });
    const drop = await createDrop(rt, s.creator, {
      productId: product.id,
      title: "Numbered run",
      quantity: 10,
      period: PERIOD,
      opensAt: new Date(rt.clock.now().getTime() - 60_000),
      perMemberLimit: 1,
    });
    await setDropPublished(rt, s.creator, drop.id, true);
    return { s, product, drop };
  }

  it("an order cancelled before shipping gives the lifetime and per-drop unit back", async () => {
    const { s, product, drop } = await limitedShop();
    const a = await order(s, drop.id);
    expect(await counters(a.user.id, drop.id, product.id)).toEqual({ drop: 1, lifetime: 1 });
    expect(await codeOf(claimDrop(rt, a.member, { dropId: drop.id, idempotencyKey: `again-${a.user.id}` }))).toBe(
      "LIMIT_EXCEEDED",
    );
    await cutWindow(s);
    await reviseOrderShipBy(rt, { dropIds: [drop.id], appUrl: APP });
    await cancelOrderForRefund(rt, a.member, a.order.id);
    expect(await counters(a.user.id, drop.id, product.id)).toEqual({ drop: 0, lifetime: 0 });
    // A second press does not give the unit back twice.
    await cancelOrderForRefund(rt, a.member, a.order.id);
    expect(await counters(a.user.id, drop.id, product.id)).toEqual({ drop: 0, lifetime: 0 });
    const claim = await claimDrop(rt, a.member, { dropId: drop.id, idempotencyKey: `after-${a.user.id}` });
    expect(claim.status).toBe("reserved");
  });

  it("a delivered order that came back keeps its lifetime unit (the member had the goods)", async () => {
    const { s, product, drop } = await limitedShop();
    const b = await order(s, drop.id);
    for (const status of ["produced", "shipped", "delivered", "returned"] as const)
      await markOrder(rt, operator(s), { orderId: b.order.id, status });
    expect(await counters(b.user.id, drop.id, product.id)).toEqual({ drop: 1, lifetime: 1 });
    expect(await codeOf(claimDrop(rt, b.member, { dropId: drop.id, idempotencyKey: `again-${b.user.id}` }))).toBe(
      "LIMIT_EXCEEDED",
    );
  });
});
