import { and, eq, ne } from "drizzle-orm";
import type Stripe from "stripe";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { recordConsent } from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type TenantContext } from "@kiln/db";
import { DEFAULT_GRACE_DAYS, isEntitled } from "./entitlement";
import { ownSubscription, parseOrBadInput, requestDone, requireMemberId } from "./own-subscription";
import { CreateSubscriptionSchema } from "./subscribe";
import { upsertSubscriptionFromStripe, type SubscriptionRow } from "./subscription-state";
import { findCurrentPrice } from "./tiers";

/** Plan changes only from a subscription in good standing (not while paying late, paused or ending). */
const CHANGEABLE = new Set<SubscriptionRow["status"]>(["active", "trialing"]);

export type PlanDirection = "upgrade" | "downgrade";

const directionOf = (targetRank: number, currentRank: number): PlanDirection =>
  targetRank > currentRank ? "upgrade" : "downgrade";

/**
 * The tiers a member can change to (issue 5 §4): the same creator's other live tiers at the same
 * currency and billing interval (a change never moves the billing date). A higher rank is an upgrade
 * (now, prorated); a lower or equal rank a downgrade (at the end of the paid period).
 */
export async function listPlanOptions(rt: Runtime, actor: TenantContext, subscriptionId: string) {
  const memberUserId = requireMemberId(actor);
  return withSystem(rt, "billing-plan-options", async (tx) => {
    const sub = await ownSubscription(tx, memberUserId, subscriptionId);
    const [current] = await tx
      .select({ tier: schema.subscriptionTiers, price: schema.tierPrices })
      .from(schema.subscriptionTiers)
      .innerJoin(schema.tierPrices, eq(schema.tierPrices.id, sub.tierPriceId))
      .where(eq(schema.subscriptionTiers.id, sub.tierId));
    if (!current) throw new AppError("NOT_FOUND", "Not found");
    const others = await tx
      .select({ id: schema.subscriptionTiers.id })
      .from(schema.subscriptionTiers)
      .where(
        and(
          eq(schema.subscriptionTiers.creatorId, sub.creatorId),
          eq(schema.subscriptionTiers.status, "live"),
          ne(schema.subscriptionTiers.id, sub.tierId),
        ),
      );
    const options = [];
    for (const { id } of others) {
      const offer = await findCurrentPrice(tx, id);
      if (!offer) continue;
      if (offer.price.currency !== current.price.currency || offer.price.interval !== current.price.interval) continue;
      options.push({
        tier: { id: offer.tier.id, name: offer.tier.name, rank: offer.tier.rank },
        termsVersionId: offer.version.id,
        terms: offer.terms,
        price: { amountMinor: offer.price.amountMinor, currency: offer.price.currency, interval: offer.price.interval },
        direction: directionOf(offer.tier.rank, current.tier.rank),
      });
    }
    options.sort((a, b) => b.tier.rank - a.tier.rank);
    return {
      subscription: sub,
      current: { tier: { id: current.tier.id, name: current.tier.name, rank: current.tier.rank } },
      canChange: CHANGEABLE.has(sub.status) && !sub.cancelAtPeriodEnd && !sub.scheduledTierId,
      options,
    };
  });
}

export const ChangePlanSchema = z.object({
  subscriptionId: z.uuid(),
  targetTierId: z.uuid(),
  /** The target tier's terms version the order summary showed (a hidden field of the form). */
  termsVersionId: z.uuid(),
  /** Made when the change page rendered: a double press or retry is the same change. */
  requestId: z.uuid(),
  consent: CreateSubscriptionSchema.shape.consent,
});
export type ChangePlanInput = z.input<typeof ChangePlanSchema>;

/**
 * Changes the member's tier (issue 5 §4) after they consented to the target tier's approved terms:
 *
 * - **Upgrade** (higher rank): now. The Stripe subscription item's price is swapped with
 *   `proration_behavior: always_invoice`, so the unused time of the old price is credited, the rest
 *   of the period at the new price charged at once on its own invoice, and the member is entitled
 *   to the new tier immediately (Kiln's row moves to the new tier, price and consent).
 * - **Downgrade** (lower or equal rank): at the end of the paid period. The price is swapped with
 *   `proration_behavior: none` — nothing is credited or charged now, and Stripe's next renewal
 *   invoice bills the new price — while Kiln keeps the old tier entitled until `scheduledAt` (the
 *   period end) and only then lets the new tier entitle (`effectiveTier`).
 *
 * Refused server-side without a valid consent for the target's current approved terms version (the
 * consent is recorded by compliance, one per request id). The consent id is the Stripe idempotency
 * key, the request id dedupes the audit entry. Kiln's state is written from Stripe's answer, so it
 * does not wait for a webhook; webhooks only ever write status and period, in any order.
 */
export async function changePlan(rt: Runtime, stripe: Stripe, actor: TenantContext, input: ChangePlanInput) {
  const memberUserId = requireMemberId(actor);
  const {
    subscriptionId,
    targetTierId,
    termsVersionId,
    requestId,
    consent: shown,
  } = parseOrBadInput(ChangePlanSchema, input);
  const ctx = await withSystem(rt, "billing-plan-change", async (tx) => {
    const sub = await ownSubscription(tx, memberUserId, subscriptionId);
    if (
      (await requestDone(tx, sub.coopId, "billing.plan_upgraded", sub.id, requestId)) ||
      (await requestDone(tx, sub.coopId, "billing.plan_downgrade_scheduled", sub.id, requestId))
    )
      return { replay: sub };
    if (!CHANGEABLE.has(sub.status) || sub.cancelAtPeriodEnd)
      throw new AppError("CONFLICT", "This subscription cannot change tier now");
    if (sub.scheduledTierId) throw new AppError("CONFLICT", "A tier change is already scheduled");
    const offer = await findCurrentPrice(tx, targetTierId);
    if (!offer || offer.tier.creatorId !== sub.creatorId || offer.tier.id === sub.tierId)
      throw new AppError("NOT_FOUND", "Not found");
    if (offer.version.id !== termsVersionId)
      throw new AppError("CONFLICT", "The terms of this tier changed: review the new terms and order again");
    const [current] = await tx
      .select({ tier: schema.subscriptionTiers, price: schema.tierPrices })
      .from(schema.subscriptionTiers)
      .innerJoin(schema.tierPrices, eq(schema.tierPrices.id, sub.tierPriceId))
      .where(eq(schema.subscriptionTiers.id, sub.tierId));
    if (!current) throw new AppError("NOT_FOUND", "Not found");
    if (offer.price.currency !== current.price.currency || offer.price.interval !== current.price.interval)
      throw new AppError("CONFLICT", "A tier with another currency or billing interval needs a new subscription");
    const [settings] = await tx
      .select({ graceDays: schema.billingSettings.graceDays })
      .from(schema.billingSettings)
      .where(eq(schema.billingSettings.coopId, sub.coopId));
    return {
      sub,
      offer,
      from: current,
      direction: directionOf(offer.tier.rank, current.tier.rank),
      graceDays: settings?.graceDays ?? DEFAULT_GRACE_DAYS,
    };
  });
  if ("replay" in ctx && ctx.replay) return planResult(rt, ctx.replay, null);
  const { sub, offer, from, direction } = ctx;

  const consent = await recordConsent(rt, {
    memberUserId,
    tierId: offer.tier.id,
    termsVersionId,
    ...shown,
    priceShown: {
      amountMinor: offer.price.amountMinor,
      currency: offer.price.currency.toUpperCase(),
      interval: offer.price.interval,
    },
    trialEndsAt: null,
    // One consent per change request (the order key; a plan change has no card session).
    checkoutSessionId: `kiln-plan-change:${requestId}`,
  });

  const account = sub.stripeAccountId;
  const before = await stripe.subscriptions.retrieve(sub.stripeSubscriptionId, {}, { stripeAccount: account });
  const item = before.items.data[0];
  if (!item) throw new Error(`subscription ${sub.stripeSubscriptionId} has no item`);
  const updated = await stripe.subscriptions.update(
    sub.stripeSubscriptionId,
    {
      items: [{ id: item.id, price: offer.price.stripePriceId }],
      proration_behavior: direction === "upgrade" ? "always_invoice" : "none",
      metadata:
        direction === "upgrade"
          ? { kiln_consent_id: consent.id, kiln_tier_id: offer.tier.id }
          : { kiln_scheduled_consent_id: consent.id, kiln_scheduled_tier_id: offer.tier.id },
      expand: ["latest_invoice"],
    },
    { stripeAccount: account, idempotencyKey: `kiln-plan-change-${consent.id}` },
  );

  const now = rt.clock.now();
  const row = await withSystem(rt, "billing-plan-change", async (tx) => {
    const locked = await ownSubscription(tx, memberUserId, subscriptionId, true);
    if (
      (await requestDone(tx, locked.coopId, "billing.plan_upgraded", locked.id, requestId)) ||
      (await requestDone(tx, locked.coopId, "billing.plan_downgrade_scheduled", locked.id, requestId))
    )
      return locked;
    const synced = (await upsertSubscriptionFromStripe(tx, account, updated, null)) ?? locked;
    const invoice = typeof updated.latest_invoice === "object" ? updated.latest_invoice : null;
    const change =
      direction === "upgrade"
        ? {
            tierId: offer.tier.id,
            tierPriceId: offer.price.id,
            consentId: consent.id,
            scheduledTierId: null,
            scheduledTierPriceId: null,
            scheduledConsentId: null,
            scheduledAt: null,
          }
        : {
            scheduledTierId: offer.tier.id,
            scheduledTierPriceId: offer.price.id,
            scheduledConsentId: consent.id,
            scheduledAt: synced.currentPeriodEnd,
          };
    const [written] = await tx
      .update(schema.subscriptions)
      .set(change)
      .where(eq(schema.subscriptions.id, locked.id))
      .returning();
    await appendAudit(tx, now, {
      coopId: locked.coopId,
      action: direction === "upgrade" ? "billing.plan_upgraded" : "billing.plan_downgrade_scheduled",
      actorUserId: memberUserId,
      subjectType: "subscription",
      subjectId: locked.id,
      data: {
        requestId,
        consentId: consent.id,
        fromTierId: from.tier.id,
        toTierId: offer.tier.id,
        fromAmountMinor: from.price.amountMinor,
        toAmountMinor: offer.price.amountMinor,
        currency: offer.price.currency,
        effectiveAt: direction === "upgrade" ? now.toISOString() : (synced.currentPeriodEnd?.toISOString() ?? null),
        prorationInvoiceId: direction === "upgrade" && invoice ? invoice.id : null,
        prorationAmountMinor: direction === "upgrade" && invoice ? invoice.amount_due : null,
      },
    });
    return written!;
  });
  return planResult(rt, row, direction);
}

async function planResult(rt: Runtime, row: SubscriptionRow, direction: PlanDirection | null) {
  const graceDays = await withSystem(rt, "billing-plan-change", async (tx) => {
    const [settings] = await tx
      .select({ graceDays: schema.billingSettings.graceDays })
      .from(schema.billingSettings)
      .where(eq(schema.billingSettings.coopId, row.coopId));
    return settings?.graceDays ?? DEFAULT_GRACE_DAYS;
  });
  return { subscription: row, direction, isEntitled: isEntitled(row, rt.clock.now(), graceDays) };
}
