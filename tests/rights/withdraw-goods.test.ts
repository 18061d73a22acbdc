import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import { performDueRefunds, refundReturnedOrder, submitWithdrawal } from "@kiln/rights";
import { startBillingWorld } from "../billing/world";
import { getTestRuntime } from "../setup/runtime";
import { outboxFor, RECEIPT_KEY, submissionKey } from "./helpers";

/**
 * The withdrawal function for goods (a drop order, CRD art 9(2)(b)): the 14 days start at delivery,
 * the member gets return instructions, and the refund (everything paid) is due 14 days after the
 * statement and paid once the goods are back. The order is written as the drops flow leaves it
 * (captured payment on the creator's connected account, then produced, shipped, delivered).
 */
const rt = await getTestRuntime("2026-11-30T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;
const DAY = 86_400_000;

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

async function deliveredOrder(deliveredAt: Date | null, exemption: string | null = null) {
  const { p, account } = await world.liveTier();
  const pi = await world.stripe.paymentIntents.create(
    { amount: 3000, currency: "eur", payment_method: "pm_card_visa", confirm: true },
    { stripeAccount: account },
  );
  const now = rt.clock.now().toISOString();
  const orderId = randomUUID();
  await withSystem(rt, "test-order", async (tx) => {
    const [product] = await tx.execute<{
      id: string;
    }>(sql`insert into products (coop_id, creator_id, title, price_minor, currency, capability, sku)
      values (${p.coop.id}, ${p.creator.id}, 'Riso print', 2500, 'EUR', 'screenprint', ${`S-${orderId}`}) returning id`);
    const [drop] = await tx.execute<{
      id: string;
    }>(sql`insert into drops (coop_id, creator_id, product_id, title, quantity, capability, period, opens_at)
      values (${p.coop.id}, ${p.creator.id}, ${product!.id}, 'Drop', 10, 'screenprint', '2026-W48', ${now}) returning id`);
    const [claim] = await tx.execute<{
      id: string;
    }>(sql`insert into drop_claims (coop_id, creator_id, drop_id, member_user_id, quantity, taken_from, idempotency_key, expires_at)
      values (${p.coop.id}, ${p.creator.id}, ${drop!.id}, ${p.member.id}, 1, '{"0":1}'::jsonb, ${`claim-${orderId}`}, ${now}) returning id`);
    const address = JSON.stringify({
      name: "M",
      line1: "Str. 1",
      line2: null,
      postalCode: "10115",
      city: "Berlin",
      country: "DE",
    });
    await tx.execute(sql`insert into drop_payments (claim_id, coop_id, creator_id, member_user_id, status, stripe_account_id, stripe_customer_id,
        stripe_payment_intent_id, currency, items_minor, delivery_minor, total_minor, application_fee_minor, shipping_address, disclosure_text, button_label, locale)
      values (${claim!.id}, ${p.coop.id}, ${p.creator.id}, ${p.member.id}, 'captured', ${account}, 'cus_x', ${pi.id}, 'EUR', 2500, 500, 3000, 150,
        ${address}::jsonb, 'disclosure', 'Zahlungspflichtig bestellen', 'de')`);
    await tx.execute(sql`insert into orders (id, coop_id, creator_id, claim_id, drop_id, product_id, member_user_id, factory_id, quantity, currency,
        items_minor, delivery_minor, total_minor, shipping_address, stripe_payment_intent_id, withdrawal_exemption_reason, status,
        placed_at, produced_at, shipped_at, delivered_at)
      values (${orderId}, ${p.coop.id}, ${p.creator.id}, ${claim!.id}, ${drop!.id}, ${product!.id}, ${p.member.id}, ${p.factory.id}, 1, 'EUR',
        2500, 500, 3000, ${address}::jsonb, ${pi.id}, ${exemption}, ${deliveredAt ? "delivered" : "placed"},
        ${now}, ${deliveredAt ? now : null}, ${deliveredAt ? now : null}, ${deliveredAt?.toISOString() ?? null})`);
  });
  return { p, account, orderId, paymentIntent: pi.id };
}

const withdrawalOf = async (orderId: string) =>
  withSystem(rt, "test", (tx) => tx.select().from(schema.withdrawals).where(eq(schema.withdrawals.orderId, orderId)));

describe("withdrawal from a drop order (goods)", () => {
  it("the 14 days start at delivery: day 14 after delivery is accepted, the refund waits for the return", async () => {
    rt.clock.set(new Date("2026-11-30T10:00:00Z"));
    // Ordered on 30 Nov, delivered on 10 Dec: 20 days after the order, but day 10 after delivery.
    const o = await deliveredOrder(new Date("2026-12-10T09:00:00Z"));
    rt.clock.set(new Date("2026-12-24T12:00:00Z")); // day 14 after delivery (a Thursday)
    const answer = await submitWithdrawal(
      rt,
      world.stripe,
      { name: "Mia", order: o.orderId, email: o.p.member.email, submission: submissionKey(), locale: "de" },
      { receiptKey: RECEIPT_KEY },
    );
    expect(answer.status).toBe("received");
    const [w] = await withdrawalOf(o.orderId);
    expect(w).toMatchObject({ outcome: "accepted", contractKind: "goods", subscriptionId: null });
    expect(w!.deadlineAt!.toISOString()).toBe("2026-12-24T23:00:00.000Z");
    const [refund] = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.refunds).where(eq(schema.refunds.withdrawalId, w!.id)),
    );
    expect(refund).toMatchObject({ amountMinor: 3000, currency: "eur", basis: "full", status: "due" });
    expect(refund!.dueBy.getTime()).toBe(Date.parse("2026-12-24T12:00:00Z") + 14 * DAY);
    const ack = (await outboxFor(rt, [o.p.member.email])).find((m) => m.template === "rights-withdrawal");
    expect(ack!.textBody).toContain("Bitte senden Sie die Ware binnen 14 Tagen");

    // The refund sweep leaves a goods refund alone until the order is marked returned …
    await performDueRefunds(rt, world.stripe);
    const statusOf = async () =>
      (
        await withSystem(rt, "test", (tx) => tx.select().from(schema.refunds).where(eq(schema.refunds.id, refund!.id)))
      )[0]!.status;
    expect(await statusOf()).toBe("due");
    await withSystem(rt, "test-return", (tx) =>
      tx
        .update(schema.orders)
        .set({ status: "returned", returnedAt: new Date() })
        .where(eq(schema.orders.id, o.orderId)),
    );
    // … then pays it, once, however often the return is reported.
    await performDueRefunds(rt, world.stripe);
    expect(await statusOf()).toBe("refunded");
    const paid = await refundReturnedOrder(rt, world.stripe, o.orderId);
    expect(paid).toMatchObject({ status: "refunded" });
    await refundReturnedOrder(rt, world.stripe, o.orderId);
    const refunds = await world.stripe.refunds.list({ payment_intent: o.paymentIntent }, { stripeAccount: o.account });
    expect(refunds.data.map((r) => r.amount)).toEqual([3000]);
  });

  it("day 15 after delivery is refused; before delivery the period is open", async () => {
    rt.clock.set(new Date("2026-11-30T10:00:00Z"));
    const late = await deliveredOrder(new Date("2026-12-10T09:00:00Z"));
    const undelivered = await deliveredOrder(null);
    rt.clock.set(new Date("2026-12-25T12:00:00Z"));
    const refused = await submitWithdrawal(
      rt,
      world.stripe,
      { name: "M", order: late.orderId, email: late.p.member.email, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    expect(refused).toMatchObject({ status: "out_of_window", lastDay: "2026-12-24" });
    const open = await submitWithdrawal(
      rt,
      world.stripe,
      { name: "M", order: undelivered.orderId, email: undelivered.p.member.email, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    expect(open.status).toBe("received");
    expect((await withdrawalOf(undelivered.orderId))[0]!.outcome).toBe("accepted");
  });

  it("an exempt product (art 16, disclosed before the order) has no withdrawal right", async () => {
    rt.clock.set(new Date("2026-11-30T10:00:00Z"));
    const o = await deliveredOrder(new Date("2026-12-01T09:00:00Z"), "personalised");
    const answer = await submitWithdrawal(
      rt,
      world.stripe,
      { name: "M", order: o.orderId, email: o.p.member.email, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    expect(answer).toMatchObject({ status: "out_of_window", lastDay: null });
  });
});
