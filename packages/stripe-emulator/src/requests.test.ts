import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "./index";

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emulator = await startStripeEmulator({ now: () => new Date("2026-12-01T10:00:00Z") });
  stripe = new Stripe("sk_test_requests", { ...stripeClientOptions(emulator.url), maxNetworkRetries: 0 });
});
afterAll(() => emulator.stop());
beforeEach(() => emulator.reset());

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${emulator.url}${path}`, {
    method: "POST",
    headers: { Authorization: "Bearer sk_test_x", "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error?: Record<string, unknown> } };
}

describe("unknown parameters", () => {
  it("refuses an unknown top-level parameter with parameter_unknown and creates nothing", async () => {
    await expect(
      stripe.customers.create({ email: "a@example.com", emial: "typo" } as Stripe.CustomerCreateParams),
    ).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      code: "parameter_unknown",
      param: "emial",
      message: "Received unknown parameter: emial",
      statusCode: 400,
    });
    expect((await stripe.customers.list()).data).toHaveLength(0);
    await expect(stripe.customers.list({ colour: "red" } as Stripe.CustomerListParams)).rejects.toMatchObject({
      code: "parameter_unknown",
      param: "colour",
    });
    await expect(
      stripe.subscriptions.create({ customer: "cus_x", items: [], coupon: "X" } as Stripe.SubscriptionCreateParams),
    ).rejects.toMatchObject({ code: "parameter_unknown", param: "coupon" });
  });

  it("accepts what the SDK sends: expand, free-form metadata, pagination and known no-op parameters", async () => {
    const customer = await stripe.customers.create({
      email: "m@example.com",
      metadata: { anything_at_all: "x", "with-dash": "y" },
      expand: ["invoice_settings.default_payment_method"],
    });
    expect(customer.metadata).toEqual({ anything_at_all: "x", "with-dash": "y" });
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: "eur",
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
      statement_descriptor_suffix: "KILN",
      customer: customer.id,
      expand: ["customer"],
    });
    expect((pi.customer as Stripe.Customer).email).toBe("m@example.com");
    const all: string[] = [];
    for await (const c of stripe.customers.list({ limit: 1, email: "m@example.com", created: { gte: 0 } }))
      all.push(c.id);
    expect(all).toEqual([customer.id]);
  });
});

describe("Stripe-Account", () => {
  it("answers 403 account_invalid for an account that does not exist", async () => {
    await expect(stripe.customers.list({}, { stripeAccount: "acct_nobody" })).rejects.toMatchObject({
      type: "StripePermissionError",
      statusCode: 403,
      code: "account_invalid",
    });
    await expect(
      stripe.customers.create({ email: "x@example.com" }, { stripeAccount: "acct_nobody" }),
    ).rejects.toMatchObject({ statusCode: 403 });
    expect((await stripe.customers.list()).data).toHaveLength(0);
  });
});

describe("idempotency", () => {
  it("replays a POST (errors included) with the same key, and refuses the key on another endpoint", async () => {
    const declined = {
      amount: 700,
      currency: "eur",
      payment_method: "pm_card_chargeDeclined",
      confirm: true,
    } satisfies Stripe.PaymentIntentCreateParams;
    const first = await stripe.paymentIntents.create(declined, { idempotencyKey: "pay-1" }).catch((e: unknown) => e);
    const second = await stripe.paymentIntents.create(declined, { idempotencyKey: "pay-1" }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Stripe.errors.StripeCardError);
    const [e1, e2] = [first, second] as Stripe.errors.StripeCardError[];
    expect(e2?.headers?.["idempotent-replayed"]).toBe("true");
    expect([e2?.code, e2?.decline_code, e2?.message]).toEqual([e1?.code, e1?.decline_code, e1?.message]);
    expect(e2?.payment_intent).toEqual(e1?.payment_intent);
    expect(e2?.payment_intent?.id).toMatch(/^pi_/);
    expect((await stripe.paymentIntents.list()).data).toHaveLength(1);
    await expect(stripe.customers.create({}, { idempotencyKey: "pay-1" })).rejects.toMatchObject({
      type: "StripeIdempotencyError",
    });
    // A refused request (invalid parameters) is not saved: the key can be used again.
    await expect(stripe.customers.create({ name: 5 } as never, { idempotencyKey: "k2" })).resolves.toMatchObject({
      name: "5",
    });
  });

  it("forgets keys after 24 hours of emulator time", async () => {
    const a = await stripe.customers.create({ email: "day@example.com" }, { idempotencyKey: "daily" });
    await emulator.control.advance({ hours: 23 });
    const b = await stripe.customers.create({ email: "day@example.com" }, { idempotencyKey: "daily" });
    expect(b.id).toBe(a.id);
    await emulator.control.advance({ hours: 1, seconds: 1 });
    const c = await stripe.customers.create({ email: "day@example.com" }, { idempotencyKey: "daily" });
    expect(c.id).not.toBe(a.id);
    expect(c.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
    // The new request's key is fresh again, with other parameters now refused.
    await expect(
      stripe.customers.create({ email: "other@example.com" }, { idempotencyKey: "daily" }),
    ).rejects.toMatchObject({ type: "StripeIdempotencyError" });
  });
});

describe("malformed requests never crash the emulator", () => {
  it("answers every broken body on every write endpoint with a Stripe-shaped 4xx", async () => {
    const customer = await stripe.customers.create({ email: "f@example.com" });
    const product = await stripe.products.create({ name: "Fuzz" });
    const price = await stripe.prices.create({
      product: product.id,
      unit_amount: 100,
      currency: "eur",
      recurring: { interval: "month" },
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: "pm_card_visa",
    });
    const pi = await stripe.paymentIntents.create({ amount: 100, currency: "eur" });
    const si = await stripe.setupIntents.create({});
    const account = await stripe.accounts.create({ type: "express" });
    const paths = [
      "/v1/customers",
      `/v1/customers/${customer.id}`,
      "/v1/products",
      "/v1/prices",
      "/v1/payment_methods",
      "/v1/payment_methods/pm_card_visa/attach",
      "/v1/setup_intents",
      `/v1/setup_intents/${si.id}/confirm`,
      "/v1/payment_intents",
      `/v1/payment_intents/${pi.id}`,
      `/v1/payment_intents/${pi.id}/confirm`,
      `/v1/payment_intents/${pi.id}/capture`,
      "/v1/refunds",
      "/v1/accounts",
      "/v1/account_links",
      "/v1/checkout/sessions",
      "/v1/subscriptions",
      `/v1/subscriptions/${sub.id}`,
      `/v1/subscriptions/${sub.id}/resume`,
      "/v1/billing_portal/sessions",
      `/v1/invoices/${sub.latest_invoice as string}/pay`,
    ];
    const bodies = [
      "amount[x]=1&currency[]=eur",
      "customer[]=a&items=abc",
      "items[0]=x&line_items[0][price][a]=b",
      "metadata=notahash&mode=payment",
      "metadata[a][b]=c",
      "amount=1e9&unit_amount=-1&currency=euro&recurring[interval]=fortnight",
      "type=card&card[number]=1234&card[exp_month]=x",
      "account=acct_missing&refresh_url=x&return_url=y&type=nope",
      "payment_method=pm_nope&trial_end=yesterday&cancel_at_period_end=maybe",
      "pause_collection[behavior]=sometimes&transfer_data[destination]=acct_nope",
      "expand[]=nothing.here",
      "a[b[c]=1",
      "%ZZ=%ZZ",
    ];
    for (const path of paths)
      for (const body of bodies) {
        const { status, body: json } = await post(path, body);
        expect(status, `${path} ${body}`).toBeGreaterThanOrEqual(400);
        expect(status, `${path} ${body}`).toBeLessThan(500);
        expect(json.error?.type, `${path} ${body}`).toMatch(/^(invalid_request_error|card_error)$/);
        expect(typeof json.error?.message).toBe("string");
      }
    // Still serving, and nothing half-made is visible.
    expect((await stripe.customers.list()).data).toHaveLength(1);
    expect(account.id).toMatch(/^acct_/);
  }, 20_000);

  it("refuses an oversized body with 413", async () => {
    const { status, body } = await post("/v1/customers", `description=${"x".repeat(1_100_000)}`);
    expect(status).toBe(413);
    expect(body.error?.type).toBe("invalid_request_error");
  });
});
