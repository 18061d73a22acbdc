import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSubscription, hasEntitlement, reconcileCoop, stateFromStripe } from "@kiln/billing";
import { withSystem } from "@kiln/db";
import { getTestRuntime } from "../setup/runtime";
import { startBillingWorld } from "./world";

/**
 * Reconciliation (issue 5 §7): webhooks dropped by the emulator leave Kiln behind Stripe; a run lists
 * the connected account's events, replays the missed ones through the webhook processor, re-fetches
 * what Kiln knows, and ends where Stripe is — without granting anything twice.
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
  const { subscription } = await createSubscription(
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
  return { ...live, sub: subscription };
}

async function kilnState(stripeSubscriptionId: string) {
  const rows = await withSystem(rt, "t", (tx) =>
    tx.execute<{ status: string; cancel_at_period_end: boolean; current_period_end: string | Date | null }>(
      sql`select status, cancel_at_period_end, current_period_end from subscriptions where stripe_subscription_id = ${stripeSubscriptionId}`,
    ),
  );
  expect(rows, "one Kiln row per Stripe subscription").toHaveLength(1);
  const r = rows[0]!;
  return {
    status: r.status,
    cancelAtPeriodEnd: r.cancel_at_period_end,
    currentPeriodEnd: r.current_period_end ? new Date(r.current_period_end).toISOString() : null,
  };
}

async function stripeState(account: string, id: string) {
  const s = stateFromStripe(await world.stripe.subscriptions.retrieve(id, {}, { stripeAccount: account }));
  return {
    status: s.status,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    currentPeriodEnd: s.currentPeriodEnd?.toISOString() ?? null,
  };
}

const stored = async (eventId: string) =>
  (
    await withSystem(rt, "t", (tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from billing_webhook_events where stripe_event_id = ${eventId}`,
      ),
    )
  )[0]!.n;

describe("reconciliation", () => {
  it("missed webhooks: Kiln drifts, a run replays the missed events and ends equal to Stripe", async () => {
    const { p, tier, account, sub } = await subscribed();
    const before = (await world.emulator.control.deliveries()).deliveries.length;
    await world.emulator.control.dropNextDelivery(1);
    await world.stripe.subscriptions.update(
      sub.stripeSubscriptionId,
      { cancel_at_period_end: true },
      { stripeAccount: account },
    );
    await world.drain();
    const missed = (await world.emulator.control.deliveries()).deliveries
      .slice(before)
      .filter((d) => d.account === account && d.outcome === "dropped");
    expect(missed.map((d) => d.type)).toEqual(["customer.subscription.updated"]);
    for (const d of missed) expect(await stored(d.event)).toBe(0);
    // Drifted: Stripe cancels at period end, Kiln does not know.
    expect((await stripeState(account, sub.stripeSubscriptionId)).cancelAtPeriodEnd).toBe(true);
    expect((await kilnState(sub.stripeSubscriptionId)).cancelAtPeriodEnd).toBe(false);

    const report = await reconcileCoop(rt, world.stripe, p.coop.id, "manual");
    expect(report.finishedAt).not.toBeNull();
    expect(report.error).toBeNull();
    expect(report.differences.filter((d) => d.kind === "missed_event").map((d) => d.object.split(" ")[1])).toEqual(
      expect.arrayContaining([...new Set(missed.map((d) => d.event))]),
    );
    expect(report.repaired).toBeGreaterThanOrEqual(1);
    expect(report.cursors[account]).toBeGreaterThan(0);
    for (const d of missed) expect(await stored(d.event)).toBe(1);
    expect(await kilnState(sub.stripeSubscriptionId)).toEqual(await stripeState(account, sub.stripeSubscriptionId));
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(true);

    // A second run finds nothing new and changes nothing; still one subscription row.
    const again = await reconcileCoop(rt, world.stripe, p.coop.id, "scheduled");
    expect(again.repaired).toBe(0);
    expect(again.differences).toEqual([]);
    expect(again.checked).toBeGreaterThanOrEqual(2);
    expect(await kilnState(sub.stripeSubscriptionId)).toEqual(await stripeState(account, sub.stripeSubscriptionId));
  });

  it("drift without a missed event (Kiln's row wrong): re-fetched and written as Stripe has it, reported", async () => {
    const { p, tier, account, sub } = await subscribed();
    await reconcileCoop(rt, world.stripe, p.coop.id, "manual");
    await withSystem(rt, "t", (tx) =>
      tx.execute(
        sql`update subscriptions set status = 'canceled' where stripe_subscription_id = ${sub.stripeSubscriptionId}`,
      ),
    );
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(false);
    const report = await reconcileCoop(rt, world.stripe, p.coop.id, "manual");
    expect(report.differences).toEqual([
      expect.objectContaining({ kind: "subscription", object: sub.stripeSubscriptionId, repaired: true }),
    ]);
    expect(report.differences[0]!.kiln).toContain("canceled");
    expect(report.differences[0]!.stripe).toContain("active");
    expect(await kilnState(sub.stripeSubscriptionId)).toEqual(await stripeState(account, sub.stripeSubscriptionId));
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(true);
  });

  it("a missed cancellation is replayed too: canceled on Stripe ends Kiln's entitlement", async () => {
    const { p, tier, account, sub } = await subscribed();
    await world.emulator.control.dropNextDelivery(1);
    await world.stripe.subscriptions.cancel(sub.stripeSubscriptionId, {}, { stripeAccount: account });
    await world.drain();
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(true); // drifted
    const report = await reconcileCoop(rt, world.stripe, p.coop.id, "manual");
    expect(report.repaired).toBeGreaterThanOrEqual(1);
    expect((await kilnState(sub.stripeSubscriptionId)).status).toBe("canceled");
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(false);
  });

  it("a run cut short (event cap) keeps its cursor, so the next run still finds the older missed events", async () => {
    const { p, account, sub } = await subscribed();
    await reconcileCoop(rt, world.stripe, p.coop.id, "manual");
    await world.emulator.control.dropNextDelivery(2);
    // Ten seconds apart, so the newest missed event is newer than the older one (Stripe lists newest first).
    const later = () => rt.clock.set(new Date(rt.clock.now().getTime() + 10_000));
    later();
    await world.stripe.subscriptions.update(
      sub.stripeSubscriptionId,
      { cancel_at_period_end: true },
      { stripeAccount: account },
    );
    later();
    await world.stripe.subscriptions.update(
      sub.stripeSubscriptionId,
      { metadata: { note: "x" } },
      { stripeAccount: account },
    );
    await world.drain();
    const cut = await reconcileCoop(rt, world.stripe, p.coop.id, "manual", { maxEvents: 1 });
    const before = (
      await withSystem(rt, "t", (tx) =>
        tx.execute<{ c: string }>(
          sql`select cursors->>${account} as c from billing_reconciliations where coop_id = ${p.coop.id} order by started_at desc limit 1 offset 1`,
        ),
      )
    )[0]!.c;
    expect(String(cut.cursors[account])).toBe(before);
    const full = await reconcileCoop(rt, world.stripe, p.coop.id, "manual");
    const missed = [...cut.differences, ...full.differences].filter((d) => d.kind === "missed_event");
    expect(new Set(missed.map((d) => d.object)).size).toBe(2);
    expect(await kilnState(sub.stripeSubscriptionId)).toEqual(await stripeState(account, sub.stripeSubscriptionId));
  });
});
