import { sql } from "drizzle-orm";
import { withSystem } from "@kiln/db";
import {
  claimDrop,
  createDrop,
  createProduct,
  getOrderPage,
  startClaimCheckout,
  setDropPublished,
  type PayForClaimInput,
} from "@kiln/drops";
import { createUser } from "@kiln/seed";
import { buildGoodsDisclosure } from "../../app/app/goods-disclosure";
import { startBillingWorld } from "../billing/world";
import type { TestRuntime } from "../setup/runtime";

export const PERIOD = "2026-W50";
const MINUTE = 60_000;

/**
 * A creator onboarded to Connect (the Stripe emulator) with approved terms (the seller's details), a
 * published storefront, a locked allocation at its factory, and an open drop of a product with a
 * delivery cost; members claim, save a card through setup Checkout and press the order button.
 */
export async function startDropsWorld(rt: TestRuntime) {
  const billing = await startBillingWorld(rt);

  async function shop(options: { quantity?: number; holdMinutes?: number; exemption?: string | null } = {}) {
    const live = await billing.liveTier();
    const { p } = live;
    const allocationId = await withSystem(rt, "test-fixture", async (tx) => {
      await tx.execute(sql`update creators set is_published = true where id = ${p.creator.id}`);
      const [request] = await tx.execute<{ id: string }>(sql`
        insert into capacity_requests (coop_id, creator_id, capability, period, units)
        values (${p.coop.id}, ${p.creator.id}, 'screenprint', ${PERIOD}, 100) returning id`);
      const [run] = await tx.execute<{ id: string }>(sql`
        insert into allocation_runs (coop_id, period, status, locked_method, inputs, summary)
        values (${p.coop.id}, ${PERIOD}, 'locked', 'fair', '{}'::jsonb, '{}'::jsonb) returning id`);
      const [allocation] = await tx.execute<{ id: string }>(sql`
        insert into allocations (coop_id, run_id, method, request_id, creator_id, factory_id, capability, period, units, is_locked)
        values (${p.coop.id}, ${run!.id}, 'fair', ${request!.id}, ${p.creator.id}, ${p.factory.id}, 'screenprint', ${PERIOD}, 100, true)
        returning id`);
      return allocation!.id;
    });
    const product = await createProduct(rt, live.creator, {
      title: "Night print",
      description: "A3 screenprint, two colours.",
      priceMinor: 2500,
      deliveryMinor: 490,
      currency: "EUR",
      capability: "screenprint",
      sku: "NIGHT-1",
      withdrawalExemptionReason: options.exemption ?? null,
    });
    const drop = await createDrop(rt, live.creator, {
      productId: product.id,
      title: "Night restock",
      quantity: options.quantity ?? 5,
      period: PERIOD,
      opensAt: new Date(rt.clock.now().getTime() - MINUTE),
      perMemberLimit: 2,
      holdMinutes: options.holdMinutes ?? 10,
    });
    await setDropPublished(rt, live.creator, drop.id, true);
    return { ...live, product, drop, allocationId };
  }

  /** Follows the emulator's hosted pages (card form, then 3-D Secure if the card asks) back to Kiln. */
  async function completeHosted(url: string, form: Record<string, string>) {
    let location = await billing.submitHosted(url, form);
    while (/\/hosted\/(3ds\/|checkout\/[^/]+\/authenticate)/.test(location))
      location = await billing.submitHosted(new URL(location, url).href, { result: "complete" });
    return location;
  }

  /** A new member who claims one unit and saves a card; returns what the order button needs. */
  async function memberWithClaim(dropId: string, card = "4242424242424242") {
    const user = await createUser(rt);
    const member = { userId: user.id };
    const claim = await claimDrop(rt, member, { dropId, quantity: 1, idempotencyKey: `claim-${user.id}` });
    const checkout = await startClaimCheckout(rt, billing.stripe, member, {
      claimId: claim.id,
      successUrl: "http://kiln.test/order?session={CHECKOUT_SESSION_ID}",
      cancelUrl: "http://kiln.test/order",
    });
    const back = await completeHosted(checkout.url, { cardnumber: card, exp: "12/34", cvc: "123" });
    const sessionId = new URL(back).searchParams.get("session")!;
    return { user, member, claim, sessionId };
  }

  /** The order button's input, with the disclosure the order page showed. */
  async function orderInput(
    member: { userId: string },
    claimId: string,
    sessionId: string,
    address: Record<string, unknown> = {
      name: "Mia Muster",
      line1: "Hauptstr. 1",
      postalCode: "10115",
      city: "Berlin",
      country: "de",
    },
  ): Promise<PayForClaimInput> {
    const page = await getOrderPage(rt, member, claimId);
    const model = buildGoodsDisclosure(
      {
        productTitle: page.product.title,
        description: page.product.description,
        quantity: page.claim.quantity,
        priceMinor: page.product.priceMinor,
        deliveryMinor: page.product.deliveryMinor,
        currency: page.product.currency,
        withdrawalExemptionReason: page.product.withdrawalExemptionReason,
        shipBy: page.drop.shipBy,
        trader: page.seller!.trader,
        withdrawalFunctionUrl: page.seller!.withdrawalFunctionUrl,
        withdrawalInstructionsUrl: page.seller!.withdrawalInstructionsUrl,
      },
      "de",
    );
    return {
      claimId,
      checkoutSessionId: sessionId,
      address: address as PayForClaimInput["address"],
      disclosureText: model.text,
      buttonLabel: model.buttonLabel,
      locale: "de",
      returnUrl: `http://kiln.test/s/x/drops/claims/${claimId}/paid`,
    };
  }

  /** Every PaymentIntent on the emulator, across connected accounts. */
  function allIntents() {
    const store = billing.emulator.emulator.store;
    return store.scopes().flatMap((scope) => store.all(scope, "payment_intent")) as unknown as Array<{
      id: string;
      status: string;
      metadata: Record<string, string>;
      application_fee_amount: number | null;
      amount: number;
    }>;
  }

  return { billing, stripe: billing.stripe, shop, memberWithClaim, orderInput, completeHosted, allIntents };
}
