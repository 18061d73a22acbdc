import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSubscription, processWebhookEvent } from "@kiln/billing";
import { withSystem } from "@kiln/db";
import { getTestRuntime } from "../setup/runtime";
import { startBillingWorld } from "./world";

/**
 * Disputes (issue 5 §7): charge.dispute.created/updated/closed from the emulator (Stripe's shapes)
 * flag the member's subscription and tell the creator's owners through the outbox, once each,
 * whatever the delivery order.
 */
const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;
const appUrl = "http://kiln.test";

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
  await world.drain({ appUrl });
  const charges = await world.stripe.charges.list(
    { customer: subscription.stripeCustomerId },
    { stripeAccount: live.account },
  );
  const charge = charges.data.find((c) => c.captured)!;
  expect(charge).toBeDefined();
  return { ...live, sub: subscription, charge };
}

const disputesOf = (subscriptionId: string) =>
  withSystem(rt, "t", (tx) =>
    tx.execute<{ status: string; amount_minor: number; currency: string; reason: string; stripe_dispute_id: string }>(
      sql`select status, amount_minor, currency, reason, stripe_dispute_id from billing_disputes where subscription_id = ${subscriptionId}`,
    ),
  );
const mails = (to: string, template: string) =>
  withSystem(rt, "t", (tx) =>
    tx.execute<{ subject: string; text_body: string }>(
      sql`select subject, text_body from email_outbox where to_address = ${to} and template = ${template}`,
    ),
  );

describe("disputes", () => {
  it("created → flags the subscription and mails the creator once; updated and closed follow Stripe", async () => {
    const { p, account, sub, charge } = await subscribed();
    const opened = await world.emulator.control.openDispute(charge.id, { account, reason: "fraudulent" });
    await world.drain({ appUrl });
    expect(await disputesOf(sub.id)).toEqual([
      {
        status: "needs_response",
        amount_minor: charge.amount,
        currency: charge.currency,
        reason: "fraudulent",
        stripe_dispute_id: opened.id,
      },
    ]);
    const notices = await mails(p.owner.email, "billing-dispute-opened");
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text_body).toContain(`${appUrl}/studio/${p.creator.slug}/billing`);

    // A redelivered `created` changes nothing and mails nothing more.
    const created = (await world.emulator.control.deliveries()).deliveries.find(
      (d) => d.type === "charge.dispute.created" && d.account === account,
    )!;
    await withSystem(rt, "t", (tx) =>
      tx.execute(sql`update billing_webhook_events set processed_at = null where stripe_event_id = ${created.event}`),
    );
    expect(await processWebhookEvent(rt, world.stripe, created.event, { appUrl })).toBe("processed");
    expect(await mails(p.owner.email, "billing-dispute-opened")).toHaveLength(1);

    await world.emulator.control.setDisputeStatus(opened.id, "under_review", { account });
    await world.drain({ appUrl });
    expect((await disputesOf(sub.id))[0]!.status).toBe("under_review");
    expect(await mails(p.owner.email, "billing-dispute-closed")).toHaveLength(0);

    // The creator accepts the dispute on Stripe: closed, lost; one closing notice.
    await world.stripe.disputes.close(opened.id, {}, { stripeAccount: account });
    await world.drain({ appUrl });
    expect((await disputesOf(sub.id))[0]!.status).toBe("lost");
    expect(await mails(p.owner.email, "billing-dispute-closed")).toHaveLength(1);
  });

  it("`closed` delivered before `created`: ends as Stripe has it (won), one row, one notice", async () => {
    const { p, account, sub, charge } = await subscribed();
    await world.emulator.control.holdDeliveries();
    const opened = await world.emulator.control.openDispute(charge.id, { account, reason: "product_not_received" });
    await world.emulator.control.setDisputeStatus(opened.id, "won", { account });
    expect(await world.emulator.control.releaseDeliveries("reverse")).toBeGreaterThanOrEqual(2);
    await world.drain({ appUrl });
    const rows = await disputesOf(sub.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "won", reason: "product_not_received" });
    expect(await mails(p.owner.email, "billing-dispute-closed")).toHaveLength(1);
    expect(await mails(p.owner.email, "billing-dispute-opened")).toHaveLength(0);
  });

  it("the emulator refuses a second dispute on the same charge and an unknown status", async () => {
    const { account, charge } = await subscribed();
    const d = await world.emulator.control.openDispute(charge.id, { account });
    await expect(world.emulator.control.openDispute(charge.id, { account })).rejects.toThrow(/already been disputed/);
    await expect(world.emulator.control.setDisputeStatus(d.id, "maybe", { account })).rejects.toThrow(/Invalid status/);
    const listed = await world.stripe.disputes.list({ charge: charge.id }, { stripeAccount: account });
    expect(listed.data.map((x) => x.id)).toEqual([d.id]);
    await world.drain({ appUrl });
  });
});
