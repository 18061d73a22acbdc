import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { parseForm } from "./form";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "./index";

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emulator = await startStripeEmulator({ now: () => new Date("2026-12-01T10:00:00Z") });
  stripe = new Stripe("sk_test_emulator", { ...stripeClientOptions(emulator.url), maxNetworkRetries: 0 });
});
afterAll(() => emulator.stop());
beforeEach(() => emulator.reset());

async function raw(path: string, init: RequestInit & { key?: string } = {}) {
  const response = await fetch(`${emulator.url}${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${init.key ?? "sk_test_x"}`,
      "Content-Type": "application/x-www-form-urlencoded",
      ...init.headers,
    },
  });
  return {
    status: response.status,
    body: (await response.json()) as { error?: Record<string, string> } & Record<string, unknown>,
  };
}

describe("form bodies", () => {
  it("parses Stripe's nested bracket syntax", () => {
    expect(
      parseForm("a=1&b[c]=2&items[0][price]=p&items[1][price]=q&items[1][quantity]=2&expand[]=x&expand[]=y"),
    ).toEqual({
      a: "1",
      b: { c: "2" },
      items: [{ price: "p" }, { price: "p2" }].map((_, i) =>
        i === 0 ? { price: "p" } : { price: "q", quantity: "2" },
      ),
      expand: ["x", "y"],
    });
  });
  it("refuses prototype keys and broken brackets with an invalid_request_error", async () => {
    const r1 = await raw("/v1/customers", { method: "POST", body: "__proto__[x]=1" });
    expect(r1.status).toBe(400);
    expect(r1.body.error?.type).toBe("invalid_request_error");
    const r2 = await raw("/v1/customers", { method: "POST", body: "metadata[a=1" });
    expect(r2.status).toBe(400);
  });
});

describe("authentication and errors", () => {
  it("rejects missing and live keys with 401", async () => {
    const none = await fetch(`${emulator.url}/v1/customers`);
    expect(none.status).toBe(401);
    const live = await raw("/v1/customers", { key: "sk_live_abcdefghijkl" });
    expect(live.status).toBe(401);
    expect(live.body.error?.code).toBe("api_key_invalid");
  });

  it("answers a missing parameter, an unknown id and a wrong type like Stripe", async () => {
    await expect(
      stripe.paymentIntents.create({ currency: "usd" } as Stripe.PaymentIntentCreateParams),
    ).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      code: "parameter_missing",
      param: "amount",
      statusCode: 400,
    });
    await expect(stripe.customers.retrieve("cus_nope")).rejects.toMatchObject({
      code: "resource_missing",
      statusCode: 404,
      param: "id",
    });
    const wrong = await raw("/v1/payment_intents", { method: "POST", body: "amount=ten&currency=usd" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({
      type: "invalid_request_error",
      code: "parameter_invalid",
      param: "amount",
    });
    const route = await raw("/v1/nothing");
    expect(route.status).toBe(404);
    expect(route.body.error?.type).toBe("invalid_request_error");
  });
});

describe("idempotency", () => {
  it("replays the same response for the same key and params, and refuses other params", async () => {
    const a = await stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "key-1" });
    const b = await stripe.customers.create({ email: "a@example.com" }, { idempotencyKey: "key-1" });
    expect(b).toEqual(a);
    await expect(
      stripe.customers.create({ email: "b@example.com" }, { idempotencyKey: "key-1" }),
    ).rejects.toMatchObject({
      type: "StripeIdempotencyError",
      statusCode: 400,
    });
    expect((await stripe.customers.list()).data).toHaveLength(1);
  });
});

describe("lists", () => {
  it("paginates newest first with starting_after / ending_before / has_more", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await stripe.customers.create({ name: `c${i}` })).id);
    const first = await stripe.customers.list({ limit: 2 });
    expect(first.data.map((c) => c.id)).toEqual([made[4], made[3]]);
    expect(first.has_more).toBe(true);
    const next = await stripe.customers.list({ limit: 2, starting_after: made[3] });
    expect(next.data.map((c) => c.id)).toEqual([made[2], made[1]]);
    const back = await stripe.customers.list({ limit: 2, ending_before: made[1] });
    expect(back.data.map((c) => c.id)).toEqual([made[3], made[2]]);
    const all: string[] = [];
    for await (const c of stripe.customers.list({ limit: 2 })) all.push(c.id);
    expect(all).toEqual([...made].reverse());
  });
});

describe("payment intents", () => {
  it("authorises, captures and cancels with manual capture", async () => {
    const customer = await stripe.customers.create({ email: "m@example.com" });
    const held = await stripe.paymentIntents.create({
      amount: 2500,
      currency: "eur",
      customer: customer.id,
      payment_method: "pm_card_visa",
      capture_method: "manual",
      confirm: true,
    });
    expectTypeOf(held).toEqualTypeOf<Stripe.Response<Stripe.PaymentIntent>>();
    expect(held).toMatchObject({ status: "requires_capture", amount_capturable: 2500, amount_received: 0 });
    const captured = await stripe.paymentIntents.capture(held.id, { amount_to_capture: 2000 });
    expect(captured).toMatchObject({ status: "succeeded", amount_received: 2000 });
    await expect(stripe.paymentIntents.capture(held.id)).rejects.toMatchObject({
      code: "payment_intent_unexpected_state",
    });

    const other = await stripe.paymentIntents.create({
      amount: 900,
      currency: "eur",
      payment_method: "pm_card_visa",
      capture_method: "manual",
      confirm: true,
    });
    const canceled = await stripe.paymentIntents.cancel(other.id, { cancellation_reason: "abandoned" });
    expect(canceled).toMatchObject({ status: "canceled", cancellation_reason: "abandoned" });
    const charge = await stripe.charges.retrieve(other.latest_charge as string);
    expect(charge).toMatchObject({ captured: false, refunded: true });
  });

  it("declines test cards with Stripe's card errors", async () => {
    await expect(
      stripe.paymentIntents.create({
        amount: 500,
        currency: "usd",
        payment_method: "pm_card_chargeDeclined",
        confirm: true,
      }),
    ).rejects.toMatchObject({
      type: "StripeCardError",
      code: "card_declined",
      decline_code: "generic_decline",
      statusCode: 402,
    });
    await expect(
      stripe.paymentIntents.create({
        amount: 500,
        currency: "usd",
        payment_method: "pm_card_chargeDeclinedInsufficientFunds",
        confirm: true,
      }),
    ).rejects.toMatchObject({
      decline_code: "insufficient_funds",
    });
  });

  it("sends a 3-D Secure card through the hosted page and back to return_url", async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1200,
      currency: "eur",
      payment_method: "pm_card_authenticationRequired",
      confirm: true,
      return_url: "http://shop.invalid/done",
    });
    expect(pi.status).toBe("requires_action");
    const url = pi.next_action?.redirect_to_url?.url;
    expect(url).toMatch(/\/hosted\/3ds\/pi_/);
    const page = await (await fetch(String(url))).text();
    expect(page).toContain("Complete authentication");
    const done = await fetch(String(url), {
      method: "POST",
      body: new URLSearchParams({ result: "complete" }),
      redirect: "manual",
    });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toContain("redirect_status=succeeded");
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe("succeeded");
  });

  it("refunds fully and partially", async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
    });
    const r1 = await stripe.refunds.create({ payment_intent: pi.id, amount: 400 });
    expect(r1).toMatchObject({ amount: 400, status: "succeeded" });
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 700 })).rejects.toMatchObject({
      param: "amount",
    });
    await stripe.refunds.create({ payment_intent: pi.id });
    expect(await stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({
      refunded: true,
      amount_refunded: 1000,
    });
  });
});

describe("Connect", () => {
  it("scopes objects per account, onboards through the hosted page and takes application fees", async () => {
    const account = await stripe.accounts.create({ type: "express", country: "DE", email: "creator@example.com" });
    expect(account.charges_enabled).toBe(false);
    const link = await stripe.accountLinks.create({
      account: account.id,
      refresh_url: "http://kiln.invalid/refresh",
      return_url: "http://kiln.invalid/return",
      type: "account_onboarding",
    });
    const form = await fetch(link.url, {
      method: "POST",
      body: new URLSearchParams({ result: "complete" }),
      redirect: "manual",
    });
    expect(form.headers.get("location")).toBe("http://kiln.invalid/return");
    expect(await stripe.accounts.retrieve(account.id)).toMatchObject({
      charges_enabled: true,
      payouts_enabled: true,
      details_submitted: true,
    });

    const onAccount = { stripeAccount: account.id };
    const customer = await stripe.customers.create({ email: "fan@example.com" }, onAccount);
    await expect(stripe.customers.retrieve(customer.id)).rejects.toMatchObject({ statusCode: 404 });
    const pi = await stripe.paymentIntents.create(
      { amount: 5000, currency: "eur", payment_method: "pm_card_visa", confirm: true, application_fee_amount: 250 },
      onAccount,
    );
    expect(pi.status).toBe("succeeded");
    const fees = await stripe.applicationFees.list();
    expect(fees.data).toHaveLength(1);
    expect(fees.data[0]).toMatchObject({ amount: 250, account: account.id });
    const events = await stripe.events.list({ type: "account.updated" }, onAccount);
    expect(events.data[0]?.account).toBe(account.id);
  });
});
