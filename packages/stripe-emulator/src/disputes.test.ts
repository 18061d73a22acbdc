import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "./index";
import { startReceiver } from "./test-helpers";

const SECRET = "whsec_disputes";
let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  stripe = new Stripe("sk_test_disputes", { maxNetworkRetries: 0 });
  receiver = await startReceiver(SECRET, stripe);
  emulator = await startStripeEmulator({ webhooks: [{ url: receiver.url, secret: SECRET }] });
  stripe = new Stripe("sk_test_disputes", { ...stripeClientOptions(emulator.url), maxNetworkRetries: 0 });
});
afterAll(async () => {
  await emulator.stop();
  await receiver.close();
});

async function capturedCharge(amount = 2000) {
  const customer = await stripe.customers.create({ email: "m@example.com" });
  const pi = await stripe.paymentIntents.create({
    amount,
    currency: "eur",
    customer: customer.id,
    payment_method: "pm_card_visa",
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: "never" },
  });
  return stripe.charges.retrieve(pi.latest_charge as string);
}

describe("disputes (test control) and the balance", () => {
  it("opens a dispute with Stripe's shape, moves it on and closes it, each with its event; the balance nets it", async () => {
    const charge = await capturedCharge();
    const opened = await emulator.control.openDispute(charge.id, { reason: "fraudulent" });
    const created = await receiver.waitFor((e) => e.type === "charge.dispute.created");
    const object = created.data.object as Stripe.Dispute;
    expect(object).toMatchObject({
      id: opened.id,
      object: "dispute",
      charge: charge.id,
      amount: 2000,
      currency: "eur",
      reason: "fraudulent",
      status: "needs_response",
    });
    await emulator.control.setDisputeStatus(opened.id, "under_review");
    const updated = await receiver.waitFor((e) => e.type === "charge.dispute.updated");
    expect(updated.data.previous_attributes).toEqual({ status: "needs_response" });
    expect((await stripe.balance.retrieve()).available).toEqual([
      expect.objectContaining({ currency: "eur", amount: 0 }),
    ]);
    const closed = await stripe.disputes.close(opened.id);
    expect(closed.status).toBe("lost");
    await receiver.waitFor((e) => e.type === "charge.dispute.closed");
    await expect(stripe.disputes.close(opened.id)).rejects.toThrow(/already closed/);
    expect((await stripe.disputes.list({ charge: charge.id })).data.map((d) => d.id)).toEqual([opened.id]);
  });

  it("a dispute won gives the money back to the balance; an uncaptured or unknown charge cannot be disputed", async () => {
    const charge = await capturedCharge(500);
    const before = (await stripe.balance.retrieve()).available.find((b) => b.currency === "eur")!.amount;
    const d = await emulator.control.openDispute(charge.id, {});
    expect((await stripe.balance.retrieve()).available.find((b) => b.currency === "eur")!.amount).toBe(before - 500);
    await emulator.control.setDisputeStatus(d.id, "won");
    expect((await stripe.balance.retrieve()).available.find((b) => b.currency === "eur")!.amount).toBe(before);
    await expect(emulator.control.openDispute("ch_missing", {})).rejects.toThrow(/404|No such charge/);
  });
});
