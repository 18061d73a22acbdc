import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { updateProfile } from "@kiln/auth";
import { createSubscription, hasEntitlement, processWebhookEvent } from "@kiln/billing";
import { formatDate } from "@kiln/compliance/disclosure";
import { withSystem } from "@kiln/db";
import { getTestRuntime } from "../setup/runtime";
import { startBillingWorld } from "./world";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;
const appUrl = "http://kiln.test";

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

const noticesTo = (email: string) =>
  withSystem(rt, "t", (tx) =>
    tx.execute<{ subject: string; text_body: string; locale: string }>(
      sql`select subject, text_body, locale from email_outbox where to_address = ${email} and template = 'billing-payment-failed'`,
    ),
  );

describe("dunning: invoice.payment_failed", () => {
  it("tells the member once, in their language, with the grace period and the card-update link", async () => {
    const live = await world.liveTier();
    const member = await updateProfile(rt, live.p.member.id, { displayName: "Mia", locale: "de", country: "DE" });
    const session = await world.saveCard(member.id, live.tier.id);
    const { subscription } = await createSubscription(
      rt,
      world.stripe,
      { userId: member.id },
      {
        tierId: live.tier.id,
        checkoutSessionId: session,
        termsVersionId: live.version.id,
        consent: world.consentFor(live.terms),
      },
    );
    await world.drain({ appUrl });
    expect(await noticesTo(member.email)).toHaveLength(0);

    await world.emulator.control.failNextPayment(subscription.stripeCustomerId, { account: live.account, count: 1 });
    const periodEnd = subscription.currentPeriodEnd!.getTime();
    rt.clock.set(new Date(periodEnd + 3_600_000));
    world.emulator.emulator.runDue();
    await world.drain({ appUrl });

    const notices = await noticesTo(member.email);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.locale).toBe("de");
    expect(notices[0]!.subject).toContain("Zahlung fehlgeschlagen");
    expect(notices[0]!.text_body).toContain(`${appUrl}/account/subscriptions`);
    expect(notices[0]!.text_body).toContain("9,00");
    // Not cut off on the first failure: still entitled, and the notice says until when.
    expect(await hasEntitlement(rt, member.id, live.tier.id)).toBe(true);
    const graceEnd = formatDate(new Date(periodEnd + 3_600_000 + 7 * 86_400_000), "de");
    expect(notices[0]!.text_body).toContain(`bleiben bis zum ${graceEnd} erhalten`);

    // The event processed again (its commit landed but "processed" was lost): no second notice.
    const [failed] = await withSystem(rt, "t", (tx) =>
      tx.execute<{ stripe_event_id: string }>(
        sql`update billing_webhook_events set processed_at = null
            where type = 'invoice.payment_failed' and account = ${live.account} returning stripe_event_id`,
      ),
    );
    expect(await processWebhookEvent(rt, world.stripe, failed!.stripe_event_id, { appUrl })).toBe("processed");
    expect(await noticesTo(member.email)).toHaveLength(1);
  });
});
