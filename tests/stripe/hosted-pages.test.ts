import type { Browser, Page } from "@playwright/test";
import { launchChromium } from "../setup/browser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "@kiln/stripe-emulator";
import { startReceiver, Stripe } from "@kiln/stripe-emulator/testing";

const SECRET = "whsec_hosted_pages";
let emulator: StripeEmulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let browser: Browser;
let stripe: Stripe;

beforeAll(async () => {
  receiver = await startReceiver(SECRET, new Stripe("sk_test_hosted"));
  emulator = await startStripeEmulator({ webhooks: [{ url: receiver.url, secret: SECRET }] });
  stripe = new Stripe("sk_test_hosted", { ...stripeClientOptions(emulator.url), maxNetworkRetries: 0 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await emulator?.stop();
  await receiver?.close();
});
beforeEach(async () => {
  await emulator.webhooksIdle();
  emulator.reset();
  receiver.events.length = 0;
});

/** A page whose visits to the (invented) shop answer with a heading naming the path. */
async function shopPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.route("http://shop.invalid/**", (route) =>
    route.fulfill({
      status: 200,
      contentType: "text/html",
      body: `<h1>Shop ${new URL(route.request().url()).pathname}</h1>`,
    }),
  );
  return page;
}

async function fillCard(page: Page, number: string) {
  await page.getByLabel("Card number").fill(number);
  await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
}

async function oneTimePrice(amount: number) {
  const product = await stripe.products.create({ name: "Mug" });
  return stripe.prices.create({ product: product.id, unit_amount: amount, currency: "eur" });
}

describe("hosted pages in Chromium", () => {
  it("Checkout in payment mode: a declined card is refused, a 3-D Secure card authenticates, capture is manual", async () => {
    const price = await oneTimePrice(2400);
    const session = await stripe.checkout.sessions.create({
      mode: "payment",
      line_items: [{ price: price.id, quantity: 2 }],
      payment_intent_data: { capture_method: "manual", metadata: { order: "o-1" } },
      success_url: "http://shop.invalid/thanks?session={CHECKOUT_SESSION_ID}",
      cancel_url: "http://shop.invalid/cart",
    });
    expect(session.amount_total).toBe(4800);
    const page = await shopPage();
    await page.goto(String(session.url));
    await page.getByRole("heading", { name: /Pay €48\.00/ }).waitFor();

    await fillCard(page, "4000 0000 0000 0002");
    await page.getByRole("button", { name: "Pay" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Your card was declined.");
    const failed = await receiver.waitFor((e) => e.type === "payment_intent.payment_failed");
    expect((failed.data.object as Stripe.PaymentIntent).last_payment_error?.decline_code).toBe("generic_decline");

    await fillCard(page, "4000 0027 6000 3184");
    await page.getByRole("button", { name: "Pay" }).click();
    await page.getByRole("heading", { name: "3-D Secure authentication" }).waitFor();
    await page.getByRole("button", { name: "Complete authentication" }).click();
    await page.getByRole("heading", { name: "Shop /thanks" }).waitFor();
    expect(page.url()).toBe(`http://shop.invalid/thanks?session=${session.id}`);
    await page.close();

    const completed = await receiver.waitFor((e) => e.type === "checkout.session.completed");
    const done = completed.data.object as Stripe.Checkout.Session;
    expect(done).toMatchObject({ id: session.id, status: "complete" });
    const pi = await stripe.paymentIntents.retrieve(done.payment_intent as string);
    expect(pi).toMatchObject({ status: "requires_capture", amount_capturable: 4800, metadata: { order: "o-1" } });
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2400 });
    expect(captured).toMatchObject({ status: "succeeded", amount_received: 2400 });
    await receiver.waitFor((e) => e.type === "payment_intent.succeeded" && e.data.object.id === pi.id);
  });

  it("a payment intent confirmed through the API sends the customer through 3-D Secure and back to return_url", async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1500,
      currency: "eur",
      payment_method: "pm_card_threeDSecure2Required",
      confirm: true,
      return_url: "http://shop.invalid/return",
    });
    expect(pi.status).toBe("requires_action");
    const page = await shopPage();
    await page.goto(String(pi.next_action?.redirect_to_url?.url));
    await page.getByRole("button", { name: "Complete authentication" }).click();
    await page.getByRole("heading", { name: "Shop /return" }).waitFor();
    const back = new URL(page.url());
    expect(back.searchParams.get("payment_intent")).toBe(pi.id);
    expect(back.searchParams.get("redirect_status")).toBe("succeeded");
    await page.close();
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe("succeeded");
    await receiver.waitFor((e) => e.type === "payment_intent.succeeded" && e.data.object.id === pi.id);
  });

  it("the hosted invoice page completes 3-D Secure for a subscription's first invoice", async () => {
    const product = await stripe.products.create({ name: "Studio" });
    const price = await stripe.prices.create({
      product: product.id,
      unit_amount: 1100,
      currency: "eur",
      recurring: { interval: "month" },
    });
    const customer = await stripe.customers.create({ email: "sca@example.com" });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: "pm_card_authenticationRequired",
      expand: ["latest_invoice"],
    });
    expect(sub.status).toBe("incomplete");
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice.status).toBe("open");
    await receiver.waitFor((e) => e.type === "invoice.payment_action_required" && e.data.object.id === invoice.id);

    const page = await shopPage();
    await page.goto(String(invoice.hosted_invoice_url));
    await page.getByRole("button", { name: "Fail authentication" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("Authentication failed");
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe("open");

    // Paying through the API cannot authenticate: Stripe's 402 sends the customer back to the page.
    await expect(stripe.invoices.pay(invoice.id)).rejects.toMatchObject({
      statusCode: 402,
      code: "invoice_payment_intent_requires_action",
    });
    await page.goto(String(invoice.hosted_invoice_url));
    await page.getByRole("button", { name: "Complete authentication" }).click();
    await page.getByRole("status").waitFor();
    await expect(page.getByRole("status").textContent()).resolves.toContain("This invoice is paid");
    await page.close();

    expect(await stripe.invoices.retrieve(invoice.id)).toMatchObject({ status: "paid", amount_paid: 1100 });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe("active");
    await receiver.waitFor((e) => e.type === "invoice.paid" && e.data.object.id === invoice.id);
  });

  it("the billing portal replaces the customer's card and the subscription's", async () => {
    const product = await stripe.products.create({ name: "Club" });
    const price = await stripe.prices.create({
      product: product.id,
      unit_amount: 500,
      currency: "eur",
      recurring: { interval: "month" },
    });
    const customer = await stripe.customers.create({ email: "portal@example.com" });
    const old = await stripe.paymentMethods.attach("pm_card_visa", { customer: customer.id });
    await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: old.id } });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      default_payment_method: old.id,
    });
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: "http://shop.invalid/account",
    });

    const page = await shopPage();
    await page.goto(portal.url);
    await expect(page.locator("body").textContent()).resolves.toContain("visa •••• 4242");
    await fillCard(page, "4000 0000 0000 0002");
    await page.getByRole("button", { name: "Update card" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("declined");
    await fillCard(page, "5555 5555 5555 4444");
    await page.getByRole("button", { name: "Update card" }).click();
    await page.getByRole("status").waitFor();
    await expect(page.locator("body").textContent()).resolves.toContain("mastercard •••• 4444");
    await page.getByRole("link", { name: "Return" }).click();
    await page.getByRole("heading", { name: "Shop /account" }).waitFor();
    await page.close();

    const updated = await stripe.customers.retrieve(customer.id, {
      expand: ["invoice_settings.default_payment_method"],
    });
    const card = (updated as Stripe.Customer).invoice_settings.default_payment_method as Stripe.PaymentMethod;
    expect(card.card).toMatchObject({ brand: "mastercard", last4: "4444" });
    expect((await stripe.subscriptions.retrieve(sub.id)).default_payment_method).toBe(card.id);
    const event = await receiver.waitFor(
      (e) => e.type === "customer.updated" && e.data.object.invoice_settings.default_payment_method === card.id,
    );
    expect(event.data.previous_attributes).toMatchObject({ invoice_settings: { default_payment_method: old.id } });
  });
});
