import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyFinalActions,
  createCardUpdateSession,
  FINAL_ACTION_CANCEL_COMMENT,
  getCoopBillingAdmin,
  getCreatorBilling,
  hasEntitlement,
  processWebhookEvent,
  retrySubscriptionPayment,
  setDunningPolicy,
} from "@kiln/billing";
import { withSystem } from "@kiln/db";
import { getTestRuntime } from "../setup/runtime";
import { memberOpsHelpers } from "./member-ops-world";
import { startBillingWorld } from "./world";

/**
 * Dunning's final action after the grace period (issue 5 §6, docs/decisions/018) against the
 * emulator with the real SDK and the test clock. The emulator plays a connected account whose own
 * retry settings leave an invoice past_due after the last retry, so Kiln's policy is what ends it.
 */
const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;
const appUrl = "http://kiln.test";
const DAY = 86_400_000;

beforeAll(async () => {
  world = await startBillingWorld(rt, { afterFinalFailure: "past_due" });
});
afterAll(async () => {
  await world?.stop();
});

const { subscribed } = memberOpsHelpers(rt, () => world);

const rowOf = (id: string) =>
  withSystem(rt, "t", async (tx) => {
    const rows = await tx.execute<{
      status: string;
      past_due_since: string | null;
      final_action: string | null;
      final_action_at: string | null;
      final_action_claimed_at: string | null;
    }>(
      sql`select status, past_due_since, final_action, final_action_at, final_action_claimed_at
          from subscriptions where id = ${id}`,
    );
    return rows[0]!;
  });

const auditCount = (subjectId: string, action: string) =>
  withSystem(rt, "t", async (tx) => {
    const rows = await tx.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_log where subject_id = ${subjectId} and action = ${action}`,
    );
    return rows[0]!.n;
  });

const mailsTo = (email: string, template: string) =>
  withSystem(rt, "t", (tx) =>
    tx.execute<{ subject: string; text_body: string }>(
      sql`select subject, text_body from email_outbox where to_address = ${email} and template = ${template}`,
    ),
  );

/** Moves Kiln's and the emulator's clock to `at` and runs what became due (renewals, retries). */
async function advanceTo(at: number) {
  rt.clock.set(new Date(at));
  world.emulator.emulator.runDue();
  await world.drain({ appUrl });
}

/** Only this test's results: other files on the same database run the sweep's claims too. */
const resultsFor = (results: Awaited<ReturnType<typeof applyFinalActions>>, id: string) =>
  results.filter((r) => r.subscriptionId === id);

/** Reprocesses every stored event of this subscription's account again (late and duplicate deliveries). */
async function replayEvents(account: string) {
  const ids = await withSystem(rt, "t", (tx) =>
    tx.execute<{ stripe_event_id: string }>(
      sql`update billing_webhook_events set processed_at = null
          where account = ${account} returning stripe_event_id`,
    ),
  );
  for (const { stripe_event_id } of ids)
    await processWebhookEvent(rt, world.stripe, stripe_event_id, { appUrl }).catch(() => "failed");
  return ids.length;
}

async function pastDue() {
  const live = await world.liveTier();
  const { member, subscription } = await subscribed(live);
  return { live, member, subscription };
}

describe("final action: cancel (the default)", () => {
  it("keeps the member through the grace period, then cancels on Stripe once, even with concurrent sweeps", async () => {
    const { live, member, subscription } = await pastDue();
    await world.emulator.control.failNextPayment(subscription.stripeCustomerId, { account: live.account, count: 10 });
    const failedAt = subscription.currentPeriodEnd!.getTime() + 3_600_000;
    await advanceTo(failedAt);
    expect((await rowOf(subscription.id)).status).toBe("past_due");

    // Within the grace period (7 days by default): every retry fails, nothing final happens.
    await advanceTo(failedAt + 6 * DAY);
    expect(resultsFor(await applyFinalActions(rt, world.stripe, { appUrl }), subscription.id)).toEqual([]);
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(true);
    const beforeGrace = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: live.account },
    );
    expect(beforeGrace.status).toBe("past_due");

    // Past the grace period: not entitled any more, and two workers sweeping at once act once.
    await advanceTo(failedAt + 7 * DAY + 60_000);
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(false);
    const [a, b] = await Promise.all([
      applyFinalActions(rt, world.stripe, { appUrl }),
      applyFinalActions(rt, world.stripe, { appUrl }),
    ]);
    const ours = [...resultsFor(a, subscription.id), ...resultsFor(b, subscription.id)];
    expect(ours).toEqual([{ subscriptionId: subscription.id, action: "cancel", outcome: "applied" }]);
    // A retried job (the first run's "done" lost) finds nothing left to do.
    expect(resultsFor(await applyFinalActions(rt, world.stripe, { appUrl }), subscription.id)).toEqual([]);

    const onStripe = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: live.account },
    );
    expect(onStripe.status).toBe("canceled");
    expect(onStripe.cancellation_details?.comment).toBe(FINAL_ACTION_CANCEL_COMMENT);
    const row = await rowOf(subscription.id);
    expect(row).toMatchObject({ status: "canceled", final_action: "cancel" });
    expect(row.final_action_at).not.toBeNull();
    expect(await auditCount(subscription.id, "billing.final_action")).toBe(1);
    const mails = await mailsTo(member.email, "billing-final-action");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text_body).toContain(`${appUrl}/s/`);

    // Late and duplicate webhooks (the past_due updates, the payment failures) do not undo it, and
    // send no further dunning notice.
    const dunningBefore = (await mailsTo(member.email, "billing-payment-failed")).length;
    await world.drain({ appUrl });
    expect(await replayEvents(live.account)).toBeGreaterThan(3);
    expect((await rowOf(subscription.id)).status).toBe("canceled");
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(false);
    expect(await mailsTo(member.email, "billing-payment-failed")).toHaveLength(dunningBefore);
    expect(await mailsTo(member.email, "billing-final-action")).toHaveLength(1);

    // The creator sees it on the subscriber list.
    const overview = await getCreatorBilling(rt, world.stripe, live.creator);
    const listed = overview.subscribers.find((s) => s.id === subscription.id);
    expect(listed).toMatchObject({ status: "canceled", finalAction: { action: "cancel" } });
  });

  it("takes Stripe's state instead when the member paid meanwhile (webhook not yet processed)", async () => {
    const { live, member, subscription } = await pastDue();
    await world.emulator.control.failNextPayment(subscription.stripeCustomerId, { account: live.account, count: 4 });
    const failedAt = subscription.currentPeriodEnd!.getTime() + 3_600_000;
    await advanceTo(failedAt);
    await advanceTo(failedAt + 7 * DAY + 60_000);
    expect((await rowOf(subscription.id)).status).toBe("past_due");
    // The member pays the open invoice on Stripe; its events are held back, Kiln still says past_due.
    await world.emulator.control.holdDeliveries();
    const open = await world.stripe.invoices.list(
      { subscription: subscription.stripeSubscriptionId, status: "open" },
      { stripeAccount: live.account },
    );
    await world.stripe.invoices.pay(open.data[0]!.id, {}, { stripeAccount: live.account });
    expect((await rowOf(subscription.id)).status).toBe("past_due");

    const results = resultsFor(await applyFinalActions(rt, world.stripe, { appUrl }), subscription.id);
    expect(results).toEqual([{ subscriptionId: subscription.id, action: "cancel", outcome: "not_due" }]);
    const row = await rowOf(subscription.id);
    expect(row).toMatchObject({ status: "active", final_action: null, final_action_claimed_at: null });
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(true);
    await world.emulator.control.releaseDeliveries("reverse");
    await world.drain({ appUrl });
    expect((await rowOf(subscription.id)).status).toBe("active");
    expect(await mailsTo(member.email, "billing-final-action")).toHaveLength(0);
  });
});

describe("final action: mark_unpaid (co-op policy)", () => {
  it("is set by a co-op admin (audited, validated) and stops entitlement and collection until the member pays", async () => {
    const { live, member, subscription } = await pastDue();
    const admin = { userId: live.p.admin.id, coopId: live.p.coop.id, role: "coop_admin" };
    await expect(setDunningPolicy(rt, admin, { graceDays: 61, finalAction: "cancel" })).rejects.toMatchObject({
      code: "BAD_INPUT",
    });
    await expect(
      setDunningPolicy(rt, admin, { graceDays: 2, finalAction: "delete" as "cancel" }),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    await expect(
      setDunningPolicy(rt, live.creator, { graceDays: 2, finalAction: "mark_unpaid" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await setDunningPolicy(rt, admin, { graceDays: "2", finalAction: "mark_unpaid" });
    expect((await getCoopBillingAdmin(rt, admin)).settings).toMatchObject({ graceDays: 2, finalAction: "mark_unpaid" });
    expect(await auditCount(live.p.coop.id, "billing.dunning_policy_set")).toBe(1);

    // The first attempt and the day-1 retry fail; the day-3 retry would succeed if Stripe still tried.
    await world.emulator.control.failNextPayment(subscription.stripeCustomerId, { account: live.account, count: 2 });
    const failedAt = subscription.currentPeriodEnd!.getTime() + 3_600_000;
    await advanceTo(failedAt);
    await advanceTo(failedAt + 2 * DAY + 60_000);
    const results = resultsFor(await applyFinalActions(rt, world.stripe, { appUrl }), subscription.id);
    expect(results).toEqual([{ subscriptionId: subscription.id, action: "mark_unpaid", outcome: "applied" }]);
    await world.drain({ appUrl });
    expect((await rowOf(subscription.id)).status).toBe("unpaid");
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(false);
    const mails = await mailsTo(member.email, "billing-final-action");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text_body).toContain(`${appUrl}/account/subscriptions/${subscription.id}/card`);

    // Collection stopped: no more retries, the next renewal stays a draft; Kiln stays unpaid
    // whatever webhooks arrive late or twice.
    await advanceTo(failedAt + 40 * DAY);
    const invoices = await world.stripe.invoices.list(
      { subscription: subscription.stripeSubscriptionId },
      { stripeAccount: live.account },
    );
    const failed = invoices.data.find((i) => i.status === "open")!;
    expect(failed).toMatchObject({ auto_advance: false, next_payment_attempt: null, attempt_count: 2 });
    expect(invoices.data.filter((i) => i.status === "paid")).toHaveLength(1);
    expect(invoices.data.some((i) => i.status === "draft")).toBe(true);
    const onStripe = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: live.account },
    );
    expect(onStripe.status).toBe("past_due");
    await replayEvents(live.account);
    expect((await rowOf(subscription.id)).status).toBe("unpaid");
    expect(resultsFor(await applyFinalActions(rt, world.stripe, { appUrl }), subscription.id)).toEqual([]);
    expect(await mailsTo(member.email, "billing-final-action")).toHaveLength(1);
    expect(await auditCount(subscription.id, "billing.final_action")).toBe(1);

    // The member updates the card and pays now: active and entitled again, collection resumed.
    const actor = { userId: member.id };
    const portal = await createCardUpdateSession(rt, world.stripe, actor, {
      subscriptionId: subscription.id,
      returnUrl: `${appUrl}/account/subscriptions`,
    });
    await world.submitHosted(portal.url, { cardnumber: "5555555555554444", exp: "12/34", cvc: "123" });
    const paid = await retrySubscriptionPayment(rt, world.stripe, actor, {
      subscriptionId: subscription.id,
      requestId: randomUUID(),
    });
    expect(paid.paid).toBe(true);
    expect(paid.subscription.status).toBe("active");
    const after = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: live.account },
    );
    expect(after.status).toBe("active");
    expect(after.pause_collection).toBeNull();
    expect(after.metadata.kiln_final_action).toBeUndefined();
    await world.drain({ appUrl });
    expect((await rowOf(subscription.id)).status).toBe("active");
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(true);
  });
});
