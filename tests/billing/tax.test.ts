import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSubscription, startSubscriptionCheckout } from "@kiln/billing";
import { ConfigError, loadConfig } from "@kiln/core";
import { createUser } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";
import { startBillingWorld } from "./world";

/**
 * Stripe Tax (issue 5 §2): prices are entered tax-inclusive; with STRIPE_TAX on, setup Checkout
 * collects the billing address onto the customer and the subscription is created with automatic
 * tax; with it off, neither is sent. (The emulator echoes the settings and computes no tax; the
 * Stripe test-mode contract suite checks the same calls against Stripe.)
 */
const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

describe("config STRIPE_TAX", () => {
  it("auto: on with a real key, off with the emulator; on/off explicitly; anything else refused", () => {
    expect(loadConfig({}).stripeTax).toBe(false);
    expect(loadConfig({ STRIPE_SECRET_KEY: "sk_test_abc" }).stripeTax).toBe(true);
    expect(loadConfig({ STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_TAX: "off" }).stripeTax).toBe(false);
    expect(loadConfig({ STRIPE_TAX: "on" }).stripeTax).toBe(true);
    expect(() => loadConfig({ STRIPE_TAX: "yes" })).toThrow(ConfigError);
  });
});

describe("subscriptions with and without Stripe Tax", () => {
  async function order(automaticTax: boolean) {
    const live = await world.liveTier();
    const member = automaticTax ? live.p.member : await createUser(rt);
    const checkout = await startSubscriptionCheckout(
      rt,
      world.stripe,
      { userId: member.id },
      {
        tierId: live.tier.id,
        successUrl: "http://kiln.test/order?session={CHECKOUT_SESSION_ID}",
        cancelUrl: "http://kiln.test/tiers",
      },
      { automaticTax },
    );
    const session = await world.stripe.checkout.sessions.retrieve(
      checkout.sessionId,
      {},
      { stripeAccount: live.account },
    );
    const back = await world.submitHosted(checkout.url, { cardnumber: "4242424242424242", exp: "12/34", cvc: "123" });
    const { subscription } = await createSubscription(
      rt,
      world.stripe,
      { userId: member.id },
      {
        tierId: live.tier.id,
        checkoutSessionId: new URL(back).searchParams.get("session")!,
        termsVersionId: live.version.id,
        consent: world.consentFor(live.terms),
      },
      { automaticTax },
    );
    const onStripe = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      { expand: ["latest_invoice"] },
      { stripeAccount: live.account },
    );
    const price = await world.stripe.prices.retrieve(live.price.stripePriceId, {}, { stripeAccount: live.account });
    return { session, subscription, onStripe, price, live };
  }

  it("on: the address is collected in setup Checkout and the subscription has automatic tax", async () => {
    const { session, subscription, onStripe, price } = await order(true);
    expect(session.billing_address_collection).toBe("required");
    expect(onStripe.automatic_tax.enabled).toBe(true);
    // The price was entered tax-inclusive (DE consumers): the member pays exactly what was shown.
    expect(price.tax_behavior).toBe("inclusive");
    expect(subscription.status).toBe("active");
    expect(onStripe.latest_invoice).toMatchObject({ total: price.unit_amount, status: "paid" });
  });

  it("off: neither is sent", async () => {
    const { session, onStripe } = await order(false);
    expect(session.billing_address_collection).toBeNull();
    expect(onStripe.automatic_tax.enabled).toBe(false);
  });
});
