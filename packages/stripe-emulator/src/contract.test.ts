import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "./index";

/**
 * Calls Kiln relies on, typed with the SDK. They run against the emulator always, and against Stripe's
 * test mode too when STRIPE_TEST_SECRET_KEY is set — the same assertions, so the emulator stays honest.
 */
function contract(target: string, makeClient: () => Promise<{ stripe: Stripe; stop: () => Promise<void> }>) {
  describe(`contract: ${target}`, () => {
    let stripe: Stripe;
    let stop: () => Promise<void>;
    beforeAll(async () => ({ stripe, stop } = await makeClient()));
    afterAll(() => stop());

    it("customer → product → recurring price → subscription with a saved card", async () => {
      const customer = await stripe.customers.create({ email: "contract@example.com", metadata: { kiln: "contract" } });
      expectTypeOf(customer).toEqualTypeOf<Stripe.Response<Stripe.Customer>>();
      expect(customer.id).toMatch(/^cus_/);
      const pm = await stripe.paymentMethods.attach("pm_card_visa", { customer: customer.id });
      expect(pm).toMatchObject({ type: "card", customer: customer.id, card: { last4: "4242", brand: "visa" } });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const product = await stripe.products.create({ name: "Contract tier" });
      const price = await stripe.prices.create({
        product: product.id,
        unit_amount: 500,
        currency: "eur",
        recurring: { interval: "month" },
      });
      expect(price).toMatchObject({
        type: "recurring",
        unit_amount: 500,
        recurring: { interval: "month", interval_count: 1 },
      });
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        expand: ["latest_invoice.payments"],
      });
      expectTypeOf(sub.latest_invoice).toEqualTypeOf<string | Stripe.Invoice | null>();
      expect(sub.status).toBe("active");
      const invoice = sub.latest_invoice as Stripe.Invoice;
      expect(invoice).toMatchObject({ status: "paid", amount_paid: 500, billing_reason: "subscription_create" });
      expect(invoice.parent?.subscription_details?.subscription).toBe(sub.id);
      expect(invoice.payments?.data[0]?.payment.type).toBe("payment_intent");
      const item = sub.items.data[0];
      expect(item?.current_period_end).toBeGreaterThan(item?.current_period_start ?? Infinity);
      const trial = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        trial_period_days: 7,
      });
      expect(trial.status).toBe("trialing");
      const ending = await stripe.subscriptions.update(trial.id, { cancel_at_period_end: true });
      expect(ending.cancel_at_period_end).toBe(true);
      const gone = await stripe.subscriptions.cancel(sub.id);
      expect(gone.status).toBe("canceled");
    });

    it("setup-mode Checkout Session, expire", async () => {
      const customer = await stripe.customers.create({ email: "checkout@example.com" });
      const session = await stripe.checkout.sessions.create({
        mode: "setup",
        customer: customer.id,
        currency: "eur",
        success_url: "https://example.com/ok?s={CHECKOUT_SESSION_ID}",
      });
      expect(session).toMatchObject({ object: "checkout.session", mode: "setup", status: "open" });
      expect(session.url).toMatch(/^https?:\/\//);
      const expired = await stripe.checkout.sessions.expire(session.id);
      expect(expired.status).toBe("expired");
    });

    // Kiln with Stripe Tax on (config STRIPE_TAX): tax-inclusive prices, the address collected by setup
    // Checkout onto the customer, subscriptions with automatic tax. The total stays the price (the tax is
    // inside it); the emulator computes no tax, Stripe does. On Stripe, the test account needs Stripe Tax
    // set up (origin address), as each creator's connected account does in production.
    it("Stripe Tax: inclusive price, address collected in setup Checkout, subscription with automatic tax", async () => {
      const customer = await stripe.customers.create({
        email: "tax@example.com",
        address: { line1: "Torstraße 1", city: "Berlin", postal_code: "10119", country: "DE" },
      });
      expect(customer.address).toMatchObject({ country: "DE", postal_code: "10119" });
      const session = await stripe.checkout.sessions.create({
        mode: "setup",
        customer: customer.id,
        currency: "eur",
        success_url: "https://example.com/ok?s={CHECKOUT_SESSION_ID}",
        billing_address_collection: "required",
        customer_update: { address: "auto" },
      });
      expect(session.billing_address_collection).toBe("required");
      await stripe.checkout.sessions.expire(session.id);
      const pm = await stripe.paymentMethods.attach("pm_card_visa", { customer: customer.id });
      await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
      const product = await stripe.products.create({ name: "Contract taxed tier" });
      const price = await stripe.prices.create({
        product: product.id,
        unit_amount: 900,
        currency: "eur",
        recurring: { interval: "month" },
        tax_behavior: "inclusive",
      });
      expect(price.tax_behavior).toBe("inclusive");
      const sub = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        automatic_tax: { enabled: true },
        expand: ["latest_invoice"],
      });
      expect(sub.automatic_tax.enabled).toBe(true);
      expect(sub.status).toBe("active");
      expect(sub.latest_invoice as Stripe.Invoice).toMatchObject({ status: "paid", total: 900, amount_paid: 900 });
      await stripe.subscriptions.cancel(sub.id);
    });

    it("manual capture payment intent", async () => {
      const pi = await stripe.paymentIntents.create({
        amount: 1500,
        currency: "eur",
        payment_method: "pm_card_visa",
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        capture_method: "manual",
        confirm: true,
      });
      expect(pi.status).toBe("requires_capture");
      const captured = await stripe.paymentIntents.capture(pi.id);
      expect(captured).toMatchObject({ status: "succeeded", amount_received: 1500 });
    });

    it("errors", async () => {
      await expect(stripe.customers.retrieve("cus_does_not_exist")).rejects.toMatchObject({
        type: "StripeInvalidRequestError",
        code: "resource_missing",
        statusCode: 404,
      });
      await expect(
        stripe.paymentIntents.create({
          amount: 100,
          currency: "eur",
          payment_method: "pm_card_chargeDeclined",
          automatic_payment_methods: { enabled: true, allow_redirects: "never" },
          confirm: true,
        }),
      ).rejects.toMatchObject({
        type: "StripeCardError",
        code: "card_declined",
      });
    });
  });
}

contract("emulator", async () => {
  const emulator: StripeEmulator = await startStripeEmulator();
  return {
    stripe: new Stripe("sk_test_contract", { ...stripeClientOptions(emulator.url), maxNetworkRetries: 0 }),
    stop: () => emulator.stop(),
  };
});

const testKey = process.env.STRIPE_TEST_SECRET_KEY;
if (testKey) contract("Stripe test mode", async () => ({ stripe: new Stripe(testKey), stop: async () => undefined }));
else
  describe.skip("contract: Stripe test mode (skipped: STRIPE_TEST_SECRET_KEY is not set)", () =>
    it("runs with a test key", () => undefined));
