import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "./index";
import { startReceiver } from "./test-helpers";

const T0 = new Date("2026-12-01T10:00:00Z");
const DAY = 86_400;
const SECRET = "whsec_billing";
let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  stripe = new Stripe("sk_test_billing", { maxNetworkRetries: 0 });
  receiver = await startReceiver(SECRET, stripe);
  emulator = await startStripeEmulator({ now: () => T0, webhooks: [{ url: receiver.url, secret: SECRET }] });
  stripe = new Stripe("sk_test_billing", { ...stripeClientOptions(emulator.url), maxNetworkRetries: 0 });
});
afterAll(async () => {
  await emulator.stop();
  await receiver.close();
});
beforeEach(async () => {
  await emulator.webhooksIdle();
  emulator.reset();
  receiver.events.length = 0;
});

async function monthly(amount: number) {
  const product = await stripe.products.create({ name: `Tier ${amount}` });
  return stripe.prices.create({
    product: product.id,
    unit_amount: amount,
    currency: "eur",
    recurring: { interval: "month" },
  });
}

async function payingCustomer(card = "pm_card_visa") {
  const customer = await stripe.customers.create({ email: "member@example.com" });
  const pm = await stripe.paymentMethods.attach(card, { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  return customer;
}

async function latestInvoice(subscription: string) {
  const sub = await stripe.subscriptions.retrieve(subscription, { expand: ["latest_invoice"] });
  return sub.latest_invoice as Stripe.Invoice;
}

describe("proration", () => {
  // Period 2026-12-01 → 2027-01-01 (31 days); the change comes after 10 days, so 21/31 is unused.
  it("credits the unused time at the old price and charges it at the new one on the next invoice", async () => {
    const [cheap, dear] = [await monthly(1000), await monthly(2000)];
    const customer = await payingCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: cheap.id }] });
    await emulator.control.advance({ days: 10 });
    const item = sub.items.data[0]!;
    await stripe.subscriptions.update(sub.id, { items: [{ id: item.id, price: dear.id }] });
    const pending = await stripe.invoiceItems.list({ customer: customer.id });
    expect(pending.data.map((ii) => ii.amount).sort((a, b) => a - b)).toEqual([-677, 1355]);
    expect(pending.data.every((ii) => ii.proration && ii.invoice === null)).toBe(true);

    await emulator.control.advance({ days: 21 });
    const renewal = await latestInvoice(sub.id);
    expect(renewal).toMatchObject({ billing_reason: "subscription_cycle", status: "paid", amount_paid: 2678 });
    expect(renewal.lines.data.map((l) => l.amount).sort((a, b) => a - b)).toEqual([-677, 1355, 2000]);
  });

  it("bills the proration at once with always_invoice, and not at all with none", async () => {
    const price = await monthly(1000);
    const customer = await payingCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await emulator.control.advance({ days: 10 });
    const itemId = sub.items.data[0]!.id;
    const updated = await stripe.subscriptions.update(sub.id, {
      items: [{ id: itemId, quantity: 2 }],
      proration_behavior: "always_invoice",
      expand: ["latest_invoice"],
    });
    expect(updated.items.data[0]?.quantity).toBe(2);
    expect(updated.latest_invoice).toMatchObject({
      billing_reason: "subscription_update",
      status: "paid",
      amount_paid: 1355 - 677,
    });

    const quiet = await stripe.subscriptions.update(sub.id, {
      items: [{ id: itemId, quantity: 3 }],
      proration_behavior: "none",
    });
    expect(quiet.items.data[0]?.quantity).toBe(3);
    expect((await stripe.invoiceItems.list({ customer: customer.id })).data.every((ii) => ii.invoice !== null)).toBe(
      true,
    );
    expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(2);
  });
});

describe("pause_collection and resume", () => {
  it.each([
    ["void", "void"],
    ["keep_as_draft", "draft"],
    ["mark_uncollectible", "uncollectible"],
  ] as const)("pause_collection[behavior]=%s leaves the renewal invoice %s", async (behavior, status) => {
    const price = await monthly(900);
    const customer = await payingCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await stripe.subscriptions.update(sub.id, { pause_collection: { behavior } });
    await emulator.control.advance({ days: 31 });
    expect(await latestInvoice(sub.id)).toMatchObject({ billing_reason: "subscription_cycle", status, amount_paid: 0 });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe("active");

    await stripe.subscriptions.update(sub.id, { pause_collection: "" });
    await emulator.control.advance({ days: 31 });
    expect(await latestInvoice(sub.id)).toMatchObject({ status: "paid", amount_paid: 900 });
  });

  it("lifts the pause at resumes_at", async () => {
    const price = await monthly(900);
    const customer = await payingCustomer();
    const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const resumesAt = sub.start_date + 40 * DAY;
    await stripe.subscriptions.update(sub.id, { pause_collection: { behavior: "void", resumes_at: resumesAt } });
    await emulator.control.advance({ days: 35 });
    expect((await latestInvoice(sub.id)).status).toBe("void");
    await emulator.control.advance({ days: 6 });
    expect((await stripe.subscriptions.retrieve(sub.id)).pause_collection).toBeNull();
    const lifted = await stripe.events.list({ type: "customer.subscription.updated" });
    expect(lifted.data[0]?.data.previous_attributes).toMatchObject({ pause_collection: { resumes_at: resumesAt } });
    await emulator.control.advance({ days: 30 });
    expect((await latestInvoice(sub.id)).status).toBe("paid");
  });

  it("pauses at trial end without a card (missing_payment_method=pause) and resumes with one", async () => {
    const price = await monthly(700);
    const customer = await stripe.customers.create({ email: "trial@example.com" });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
      trial_settings: { end_behavior: { missing_payment_method: "pause" } },
    });
    await expect(stripe.subscriptions.resume(sub.id)).rejects.toMatchObject({ code: "subscription_not_paused" });
    await emulator.control.advance({ days: 8 });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe("paused");
    await receiver.waitFor((e) => e.type === "customer.subscription.paused" && e.data.object.id === sub.id);

    await payingCustomer().then(() => undefined); // another customer's card must not be used
    const pm = await stripe.paymentMethods.attach("pm_card_visa", { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
    const resumed = await stripe.subscriptions.resume(sub.id, {
      billing_cycle_anchor: { type: "now" },
      expand: ["latest_invoice"],
    });
    expect(resumed.status).toBe("active");
    expect(resumed.latest_invoice).toMatchObject({ status: "paid", amount_paid: 700 });
    expect(resumed.items.data[0]?.current_period_start).toBe(await emulator.control.now());
    const event = await receiver.waitFor((e) => e.type === "customer.subscription.resumed");
    expect((event.data.object as Stripe.Subscription).status).toBe("active");
  });
});

describe("trial notices", () => {
  it("sends customer.subscription.trial_will_end once, three days before the trial ends", async () => {
    const price = await monthly(500);
    const customer = await payingCustomer();
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 7,
    });
    await emulator.control.advance({ days: 3 });
    expect((await stripe.events.list({ type: "customer.subscription.trial_will_end" })).data).toHaveLength(0);
    await emulator.control.advance({ days: 1, seconds: 1 });
    const notice = await receiver.waitFor((e) => e.type === "customer.subscription.trial_will_end");
    expect(notice.created).toBe(sub.trial_end! - 3 * DAY);
    expect((notice.data.object as Stripe.Subscription).id).toBe(sub.id);
    await emulator.control.advance({ days: 4 });
    expect((await stripe.events.list({ type: "customer.subscription.trial_will_end" })).data).toHaveLength(1);
    expect(await stripe.subscriptions.retrieve(sub.id)).toMatchObject({ status: "active" });
  });
});

describe("payment_behavior=error_if_incomplete", () => {
  it("answers 402 and creates nothing when the first payment fails", async () => {
    const price = await monthly(1200);
    const customer = await stripe.customers.create({ email: "declined@example.com" });
    await expect(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        default_payment_method: "pm_card_chargeDeclined",
        payment_behavior: "error_if_incomplete",
      }),
    ).rejects.toMatchObject({ type: "StripeCardError", statusCode: 402, code: "card_declined" });
    expect((await stripe.subscriptions.list({ status: "all" })).data).toHaveLength(0);
    expect((await stripe.invoices.list()).data).toHaveLength(0);
    expect((await stripe.paymentIntents.list()).data).toHaveLength(0);
    expect((await stripe.events.list({ types: ["customer.subscription.*", "invoice.*"] })).data).toHaveLength(0);

    // allow_incomplete (the default) keeps an incomplete subscription instead.
    const kept = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: "pm_card_chargeDeclined",
    });
    expect(kept.status).toBe("incomplete");
    await emulator.webhooksIdle();
    expect(receiver.events.filter((e) => e.type === "customer.subscription.created")).toHaveLength(1);
  });
});

describe("dunning settings", () => {
  it("applies afterFinalFailure per emulator instance", async () => {
    const other = await startStripeEmulator({ now: () => T0, afterFinalFailure: "unpaid" });
    try {
      const outcomes: string[] = [];
      for (const target of [emulator, other]) {
        const client = new Stripe("sk_test_dunning", { ...stripeClientOptions(target.url), maxNetworkRetries: 0 });
        const product = await client.products.create({ name: "Dunning" });
        const price = await client.prices.create({
          product: product.id,
          unit_amount: 800,
          currency: "eur",
          recurring: { interval: "month" },
        });
        const customer = await client.customers.create({ email: "late@example.com" });
        const sub = await client.subscriptions.create({
          customer: customer.id,
          items: [{ price: price.id }],
          default_payment_method: "pm_card_visa",
        });
        await target.control.failNextPayment(customer.id, { count: 4 }); // the renewal and its three retries
        await target.control.advance({ days: 31 });
        expect((await client.subscriptions.retrieve(sub.id)).status).toBe("past_due");
        await target.control.advance({ days: 5 });
        outcomes.push((await client.subscriptions.retrieve(sub.id)).status);
      }
      expect(outcomes).toEqual(["canceled", "unpaid"]);
    } finally {
      await other.stop();
    }
  });
});

describe("destination charges", () => {
  it("records the application fee for the destination account", async () => {
    const account = await stripe.accounts.create({ type: "express", country: "DE" });
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: "eur",
      payment_method: "pm_card_visa",
      confirm: true,
      application_fee_amount: 400,
      transfer_data: { destination: account.id },
    });
    expect(pi).toMatchObject({ status: "succeeded", transfer_data: { destination: account.id } });
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ application_fee_amount: 400, transfer_data: { destination: account.id } });
    const fees = await stripe.applicationFees.list({ charge: charge.id });
    expect(fees.data).toHaveLength(1);
    expect(fees.data[0]).toMatchObject({ amount: 400, account: account.id, id: charge.application_fee });

    await expect(
      stripe.paymentIntents.create({
        amount: 5000,
        currency: "eur",
        transfer_data: { destination: "acct_missing" },
      }),
    ).rejects.toMatchObject({ code: "resource_missing", param: "transfer_data[destination]", statusCode: 404 });
  });
});
