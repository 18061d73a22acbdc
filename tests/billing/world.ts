import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createOnboardingLink,
  createStripeClient,
  listPendingWebhookEvents,
  processWebhookEvent,
  publishTierForSale,
  receiveWebhook,
  startSubscriptionCheckout,
  type ProcessOptions,
  type WebhookEndpoint,
} from "@kiln/billing";
import { buildDisclosure, createTermsDraft, decideTermsVersion, submitTermsVersion } from "@kiln/compliance";
import { createCoopWithPeople, createSubscriptionTier } from "@kiln/seed";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "@kiln/stripe-emulator";
import { renderOrderPage } from "../../app/app/compliance.server";
import type { TestRuntime } from "../setup/runtime";
import { sampleTermsFor } from "../compliance/samples";

export const SECRETS = { platform: "whsec_test_platform", connect: "whsec_test_connect" };

/**
 * A Stripe emulator whose webhooks reach `receiveWebhook` (what the routes call) through a tiny HTTP
 * receiver, the real SDK pointed at it, and helpers for the order flow. The emulator's clock follows
 * the test clock, so periods and Kiln's time agree.
 */
export async function startBillingWorld(
  rt: TestRuntime,
  options: Pick<NonNullable<Parameters<typeof startStripeEmulator>[0]>, "afterFinalFailure"> = {},
) {
  const stripeFor = { current: undefined as ReturnType<typeof createStripeClient> | undefined };
  const responses: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const endpoint: WebhookEndpoint = req.url?.endsWith("stripe-connect") ? "connect" : "platform";
      receiveWebhook(rt, stripeFor.current!, {
        endpoint,
        rawBody: Buffer.concat(chunks).toString("utf8"),
        signature: req.headers["stripe-signature"] ? String(req.headers["stripe-signature"]) : null,
        secret: SECRETS[endpoint],
      }).then(
        (r) => {
          responses.push(r.status);
          res.writeHead(r.status).end();
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const emulator: StripeEmulator = await startStripeEmulator({
    now: () => rt.clock.now(),
    ...options,
    webhooks: [
      { url: `${base}/api/v1/webhooks/stripe`, secret: SECRETS.platform },
      { url: `${base}/api/v1/webhooks/stripe-connect`, secret: SECRETS.connect, connect: true },
    ],
  });
  const stripe = createStripeClient({ emulator: stripeClientOptions(emulator.url) });
  stripeFor.current = stripe;

  /** Waits for every queued delivery, then processes every stored event (as the job would). */
  async function drain(options: ProcessOptions = {}) {
    await emulator.webhooksIdle();
    const results: string[] = [];
    // Only this emulator's events: on a server run other test files store events in the same
    // database at the same time, and processing theirs with this Stripe client would corrupt them.
    const ours = new Set(emulator.emulator.webhooks.log.map((entry) => entry.event));
    for (const id of await listPendingWebhookEvents(rt, -1, 1000)) {
      if (!ours.has(id)) continue;
      results.push(await processWebhookEvent(rt, stripe, id, options).catch(() => "failed"));
    }
    return results;
  }

  /** Posts a hosted emulator form (what a browser would submit) and returns the redirect target. */
  async function submitHosted(url: string, form: Record<string, string>) {
    const response = await fetch(url, { method: "POST", body: new URLSearchParams(form), redirect: "manual" });
    if (response.status !== 302 && response.status !== 303)
      throw new Error(`hosted form ${url}: ${response.status} ${await response.text()}`);
    return response.headers.get("location")!;
  }

  /** A co-op with a creator onboarded to Connect and a live DE tier synced to Stripe. */
  async function liveTier() {
    const p = await createCoopWithPeople(rt);
    const creator = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
    const reviewer = { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" };
    const link = await createOnboardingLink(rt, stripe, creator, {
      returnUrl: "http://kiln.test/studio/connect/return",
      refreshUrl: "http://kiln.test/studio/connect/refresh",
    });
    await submitHosted(link.url, { result: "complete" });
    await drain();
    const tier = await createSubscriptionTier(rt, {
      coopId: p.coop.id,
      creatorId: p.creator.id,
      jurisdictions: ["DE"],
    });
    const { terms } = sampleTermsFor("DE");
    const v = await createTermsDraft(rt, creator, { tierId: tier.id, terms });
    await submitTermsVersion(rt, creator, { termsVersionId: v.id }, renderOrderPage);
    await decideTermsVersion(rt, reviewer, { termsVersionId: v.id, decision: "approve" });
    const published = await publishTierForSale(rt, stripe, creator, tier.id, renderOrderPage);
    return {
      p,
      creator,
      tier: published.tier,
      price: published.price,
      version: v,
      terms,
      account: link.stripeAccountId,
    };
  }

  /** The member saves a card through setup Checkout; returns the session id Kiln's order page gets. */
  async function saveCard(memberUserId: string, tierId: string, card = "4242424242424242") {
    const checkout = await startSubscriptionCheckout(
      rt,
      stripe,
      { userId: memberUserId },
      {
        tierId,
        successUrl: "http://kiln.test/order?session={CHECKOUT_SESSION_ID}",
        cancelUrl: "http://kiln.test/tiers",
      },
    );
    const back = await submitHosted(checkout.url, { cardnumber: card, exp: "12/34", cvc: "123" });
    return new URL(back).searchParams.get("session")!;
  }

  /** What the order summary page showed and the member ticked. */
  function consentFor(terms: ReturnType<typeof sampleTermsFor>["terms"], ticked = true) {
    const model = buildDisclosure(terms, { locale: "de", asOf: rt.clock.now() });
    return {
      disclosureText: model.text,
      buttonLabel: model.buttonLabel,
      checkboxes: model.consents.map((c) => ({ name: c.name, label: c.label, checked: ticked })),
      jurisdiction: "DE" as const,
      locale: "de" as const,
      ip: "203.0.113.9",
      userAgent: "vitest",
    };
  }

  return {
    stripe,
    emulator,
    responses,
    webhookBase: base,
    drain,
    submitHosted,
    liveTier,
    saveCard,
    consentFor,
    async stop() {
      await emulator.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
