import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSubscription, hasEntitlement, processWebhookEvent, stateFromStripe } from "@kiln/billing";
import { recordConsent } from "@kiln/compliance";
import { withSystem } from "@kiln/db";
import { getTestRuntime } from "../setup/runtime";
import { SECRETS, startBillingWorld } from "./world";

/**
 * Webhook chaos against the emulator with the real SDK (issue 5 acceptance): whatever the network
 * does, Kiln ends where Stripe is, each event is stored once, and nothing is granted twice.
 */
const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

async function subscribed() {
  const live = await world.liveTier();
  const session = await world.saveCard(live.p.member.id, live.tier.id);
  const result = await createSubscription(
    rt,
    world.stripe,
    { userId: live.p.member.id },
    {
      tierId: live.tier.id,
      checkoutSessionId: session,
      termsVersionId: live.version.id,
      consent: world.consentFor(live.terms),
    },
  );
  await world.drain();
  return { ...live, sub: result.subscription };
}

async function kilnRow(stripeSubscriptionId: string) {
  const rows = await withSystem(rt, "t", (tx) =>
    tx.execute<{ status: string; cancel_at_period_end: boolean; current_period_end: Date | null }>(
      sql`select status, cancel_at_period_end, current_period_end from subscriptions where stripe_subscription_id = ${stripeSubscriptionId}`,
    ),
  );
  expect(rows.length, "one Kiln row per Stripe subscription").toBeLessThanOrEqual(1);
  return rows[0];
}

/** Kiln's row equals Stripe's subscription right now. */
async function expectMatchesStripe(account: string, stripeSubscriptionId: string) {
  const sub = await world.stripe.subscriptions.retrieve(stripeSubscriptionId, {}, { stripeAccount: account });
  const stripe = stateFromStripe(sub);
  const row = await kilnRow(stripeSubscriptionId);
  expect({
    status: row?.status,
    cancelAtPeriodEnd: row?.cancel_at_period_end,
    currentPeriodEnd: row?.current_period_end ? new Date(row.current_period_end).toISOString() : null,
  }).toEqual({
    status: stripe.status,
    cancelAtPeriodEnd: stripe.cancelAtPeriodEnd,
    currentPeriodEnd: stripe.currentPeriodEnd?.toISOString() ?? null,
  });
  return stripe;
}

const storedCount = async (where: ReturnType<typeof sql>) =>
  (
    await withSystem(rt, "t", (tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from billing_webhook_events where ${where}`),
    )
  )[0]!.n;

async function post(path: string, body: string, signature: string | null) {
  const response = await fetch(`${world.webhookBase}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(signature ? { "Stripe-Signature": signature } : {}) },
    body,
  });
  return response.status;
}

const fakeEvent = (id: string, type: string, account?: string) =>
  JSON.stringify({
    id,
    object: "event",
    type,
    created: Math.floor(Date.now() / 1000),
    api_version: "2026-10-28.endive",
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    ...(account ? { account } : {}),
    data: { object: { id: "obj_1", object: "thing" } },
  });

describe("signature and storage", () => {
  it("a bad signature, a tampered body, a stale timestamp or no signature → 400 and nothing stored", async () => {
    const id = `evt_chaos_${crypto.randomUUID().replaceAll("-", "")}`;
    const body = fakeEvent(id, "customer.updated", "acct_x");
    const sign = (payload: string, secret: string, timestamp?: number) =>
      world.stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
    const path = "/api/v1/webhooks/stripe-connect";
    expect(await post(path, body, sign(body, "whsec_wrong"))).toBe(400);
    expect(await post(path, body, sign(body, SECRETS.platform))).toBe(400); // the other endpoint's secret
    expect(await post(path, body.replace("customer.updated", "customer.deleted"), sign(body, SECRETS.connect))).toBe(
      400,
    );
    const stale = Math.floor(Date.now() / 1000) - 301;
    expect(await post(path, body, sign(body, SECRETS.connect, stale))).toBe(400);
    expect(await post(path, body, null)).toBe(400);
    expect(await storedCount(sql`stripe_event_id = ${id}`)).toBe(0);
    // The positive control: the same body, signed now with the right secret, is stored once.
    expect(await post(path, body, sign(body, SECRETS.connect, Math.floor(Date.now() / 1000) - 290))).toBe(200);
    expect(await post(path, body, sign(body, SECRETS.connect))).toBe(200);
    expect(await storedCount(sql`stripe_event_id = ${id}`)).toBe(1);
  });

  it("an unknown event type is acknowledged, stored and marked processed without changing anything", async () => {
    const id = `evt_unknown_${crypto.randomUUID().replaceAll("-", "")}`;
    const body = fakeEvent(id, "kiln.never_heard_of_it");
    const signature = world.stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRETS.platform });
    expect(await post("/api/v1/webhooks/stripe", body, signature)).toBe(200);
    expect(await processWebhookEvent(rt, world.stripe, id)).toBe("ignored");
    expect(await storedCount(sql`stripe_event_id = ${id} and processed_at is not null`)).toBe(1);
    expect(await processWebhookEvent(rt, world.stripe, id)).toBe("skipped");
  });
});

describe("delivery chaos", () => {
  it("duplicated deliveries and redeliveries are stored once and grant nothing twice", async () => {
    const { p, tier, account, sub } = await subscribed();
    await world.emulator.control.duplicateNextDelivery(5);
    await world.stripe.subscriptions.update(
      sub.stripeSubscriptionId,
      { cancel_at_period_end: true },
      { stripeAccount: account },
    );
    await world.drain();
    const { deliveries } = await world.emulator.control.deliveries();
    const updated = deliveries.filter((d) => d.type === "customer.subscription.updated" && d.account === account);
    expect(updated.length).toBeGreaterThanOrEqual(2);
    expect(new Set(updated.map((d) => d.event)).size).toBeLessThan(updated.length);
    for (const eventId of new Set(updated.map((d) => d.event))) {
      await world.emulator.control.redeliver(eventId);
      expect(await storedCount(sql`stripe_event_id = ${eventId}`)).toBe(1);
    }
    await world.drain();
    for (const eventId of new Set(updated.map((d) => d.event)))
      expect(await storedCount(sql`stripe_event_id = ${eventId}`)).toBe(1);
    const subs = await withSystem(rt, "t", (tx) =>
      tx.execute(sql`select id from subscriptions where member_user_id = ${p.member.id}`),
    );
    expect(subs).toHaveLength(1);
    expect((await expectMatchesStripe(account, sub.stripeSubscriptionId)).cancelAtPeriodEnd).toBe(true);
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(true);
  });

  it("`deleted` before a late `updated` (reversed order) ends canceled, as on Stripe", async () => {
    const { p, tier, account, sub } = await subscribed();
    await world.emulator.control.holdDeliveries();
    await world.stripe.subscriptions.update(
      sub.stripeSubscriptionId,
      { cancel_at_period_end: true },
      { stripeAccount: account },
    );
    await world.stripe.subscriptions.cancel(sub.stripeSubscriptionId, {}, { stripeAccount: account });
    expect(await world.emulator.control.releaseDeliveries("reverse")).toBeGreaterThanOrEqual(2);
    await world.drain();
    expect((await expectMatchesStripe(account, sub.stripeSubscriptionId)).status).toBe("canceled");
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(false);
  });

  it("`updated` before `created` for a subscription whose create response was lost: adopted once, as on Stripe", async () => {
    const live = await world.liveTier();
    const member = live.p.member.id;
    const session = await world.saveCard(member, live.tier.id);
    // The order was recorded and Stripe created the subscription, but Kiln never saw the response.
    const consent = await recordConsent(rt, {
      memberUserId: member,
      tierId: live.tier.id,
      termsVersionId: live.version.id,
      ...world.consentFor(live.terms),
      priceShown: { amountMinor: 900, currency: "EUR", interval: "month" },
    });
    const checkout = await world.stripe.checkout.sessions.retrieve(session, {}, { stripeAccount: live.account });
    const setup = await world.stripe.setupIntents.retrieve(
      checkout.setup_intent as string,
      {},
      {
        stripeAccount: live.account,
      },
    );
    await world.emulator.control.holdDeliveries();
    const created = await world.stripe.subscriptions.create(
      {
        customer: checkout.customer as string,
        items: [{ price: live.price.stripePriceId }],
        default_payment_method: setup.payment_method as string,
        metadata: { kiln_consent_id: consent.id },
      },
      { stripeAccount: live.account, idempotencyKey: consent.id },
    );
    await world.stripe.subscriptions.update(
      created.id,
      { cancel_at_period_end: true },
      { stripeAccount: live.account },
    );
    await world.emulator.control.releaseDeliveries("reverse");
    await world.drain();
    await expectMatchesStripe(live.account, created.id);
    expect(await hasEntitlement(rt, member, live.tier.id)).toBe(true);
  });

  it("a processing crash is recorded and retried; the retry ends where Stripe is; repeated crashes dead-letter", async () => {
    const { p, tier, account, sub } = await subscribed();
    await world.stripe.subscriptions.update(
      sub.stripeSubscriptionId,
      { cancel_at_period_end: true },
      { stripeAccount: account },
    );
    const crash = () => {
      throw new Error("worker crashed");
    };
    expect(await world.drain({ beforeApply: crash })).toContain("failed");
    expect((await kilnRow(sub.stripeSubscriptionId))?.cancel_at_period_end).toBe(false);
    const failed = await withSystem(rt, "t", (tx) =>
      tx.execute<{ attempts: number; last_error: string }>(
        sql`select attempts, last_error from billing_webhook_events where account = ${account} and type = 'customer.subscription.updated' and processed_at is null`,
      ),
    );
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]).toMatchObject({ attempts: 1, last_error: "Error: worker crashed" });
    expect(await world.drain()).not.toContain("failed");
    expect((await expectMatchesStripe(account, sub.stripeSubscriptionId)).cancelAtPeriodEnd).toBe(true);

    await world.stripe.subscriptions.update(
      sub.stripeSubscriptionId,
      { cancel_at_period_end: false },
      { stripeAccount: account },
    );
    expect(await world.drain({ beforeApply: crash, maxAttempts: 2 })).toContain("failed");
    expect(await world.drain({ beforeApply: crash, maxAttempts: 2 })).toContain("dead_lettered");
    expect(await world.drain()).toEqual([]);
    expect(
      await storedCount(sql`account = ${account} and dead_lettered_at is not null and coop_id is null`),
    ).toBeGreaterThanOrEqual(1);
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(true);
  });
});

describe("renewals and the entitlement rule", () => {
  it("a failed renewal is past_due, entitled within the grace period only", async () => {
    const { p, tier, account, sub } = await subscribed();
    const customer = sub.stripeCustomerId;
    await world.emulator.control.failNextPayment(customer, { account, count: 1 });
    const periodEnd = sub.currentPeriodEnd!.getTime();
    rt.clock.set(new Date(periodEnd + 3_600_000));
    world.emulator.emulator.runDue(); // what the emulator's billing tick does
    await world.drain();
    expect((await expectMatchesStripe(account, sub.stripeSubscriptionId)).status).toBe("past_due");
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(true);
    rt.clock.set(new Date(periodEnd + 8 * 86_400_000));
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(false);
  });
});
