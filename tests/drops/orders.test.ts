import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "@kiln/core";
import type { TenantContext } from "@kiln/db";
import { listCreatorOrders, listFactoryOrders, listMemberOrders, markOrder, payForClaim } from "@kiln/drops";
import { getTestRuntime } from "../setup/runtime";
import { startDropsWorld } from "./world";

/** Issue 8 §8: orders routed to the allocation's factory; who sees and marks which order. Both databases. */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
let world: Awaited<ReturnType<typeof startDropsWorld>>;

beforeAll(async () => {
  world = await startDropsWorld(rt);
});
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

async function placedOrder() {
  const s = await world.shop();
  const m = await world.memberWithClaim(s.drop.id);
  const result = await payForClaim(
    rt,
    world.stripe,
    m.member,
    await world.orderInput(m.member, m.claim.id, m.sessionId),
  );
  if (result.status !== "ordered") throw new Error("expected an order");
  const operator: TenantContext = {
    userId: s.p.operator.id,
    coopId: s.p.coop.id,
    role: "factory_operator",
    factoryId: s.p.factory.id,
  };
  return { s, m, order: result.order, operator, creator: s.creator as TenantContext };
}

describe("orders", () => {
  it("each member, creator team and factory operator sees only their own orders", async () => {
    const a = await placedOrder();
    const b = await placedOrder();
    expect((await listMemberOrders(rt, a.m.member)).map((o) => o.id)).toEqual([a.order.id]);
    expect((await listMemberOrders(rt, b.m.member)).map((o) => o.id)).toEqual([b.order.id]);
    const mine = (await listMemberOrders(rt, a.m.member))[0]!;
    expect(mine).toMatchObject({
      productTitle: "Night print",
      status: "placed",
      totalMinor: 2990,
      factoryId: a.s.p.factory.id,
      deliveredAt: null,
    });
    expect((await listFactoryOrders(rt, a.operator)).map((o) => o.id)).toEqual([a.order.id]);
    expect((await listFactoryOrders(rt, b.operator)).map((o) => o.id)).toEqual([b.order.id]);
    expect((await listCreatorOrders(rt, a.creator)).map((o) => o.id)).toEqual([a.order.id]);
    // An operator of another factory cannot see or mark the order: it looks missing.
    expect(await codeOf(markOrder(rt, b.operator, { orderId: a.order.id, status: "produced" }))).toBe("NOT_FOUND");
    expect(await codeOf(markOrder(rt, b.creator, { orderId: a.order.id, status: "delivered" }))).toBe("NOT_FOUND");
    // A member has no say in the order's production.
    expect(await codeOf(markOrder(rt, a.m.member, { orderId: a.order.id, status: "delivered" }))).toBe("NOT_FOUND");
  });

  it("operators mark produced and shipped; delivered and returned by operator or creator, in order, with timestamps", async () => {
    const { order, operator, creator, m } = await placedOrder();
    expect(await codeOf(markOrder(rt, operator, { orderId: order.id, status: "shipped" }))).toBe("CONFLICT");
    expect(await codeOf(markOrder(rt, creator, { orderId: order.id, status: "produced" }))).toBe("FORBIDDEN");
    expect(await codeOf(markOrder(rt, operator, { orderId: order.id, status: "done" as never }))).toBe("BAD_INPUT");
    rt.clock.advance(86_400_000);
    const produced = await markOrder(rt, operator, { orderId: order.id, status: "produced" });
    expect(produced.producedAt?.toISOString()).toBe(rt.clock.now().toISOString());
    // Repeating the current mark changes nothing.
    expect((await markOrder(rt, operator, { orderId: order.id, status: "produced" })).producedAt).toEqual(
      produced.producedAt,
    );
    rt.clock.advance(86_400_000);
    const shipped = await markOrder(rt, operator, { orderId: order.id, status: "shipped" });
    expect(shipped).toMatchObject({ status: "shipped" });
    rt.clock.advance(2 * 86_400_000);
    const delivered = await markOrder(rt, creator, { orderId: order.id, status: "delivered" });
    expect(delivered.deliveredAt?.toISOString()).toBe(rt.clock.now().toISOString());
    const returned = await markOrder(rt, operator, { orderId: order.id, status: "returned" });
    expect(returned).toMatchObject({ status: "returned" });
    expect(returned.returnedAt).not.toBeNull();
    const seen = (await listMemberOrders(rt, m.member))[0]!;
    expect(seen).toMatchObject({ status: "returned" });
    expect(seen.shippedAt).not.toBeNull();
  });
});
