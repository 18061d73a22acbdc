import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSystem } from "@kiln/db";
import { payForClaim } from "@kiln/drops";
import { startDropsWorld } from "../drops/world";
import { getTestRuntime } from "../setup/runtime";

/** Disputes (issue 5 §7) on a drop order's payment flag that order, not the member's subscription. */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
let world: Awaited<ReturnType<typeof startDropsWorld>>;

beforeAll(async () => {
  world = await startDropsWorld(rt);
});
afterAll(async () => {
  await world?.billing.stop();
});

describe("a dispute on a drop order's payment", () => {
  it("flags the order (found by its PaymentIntent) and mails the creator", async () => {
    const s = await world.shop();
    const m = await world.memberWithClaim(s.drop.id);
    const result = await payForClaim(
      rt,
      world.stripe,
      m.member,
      await world.orderInput(m.member, m.claim.id, m.sessionId),
    );
    if (result.status !== "ordered") throw new Error(`expected an order, got ${result.status}`);
    const order = result.order;
    const pi = await world.stripe.paymentIntents.retrieve(
      order.stripePaymentIntentId,
      {},
      { stripeAccount: s.account },
    );
    const opened = await world.billing.emulator.control.openDispute(pi.latest_charge as string, {
      account: s.account,
      reason: "product_not_received",
    });
    await world.billing.drain({ appUrl: "http://kiln.test" });
    const rows = await withSystem(rt, "t", (tx) =>
      tx.execute<{ order_id: string | null; subscription_id: string | null; status: string }>(
        sql`select order_id, subscription_id, status from billing_disputes where stripe_dispute_id = ${opened.id}`,
      ),
    );
    expect(rows).toEqual([{ order_id: order.id, subscription_id: null, status: "needs_response" }]);
    const mails = await withSystem(rt, "t", (tx) =>
      tx.execute(
        sql`select 1 from email_outbox where to_address = ${s.p.owner.email} and template = 'billing-dispute-opened'`,
      ),
    );
    expect(mails).toHaveLength(1);
  });
});
