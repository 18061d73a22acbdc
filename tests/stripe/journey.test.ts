import type { Browser } from "@playwright/test";
import { launchChromium } from "../setup/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "@kiln/stripe-emulator";
import { startReceiver, Stripe } from "@kiln/stripe-emulator/testing";

const SECRET = "whsec_journey_secret";
let emulator: StripeEmulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let browser: Browser;
let stripe: Stripe;

beforeAll(async () => {
  stripe = new Stripe("sk_test_journey", { maxNetworkRetries: 0 });
  receiver = await startReceiver(SECRET, stripe, { failFirst: 1 });
  emulator = await startStripeEmulator({
    webhooks: [{ url: receiver.url, secret: SECRET }],
    webhookOptions: { retryDelaysMs: [50, 100, 200] },
  });
  stripe = new Stripe("sk_test_journey", { ...stripeClientOptions(emulator.url), maxNetworkRetries: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await emulator?.stop();
  await receiver?.close();
});

describe("subscription journey on the Stripe emulator", () => {
  it("saves a card in Checkout, subscribes, renews, fails and retries, cancels at period end — all as signed webhooks", async () => {
    const customer = await stripe.customers.create({ email: "member@example.com" });
    await receiver.waitFor((e) => e.type === "customer.created"); // arrived after one failed delivery (retried)
    const product = await stripe.products.create({ name: "Inkwell membership" });
    const price = await stripe.prices.create({
      product: product.id,
      unit_amount: 900,
      currency: "eur",
      recurring: { interval: "month" },
    });

    // 1. The member saves a card on the hosted setup-mode Checkout page.
    const session = await stripe.checkout.sessions.create({
      mode: "setup",
      customer: customer.id,
      currency: "eur",
      success_url: "http://kiln.invalid/subscribe/summary?session={CHECKOUT_SESSION_ID}",
      cancel_url: "http://kiln.invalid/subscribe",
    });
    const page = await browser.newPage();
    await page.route("http://kiln.invalid/**", (route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<h1>Order summary</h1>" }),
    );
    await page.goto(String(session.url));
    await page.getByLabel("Card number").fill("4242 4242 4242 4242");
    await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
    await page.getByLabel("CVC").fill("123");
    await page.getByRole("button", { name: "Save card" }).click();
    await page.getByRole("heading", { name: "Order summary" }).waitFor();
    expect(page.url()).toBe(`http://kiln.invalid/subscribe/summary?session=${session.id}`);
    await page.close();

    const completed = await receiver.waitFor((e) => e.type === "checkout.session.completed");
    const done = completed.data.object as Stripe.Checkout.Session;
    expect(done.id).toBe(session.id);
    const setupIntent = await stripe.setupIntents.retrieve(done.setup_intent as string);
    expect(setupIntent.status).toBe("succeeded");
    await receiver.waitFor((e) => e.type === "setup_intent.succeeded");

    // 2. Kiln creates the subscription server-side with the saved card.
    const subscription = await stripe.subscriptions.create(
      {
        customer: customer.id,
        items: [{ price: price.id }],
        default_payment_method: setupIntent.payment_method as string,
        expand: ["latest_invoice.payments"],
      },
      { idempotencyKey: "consent-1" },
    );
    expect(subscription.status).toBe("active");
    const firstInvoice = subscription.latest_invoice as Stripe.Invoice;
    expect(firstInvoice.status).toBe("paid");
    expect(firstInvoice.payments?.data[0]?.payment.type).toBe("payment_intent");
    await receiver.waitFor((e) => e.type === "customer.subscription.created");
    await receiver.waitFor((e) => e.type === "invoice.paid" && e.data.object.id === firstInvoice.id);

    // 3. A month later it renews.
    await emulator.control.advance({ days: 31 });
    const renewal = await receiver.waitFor(
      (e) => e.type === "invoice.paid" && e.data.object.billing_reason === "subscription_cycle",
    );
    const renewed = await stripe.subscriptions.retrieve(subscription.id);
    expect(renewed.status).toBe("active");
    expect(renewed.items.data[0]?.current_period_start).toBe((renewal.data.object as Stripe.Invoice).period_start);

    // 4. The next payment fails, the subscription goes past_due, the retry a day later succeeds.
    await emulator.control.failNextPayment(customer.id);
    await emulator.control.advance({ days: 30 });
    const failed = await receiver.waitFor((e) => e.type === "invoice.payment_failed");
    const failedInvoice = failed.data.object as Stripe.Invoice;
    expect(failedInvoice.next_payment_attempt).toBe(failedInvoice.created + 86_400);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe("past_due");
    await emulator.control.advance({ days: 1 });
    await receiver.waitFor((e) => e.type === "invoice.paid" && e.data.object.id === failedInvoice.id);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe("active");

    // 5. The member cancels at period end; the subscription ends when the period does.
    const cancelling = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    expect(cancelling.cancel_at).toBe(cancelling.items.data[0]?.current_period_end);
    await receiver.waitFor((e) => e.type === "customer.subscription.updated" && e.data.object.cancel_at_period_end);
    await emulator.control.advance({ days: 31 });
    const deleted = await receiver.waitFor((e) => e.type === "customer.subscription.deleted");
    expect((deleted.data.object as Stripe.Subscription).status).toBe("canceled");

    // Every delivery was signed correctly (constructEvent accepted it) and the first one was retried.
    const log = (await emulator.control.deliveries()).deliveries;
    expect(log[0]).toMatchObject({ outcome: "failed", status: 500, attempt: 1 });
    expect(log.some((d) => d.outcome === "delivered" && d.attempt === 2)).toBe(true);
    const ids = new Set(receiver.events.map((e) => e.id));
    const listed = await stripe.events.list({ limit: 100 });
    expect(listed.data.filter((e) => ids.has(e.id)).length).toBe(ids.size);
  });
});
