import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { addInterval, sampleTermsData, type Jurisdiction, type Terms } from "@kiln/compliance";
import { schema, withSystem } from "@kiln/db";
import { createCoopWithPeople, createSubscriptionTier, createUser } from "@kiln/seed";
import type { TestRuntime } from "../setup/runtime";

/** Where a member in each pack lives (the order page resolves the pack from these). */
export const HOME: Record<Jurisdiction, { country: string; usState: string | null; locale: "en" | "de" }> = {
  "US-CA": { country: "US", usState: "CA", locale: "en" },
  "US-NY": { country: "US", usState: "NY", locale: "en" },
  US: { country: "US", usState: "TX", locale: "en" },
  DE: { country: "DE", usState: null, locale: "de" },
  EU: { country: "FR", usState: null, locale: "en" },
  UK: { country: "GB", usState: null, locale: "en" },
  DEFAULT: { country: "CH", usState: null, locale: "en" },
};

export function planTerms(
  interval: "month" | "year",
  trialDays: number | null,
  currency: "EUR" | "USD" | "GBP",
): Terms {
  const base = sampleTermsData();
  return {
    ...base,
    interval,
    price: { amountMinor: interval === "year" ? 9000 : 900, currency, taxInclusive: currency !== "USD" },
    trial: trialDays ? { days: trialDays, priceMinor: 0 } : null,
    withdrawal: { ...base.withdrawal, renewalCoolingOff: true },
  };
}

/**
 * Subscriptions as billing records them, without Stripe: a live tier with an approved terms version
 * and price, a member's consent in their pack, and the subscription row (status, period end) that the
 * webhook processor would keep up to date. `renew` moves a period on as a paid renewal would.
 */
export async function startNoticeWorld(rt: TestRuntime) {
  const p = await createCoopWithPeople(rt);

  async function subscribe(jurisdiction: Jurisdiction, terms: Terms, options: { email?: string } = {}) {
    const home = HOME[jurisdiction];
    const member = await createUser(rt, {
      country: home.country,
      usState: home.usState,
      locale: home.locale,
      ...(options.email ? { email: options.email } : {}),
    });
    const tier = await createSubscriptionTier(rt, {
      coopId: p.coop.id,
      creatorId: p.creator.id,
      jurisdictions: [jurisdiction],
      status: "live",
    });
    const now = rt.clock.now();
    const trialEnd = terms.trial ? new Date(now.getTime() + terms.trial.days * 86_400_000) : null;
    return withSystem(rt, "test-notice-world", async (tx) => {
      const [version] = await tx
        .insert(schema.termsVersions)
        .values({
          coopId: p.coop.id,
          creatorId: p.creator.id,
          tierId: tier.id,
          version: 1,
          status: "approved",
          terms,
          contentHash: randomUUID(),
        })
        .returning();
      const [price] = await tx
        .insert(schema.tierPrices)
        .values({
          coopId: p.coop.id,
          creatorId: p.creator.id,
          tierId: tier.id,
          termsVersionId: version!.id,
          currency: terms.price.currency.toLowerCase(),
          amountMinor: terms.price.amountMinor,
          taxInclusive: terms.price.taxInclusive,
          interval: terms.interval,
          trialDays: terms.trial?.days ?? null,
          stripePriceId: `price_${randomUUID()}`,
        })
        .returning();
      const [consent] = await tx
        .insert(schema.consents)
        .values({
          coopId: p.coop.id,
          creatorId: p.creator.id,
          memberUserId: member.id,
          tierId: tier.id,
          termsVersionId: version!.id,
          termsHash: "t",
          disclosureHash: "d",
          disclosureText: "disclosure",
          buttonLabel: "Order with obligation to pay",
          checkboxes: [],
          priceShown: {
            amountMinor: terms.price.amountMinor,
            currency: terms.price.currency,
            interval: terms.interval,
          },
          jurisdiction,
          locale: home.locale,
          trialEndsAt: trialEnd,
          consentedAt: now,
          retainUntil: new Date(now.getTime() + 3 * 365 * 86_400_000),
        })
        .returning();
      const [sub] = await tx
        .insert(schema.subscriptions)
        .values({
          coopId: p.coop.id,
          creatorId: p.creator.id,
          memberUserId: member.id,
          tierId: tier.id,
          tierPriceId: price!.id,
          consentId: consent!.id,
          stripeAccountId: "acct_notices",
          stripeCustomerId: `cus_${randomUUID()}`,
          stripeSubscriptionId: `sub_${randomUUID()}`,
          status: trialEnd ? "trialing" : "active",
          currentPeriodEnd: trialEnd ?? addInterval(now, terms.interval, terms.intervalCount),
        })
        .returning();
      return { member, tier, sub: sub!, terms, jurisdiction };
    });
  }

  /** Every subscription of the world whose period ended is renewed (trial → active), as Stripe would. */
  async function renewDue() {
    const now = rt.clock.now();
    await withSystem(rt, "test-renew", async (tx) => {
      const due = await tx
        .select({ sub: schema.subscriptions, interval: schema.tierPrices.interval })
        .from(schema.subscriptions)
        .innerJoin(schema.tierPrices, eq(schema.tierPrices.id, schema.subscriptions.tierPriceId))
        .where(
          sql`${schema.subscriptions.coopId} = ${p.coop.id} and ${schema.subscriptions.status} in ('trialing', 'active')
              and not ${schema.subscriptions.cancelAtPeriodEnd} and ${schema.subscriptions.currentPeriodEnd} <= ${now.toISOString()}`,
        );
      for (const { sub, interval } of due) {
        let end = sub.currentPeriodEnd!;
        while (end <= now) end = addInterval(end, interval as "month" | "year", 1);
        await tx
          .update(schema.subscriptions)
          .set({ status: "active", currentPeriodEnd: end, updatedAt: now })
          .where(eq(schema.subscriptions.id, sub.id));
      }
    });
  }

  async function update(subscriptionId: string, set: Partial<typeof schema.subscriptions.$inferInsert>) {
    await withSystem(rt, "test-subscription-update", (tx) =>
      tx.update(schema.subscriptions).set(set).where(eq(schema.subscriptions.id, subscriptionId)),
    );
  }

  async function notices(subscriptionId: string) {
    return withSystem(rt, "test-notices", (tx) =>
      tx
        .select()
        .from(schema.notices)
        .where(eq(schema.notices.subscriptionId, subscriptionId))
        .orderBy(schema.notices.dueAt),
    );
  }

  return { p, subscribe, renewDue, update, notices };
}
