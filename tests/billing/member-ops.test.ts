import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cancelAtPeriodEnd,
  changePlan,
  createCardUpdateSession,
  hasEntitlement,
  listMemberSubscriptions,
  listPlanOptions,
  listSubscriptionInvoices,
  pauseSubscription,
  resumeSubscription,
  retrySubscriptionPayment,
  type Stripe,
} from "@kiln/billing";
import { withSystem } from "@kiln/db";
import { createUser } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";
import { memberOpsHelpers } from "./member-ops-world";
import { startBillingWorld } from "./world";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

const { siblingTier, subscribed } = memberOpsHelpers(rt, () => world);

const stripeSub = (live: { account: string }, id: string) =>
  world.stripe.subscriptions.retrieve(id, { expand: ["latest_invoice"] }, { stripeAccount: live.account });

const auditCount = (subjectId: string, action: string) =>
  withSystem(rt, "t", async (tx) => {
    const rows = await tx.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_log where subject_id = ${subjectId} and action = ${action}`,
    );
    return rows[0]!.n;
  });

const rowOf = (id: string) =>
  withSystem(rt, "t", async (tx) => {
    const rows = await tx.execute<{
      tier_id: string;
      status: string;
      consent_id: string;
      scheduled_tier_id: string | null;
      scheduled_at: string | null;
    }>(sql`select tier_id, status, consent_id, scheduled_tier_id, scheduled_at from subscriptions where id = ${id}`);
    return rows[0]!;
  });

describe("change tier", () => {
  it("upgrades now with prorations after a consent to the target terms; refuses without one; once per request", async () => {
    const live = await world.liveTier();
    const plus = await siblingTier(live, 1, 1500);
    const { member, subscription } = await subscribed(live);
    const actor = { userId: member.id };

    const options = await listPlanOptions(rt, actor, subscription.id);
    expect(options.canChange).toBe(true);
    expect(options.options.map((o) => [o.tier.id, o.direction])).toEqual([[plus.tier.id, "upgrade"]]);

    // A week into the month.
    rt.clock.advance(7 * 86_400_000);
    const requestId = randomUUID();
    const input = {
      subscriptionId: subscription.id,
      targetTierId: plus.tier.id,
      termsVersionId: plus.version.id,
      requestId,
      consent: world.consentFor(plus.terms),
    };
    // No consent to the auto-renewal of the new terms: refused server-side, nothing changed.
    await expect(
      changePlan(rt, world.stripe, actor, { ...input, consent: world.consentFor(plus.terms, false) }),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    // Terms other than the target's current approved version: refused.
    await expect(
      changePlan(rt, world.stripe, actor, { ...input, termsVersionId: live.version.id }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await rowOf(subscription.id)).tier_id).toBe(live.tier.id);
    expect((await stripeSub(live, subscription.stripeSubscriptionId)).items.data[0]!.price.id).toBe(
      live.price.stripePriceId,
    );

    // Webhooks held and later delivered in reverse order: Kiln does not wait for them.
    await world.emulator.control.holdDeliveries();
    const result = await changePlan(rt, world.stripe, actor, input);
    expect(result.direction).toBe("upgrade");
    expect(result.subscription.tierId).toBe(plus.tier.id);
    expect(result.subscription.consentId).not.toBe(subscription.consentId);
    expect(await hasEntitlement(rt, member.id, plus.tier.id)).toBe(true);
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(false);

    // The double press: the same change, one audit entry, one Stripe change.
    const again = await changePlan(rt, world.stripe, actor, input);
    expect(again.subscription.tierId).toBe(plus.tier.id);
    expect(await auditCount(subscription.id, "billing.plan_upgraded")).toBe(1);

    const onStripe = await stripeSub(live, subscription.stripeSubscriptionId);
    expect(onStripe.items.data[0]!.price.id).toBe(plus.price.stripePriceId);
    const invoice = onStripe.latest_invoice as Stripe.Invoice;
    expect(invoice.billing_reason).toBe("subscription_update");
    expect(invoice.status).toBe("paid");
    // The 6,00 difference for the unused ~3/4 of the month, in integer cents.
    expect(Number.isInteger(invoice.amount_due)).toBe(true);
    expect(invoice.amount_due).toBeGreaterThan(400);
    expect(invoice.amount_due).toBeLessThan(500);
    const invoices = await listSubscriptionInvoices(rt, world.stripe, actor, subscription.id);
    expect(invoices.filter((i) => i.amountPaidMinor === invoice.amount_due)).toHaveLength(1);

    await world.emulator.control.releaseDeliveries("reverse");
    await world.drain();
    const after = await rowOf(subscription.id);
    expect(after).toMatchObject({ tier_id: plus.tier.id, status: "active" });

    // Another member cannot touch it.
    const other = await createUser(rt);
    await expect(
      changePlan(rt, world.stripe, { userId: other.id }, { ...input, requestId: randomUUID() }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("downgrades at the end of the paid period: the higher tier entitles exactly until then, Stripe bills the lower price from the renewal", async () => {
    const live = await world.liveTier();
    const basic = await siblingTier(live, -1, 500);
    const { member, subscription } = await subscribed(live);
    const actor = { userId: member.id };
    const periodEnd = subscription.currentPeriodEnd!.getTime();

    const result = await changePlan(rt, world.stripe, actor, {
      subscriptionId: subscription.id,
      targetTierId: basic.tier.id,
      termsVersionId: basic.version.id,
      requestId: randomUUID(),
      consent: world.consentFor(basic.terms),
    });
    expect(result.direction).toBe("downgrade");
    expect(result.subscription.tierId).toBe(live.tier.id);
    expect(result.subscription.scheduledTierId).toBe(basic.tier.id);
    expect(result.subscription.scheduledAt?.getTime()).toBe(periodEnd);
    // Nothing credited or charged now.
    const onStripe = await stripeSub(live, subscription.stripeSubscriptionId);
    expect((onStripe.latest_invoice as { billing_reason: string }).billing_reason).toBe("subscription_create");
    const [listed] = await listMemberSubscriptions(rt, actor);
    expect(listed!.scheduledChange).toMatchObject({ tierId: basic.tier.id });
    // A second change while one is scheduled is refused.
    const options = await listPlanOptions(rt, actor, subscription.id);
    expect(options.canChange).toBe(false);

    rt.clock.set(new Date(periodEnd - 1000));
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(true);
    expect(await hasEntitlement(rt, member.id, basic.tier.id)).toBe(false);
    rt.clock.set(new Date(periodEnd));
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(false);
    expect(await hasEntitlement(rt, member.id, basic.tier.id)).toBe(true);

    // The renewal bills 5,00 and, once its webhooks are processed, the row is on the new tier.
    world.emulator.emulator.runDue();
    await world.drain();
    const renewed = await stripeSub(live, subscription.stripeSubscriptionId);
    const renewal = renewed.latest_invoice as { amount_due: number; billing_reason: string; status: string };
    expect(renewal).toMatchObject({ amount_due: 500, billing_reason: "subscription_cycle", status: "paid" });
    const row = await rowOf(subscription.id);
    expect(row).toMatchObject({ tier_id: basic.tier.id, scheduled_tier_id: null, scheduled_at: null });
    expect(await hasEntitlement(rt, member.id, basic.tier.id)).toBe(true);
  });
});

describe("pause and resume", () => {
  it("pauses collection (paused → not entitled at once) and resumes, once per request, whatever the webhook order", async () => {
    const live = await world.liveTier();
    const { member, subscription } = await subscribed(live);
    const actor = { userId: member.id };
    await world.emulator.control.holdDeliveries();

    const pauseRequest = { subscriptionId: subscription.id, requestId: randomUUID() };
    const paused = await pauseSubscription(rt, world.stripe, actor, pauseRequest);
    expect(paused.status).toBe("paused");
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(false);
    await pauseSubscription(rt, world.stripe, actor, pauseRequest);
    expect(await auditCount(subscription.id, "billing.subscription_paused")).toBe(1);
    await expect(
      pauseSubscription(rt, world.stripe, actor, { subscriptionId: subscription.id, requestId: randomUUID() }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await stripeSub(live, subscription.stripeSubscriptionId)).pause_collection).toMatchObject({
      behavior: "void",
    });

    // The renewal while paused charges nothing (its invoice is voided).
    rt.clock.set(new Date(subscription.currentPeriodEnd!.getTime() + 60_000));
    world.emulator.emulator.runDue();
    const during = await stripeSub(live, subscription.stripeSubscriptionId);
    expect((during.latest_invoice as { status: string }).status).toBe("void");
    await world.emulator.control.releaseDeliveries("reverse");
    await world.drain();
    expect((await rowOf(subscription.id)).status).toBe("paused");

    const resumed = await resumeSubscription(rt, world.stripe, actor, {
      subscriptionId: subscription.id,
      requestId: randomUUID(),
    });
    expect(resumed.status).toBe("active");
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(true);
    await world.drain();
    expect((await rowOf(subscription.id)).status).toBe("active");
    await expect(
      resumeSubscription(rt, world.stripe, actor, { subscriptionId: subscription.id, requestId: randomUUID() }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("update card after a failed renewal", () => {
  it("opens the billing portal, and the retry with the new card brings the subscription back to active", async () => {
    const live = await world.liveTier();
    const { member, subscription } = await subscribed(live);
    const actor = { userId: member.id };
    await world.emulator.control.failNextPayment(subscription.stripeCustomerId, { account: live.account, count: 1 });
    rt.clock.set(new Date(subscription.currentPeriodEnd!.getTime() + 3_600_000));
    world.emulator.emulator.runDue();
    await world.drain();
    expect((await rowOf(subscription.id)).status).toBe("past_due");

    const other = await createUser(rt);
    await expect(
      createCardUpdateSession(
        rt,
        world.stripe,
        { userId: other.id },
        {
          subscriptionId: subscription.id,
          returnUrl: "http://kiln.test/account/subscriptions",
        },
      ),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const portal = await createCardUpdateSession(rt, world.stripe, actor, {
      subscriptionId: subscription.id,
      returnUrl: "http://kiln.test/account/subscriptions",
    });
    expect(portal.url).toContain(world.emulator.url);
    await world.submitHosted(portal.url, { cardnumber: "5555555555554444", exp: "12/34", cvc: "123" });

    const requestId = randomUUID();
    const retried = await retrySubscriptionPayment(rt, world.stripe, actor, {
      subscriptionId: subscription.id,
      requestId,
    });
    expect(retried.paid).toBe(true);
    expect(retried.subscription.status).toBe("active");
    await retrySubscriptionPayment(rt, world.stripe, actor, { subscriptionId: subscription.id, requestId });
    expect(await auditCount(subscription.id, "billing.payment_retried")).toBe(1);
    await world.drain();
    expect((await rowOf(subscription.id)).status).toBe("active");

    const invoices = await listSubscriptionInvoices(rt, world.stripe, actor, subscription.id);
    expect(invoices.map((i) => i.status)).toEqual(["paid", "paid"]);
    for (const i of invoices) {
      expect(Number.isInteger(i.amountDueMinor)).toBe(true);
      expect(i).toMatchObject({ amountDueMinor: 900, currency: "EUR" });
      expect(i.hostedInvoiceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hosted\/invoice\/in_/);
    }
    await expect(
      listSubscriptionInvoices(rt, world.stripe, { userId: other.id }, subscription.id),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("cancel at period end", () => {
  it("keeps the member entitled until exactly the period end, then not, before and after Stripe's event", async () => {
    const live = await world.liveTier();
    const { member, subscription } = await subscribed(live);
    const actor = { userId: member.id };
    const row = await cancelAtPeriodEnd(rt, world.stripe, actor, {
      subscriptionId: subscription.id,
      requestId: randomUUID(),
    });
    expect(row.cancelAtPeriodEnd).toBe(true);
    const end = row.currentPeriodEnd!.getTime();
    rt.clock.set(new Date(end - 1000));
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(true);
    rt.clock.set(new Date(end));
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(false);
    world.emulator.emulator.runDue();
    await world.drain();
    expect((await rowOf(subscription.id)).status).toBe("canceled");
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(false);
  });
});
