import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOnboardingLink,
  createSubscription,
  getConnectStatus,
  hasEntitlement,
  syncTierPrice,
} from "@kiln/billing";
import { createTermsDraft, decideTermsVersion, submitTermsVersion } from "@kiln/compliance";
import { withSystem, withTenant } from "@kiln/db";
import { createCoopWithPeople, createSubscriptionTier } from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { sampleTermsFor } from "../compliance/samples";
import { databaseMode, getTestRuntime } from "../setup/runtime";
import { startBillingWorld } from "./world";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

describe("Connect onboarding and tier sync", () => {
  it("an onboarded creator's approved terms become a tax-inclusive Price on its own account", async () => {
    const { creator, account, price, tier } = await world.liveTier();
    expect(await getConnectStatus(rt, creator)).toMatchObject({ status: "enabled", chargesEnabled: true });
    // The tier's approved terms became a tax-inclusive monthly Price on the creator's own account.
    const stripePrice = await world.stripe.prices.retrieve(price.stripePriceId, {}, { stripeAccount: account });
    expect(stripePrice).toMatchObject({ unit_amount: 900, currency: "eur", tax_behavior: "inclusive" });
    expect(stripePrice.recurring?.interval).toBe("month");
    expect(price).toMatchObject({ amountMinor: 900, currency: "eur", interval: "month", tierId: tier.id });
    expect(tier.status).toBe("live");
  });

  it("a tier cannot go on sale while the account is pending; account.updated then enables it", async () => {
    const p = await createCoopWithPeople(rt);
    const creator = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
    expect(await getConnectStatus(rt, creator)).toBeNull();
    const link = await createOnboardingLink(rt, world.stripe, creator, {
      returnUrl: "http://kiln.test/r",
      refreshUrl: "http://kiln.test/f",
    });
    expect(await getConnectStatus(rt, creator)).toMatchObject({ status: "pending", chargesEnabled: false });
    const tier = await createSubscriptionTier(rt, {
      coopId: p.coop.id,
      creatorId: p.creator.id,
      jurisdictions: ["DE"],
    });
    const { terms } = sampleTermsFor("DE");
    const v = await createTermsDraft(rt, creator, { tierId: tier.id, terms });
    await submitTermsVersion(rt, creator, { termsVersionId: v.id }, renderOrderPage);
    const reviewer = { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" };
    await decideTermsVersion(rt, reviewer, { termsVersionId: v.id, decision: "approve" });
    await expect(syncTierPrice(rt, world.stripe, creator, tier.id)).rejects.toMatchObject({ code: "CONFLICT" });
    await world.submitHosted(link.url, { result: "complete" });
    expect(await world.drain()).toContain("processed");
    expect(await getConnectStatus(rt, creator)).toMatchObject({ status: "enabled", payoutsEnabled: true });
    await expect(syncTierPrice(rt, world.stripe, creator, tier.id)).resolves.toMatchObject({ amountMinor: 900 });
    // Staff and other creators cannot start onboarding for this creator.
    await expect(
      createOnboardingLink(
        rt,
        world.stripe,
        { ...creator, role: "creator_staff" },
        {
          returnUrl: "http://kiln.test/r",
          refreshUrl: "http://kiln.test/f",
        },
      ),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("subscribe: setup Checkout → order page → server-side subscription", () => {
  it("entitles the member at once, with the consent as the idempotency key and the co-op's fee", async () => {
    const { p, tier, version, terms, account } = await world.liveTier();
    const session = await world.saveCard(p.member.id, tier.id);
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(false);
    const result = await createSubscription(
      rt,
      world.stripe,
      { userId: p.member.id },
      {
        tierId: tier.id,
        checkoutSessionId: session,
        termsVersionId: version.id,
        consent: world.consentFor(terms),
      },
    );
    expect(result.subscription.status).toBe("active");
    expect(result.isEntitled).toBe(true);
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(true);
    const sub = await world.stripe.subscriptions.retrieve(
      result.subscription.stripeSubscriptionId,
      {},
      { stripeAccount: account },
    );
    expect(sub.metadata.kiln_consent_id).toBe(result.consentId);
    expect(sub.application_fee_percent).toBe(5);
    // The member reads their own subscription; another member does not.
    const own = await withTenant(rt, { userId: p.member.id }, (tx) =>
      tx.execute(sql`select id from subscriptions where id = ${result.subscription.id}`),
    );
    expect(own).toHaveLength(1);
    const others = await withTenant(rt, { userId: p.admin.id }, (tx) =>
      tx.execute(sql`select id from subscriptions where id = ${result.subscription.id}`),
    );
    expect(others).toHaveLength(0);
    // Webhooks arriving afterwards reconcile to the same state.
    await world.drain();
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(true);
    // Pressing again with the same card session answers the same order; a new order for the tier is refused.
    const again = await createSubscription(
      rt,
      world.stripe,
      { userId: p.member.id },
      { tierId: tier.id, checkoutSessionId: session, termsVersionId: version.id, consent: world.consentFor(terms) },
    );
    expect(again).toMatchObject({ consentId: result.consentId, isEntitled: true });
    expect(again.subscription.id).toBe(result.subscription.id);
    const secondCard = await world.saveCard(p.member.id, tier.id);
    await expect(
      createSubscription(
        rt,
        world.stripe,
        { userId: p.member.id },
        {
          tierId: tier.id,
          checkoutSessionId: secondCard,
          termsVersionId: version.id,
          consent: world.consentFor(terms),
        },
      ),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("two presses of the order button at once make one consent, one subscription and one charge", async () => {
    const { p, tier, version, terms, account } = await world.liveTier();
    const session = await world.saveCard(p.member.id, tier.id);
    const press = () =>
      createSubscription(
        rt,
        world.stripe,
        { userId: p.member.id },
        { tierId: tier.id, checkoutSessionId: session, termsVersionId: version.id, consent: world.consentFor(terms) },
      );
    // The server database runs both at the same moment; the embedded one has a single connection,
    // so there they run back to back (the second press after the first answered).
    const [a, b] =
      databaseMode() === "embedded" ? [await press(), await press()] : await Promise.all([press(), press()]);
    expect(b.subscription.id).toBe(a.subscription.id);
    expect(b.subscription.stripeSubscriptionId).toBe(a.subscription.stripeSubscriptionId);
    expect(b.consentId).toBe(a.consentId);
    expect([a.isEntitled, b.isEntitled]).toEqual([true, true]);
    const counts = await withSystem(rt, "t", (tx) =>
      tx.execute<{ subs: number; consents: number; audits: number }>(sql`select
        (select count(*)::int from subscriptions where tier_id = ${tier.id}) as subs,
        (select count(*)::int from consents where tier_id = ${tier.id}) as consents,
        (select count(*)::int from audit_log where action = 'billing.subscription_created'
          and subject_id = ${a.subscription.id}) as audits`),
    );
    expect(counts[0]).toEqual({ subs: 1, consents: 1, audits: 1 });
    const customer = a.subscription.stripeCustomerId;
    const onStripe = await world.stripe.subscriptions.list({ customer, status: "all" }, { stripeAccount: account });
    expect(onStripe.data.map((s) => s.id)).toEqual([a.subscription.stripeSubscriptionId]);
    const invoices = await world.stripe.invoices.list({ customer }, { stripeAccount: account });
    expect(invoices.data.filter((i) => i.status === "paid")).toHaveLength(1);
  });

  it("refuses an order for terms other than the approved version shown, or without the auto-renew consent", async () => {
    const { p, tier, version, terms } = await world.liveTier();
    const session = await world.saveCard(p.member.id, tier.id);
    const input = { tierId: tier.id, checkoutSessionId: session, termsVersionId: version.id };
    await expect(
      createSubscription(
        rt,
        world.stripe,
        { userId: p.member.id },
        {
          ...input,
          termsVersionId: crypto.randomUUID(),
          consent: world.consentFor(terms),
        },
      ),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      createSubscription(
        rt,
        world.stripe,
        { userId: p.member.id },
        { ...input, consent: world.consentFor(terms, false) },
      ),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    const counts = await withSystem(rt, "t", (tx) =>
      tx.execute<{ subs: number; consents: number }>(sql`select
        (select count(*)::int from subscriptions where tier_id = ${tier.id}) as subs,
        (select count(*)::int from consents where tier_id = ${tier.id}) as consents`),
    );
    expect(counts[0]).toEqual({ subs: 0, consents: 0 });
    // Another member cannot use this member's saved card session.
    await expect(
      createSubscription(rt, world.stripe, { userId: p.admin.id }, { ...input, consent: world.consentFor(terms) }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("a declined first payment leaves the member unentitled (incomplete)", async () => {
    const { p, tier, version, terms } = await world.liveTier();
    const session = await world.saveCard(p.member.id, tier.id);
    const customer = await withSystem(rt, "t", (tx) =>
      tx.execute<{ stripe_customer_id: string; stripe_account_id: string }>(
        sql`select stripe_customer_id, stripe_account_id from billing_customers where member_user_id = ${p.member.id}`,
      ),
    );
    await world.emulator.control.failNextPayment(customer[0]!.stripe_customer_id, {
      account: customer[0]!.stripe_account_id,
    });
    const result = await createSubscription(
      rt,
      world.stripe,
      { userId: p.member.id },
      {
        tierId: tier.id,
        checkoutSessionId: session,
        termsVersionId: version.id,
        consent: world.consentFor(terms),
      },
    );
    expect(result.subscription.status).toBe("incomplete");
    expect(result.isEntitled).toBe(false);
    expect(await hasEntitlement(rt, p.member.id, tier.id)).toBe(false);
  });
});
