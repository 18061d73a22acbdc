import { and, eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { schema, type Tx } from "@kiln/db";

export type SubscriptionRow = typeof schema.subscriptions.$inferSelect;

const STATUSES = new Set<string>(schema.subscriptionStatus.enumValues);

const toDate = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000) : null);

function invoiceUrl(sub: Stripe.Subscription): string | null {
  const invoice = sub.latest_invoice;
  if (!invoice || typeof invoice === "string") return null;
  return invoice.status === "open" ? (invoice.hosted_invoice_url ?? null) : null;
}

/** Metadata key Kiln sets on a Stripe subscription it marked unpaid after the grace period. */
export const FINAL_ACTION_METADATA = "kiln_final_action";

export function isMarkedUnpaid(sub: Pick<Stripe.Subscription, "metadata">): boolean {
  return sub.metadata?.[FINAL_ACTION_METADATA] === "mark_unpaid";
}

/** Kiln's columns for a subscription as Stripe has it (the period lives on its items in this API version). */
export function stateFromStripe(sub: Stripe.Subscription) {
  if (!STATUSES.has(sub.status)) throw new Error(`unknown subscription status ${sub.status}`);
  const ends = sub.items.data.map((i) => i.current_period_end).filter((n): n is number => typeof n === "number");
  // The co-op's `mark_unpaid` final action (docs/decisions/018): Stripe keeps the subscription
  // past_due with collection stopped and Kiln's marker in its metadata; Kiln says `unpaid`. The
  // marker is Stripe's data, so a webhook re-fetching the object arrives at the same state.
  const unpaid =
    isMarkedUnpaid(sub) && (sub.status === "past_due" || sub.status === "unpaid" || sub.status === "active");
  // Collection paused (the member's pause, issue 5 §4): Stripe keeps `active`; Kiln says `paused`.
  const paused = sub.pause_collection !== null && sub.pause_collection !== undefined && sub.status === "active";
  return {
    status: (unpaid ? "unpaid" : paused ? "paused" : sub.status) as SubscriptionRow["status"],
    currentPeriodEnd: toDate(ends.length ? Math.max(...ends) : null),
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    pendingInvoiceUrl: invoiceUrl(sub),
  };
}

/**
 * A downgrade scheduled for the period end takes over once Stripe's period has moved past that
 * instant (the renewal happened): the scheduled tier, price and consent become the row's own.
 */
function scheduledChangeApplied(row: SubscriptionRow, periodEnd: Date | null) {
  if (!row.scheduledAt || !row.scheduledTierId || !row.scheduledTierPriceId || !row.scheduledConsentId) return {};
  if (!periodEnd || periodEnd.getTime() <= row.scheduledAt.getTime()) return {};
  return {
    tierId: row.scheduledTierId,
    tierPriceId: row.scheduledTierPriceId,
    consentId: row.scheduledConsentId,
    scheduledTierId: null,
    scheduledTierPriceId: null,
    scheduledConsentId: null,
    scheduledAt: null,
  };
}

/**
 * Writes Stripe's current state of a subscription (fetched just now) into Kiln. Order-independent:
 * the caller re-fetched the object, so whatever event triggered this, the row ends as Stripe is; an
 * event older than the last one applied only refreshes, it never moves `last_event_created` back.
 * A subscription Kiln has no row for yet (the create call's response was lost) is adopted through
 * the consent id in its metadata. Returns the row, or null when the subscription is not Kiln's.
 */
export async function upsertSubscriptionFromStripe(
  tx: Tx,
  account: string,
  sub: Stripe.Subscription,
  event: { id: string; created: number } | null,
): Promise<SubscriptionRow | null> {
  const state = stateFromStripe(sub);
  const customer = typeof sub.customer === "string" ? sub.customer : sub.customer.id;
  const [row] = await tx
    .select()
    .from(schema.subscriptions)
    .where(
      and(eq(schema.subscriptions.stripeAccountId, account), eq(schema.subscriptions.stripeSubscriptionId, sub.id)),
    )
    .for("update");
  const pastDueSince = (previous: SubscriptionRow | undefined) =>
    state.status !== "past_due" ? null : previous?.status === "past_due" ? previous.pastDueSince : sql`kiln_now()`;
  const eventFields = (previous: SubscriptionRow | undefined) =>
    event && (previous?.lastEventCreated ?? 0) <= event.created
      ? { lastEventCreated: event.created, lastEventId: event.id }
      : {};
  if (row) {
    const [updated] = await tx
      .update(schema.subscriptions)
      .set({
        ...state,
        pastDueSince: pastDueSince(row),
        ...eventFields(row),
        ...scheduledChangeApplied(row, state.currentPeriodEnd),
        updatedAt: sql`kiln_now()`,
      })
      .where(eq(schema.subscriptions.id, row.id))
      .returning();
    return updated!;
  }
  const consentId = sub.metadata?.kiln_consent_id;
  const priceId = sub.items.data[0]?.price.id;
  if (!consentId || !priceId) return null;
  const [consent] = await tx.select().from(schema.consents).where(eq(schema.consents.id, consentId));
  const [price] = await tx.select().from(schema.tierPrices).where(eq(schema.tierPrices.stripePriceId, priceId));
  if (!consent || !price || consent.tierId !== price.tierId) return null;
  const [inserted] = await tx
    .insert(schema.subscriptions)
    .values({
      coopId: consent.coopId,
      creatorId: consent.creatorId,
      memberUserId: consent.memberUserId,
      tierId: consent.tierId,
      tierPriceId: price.id,
      consentId: consent.id,
      stripeAccountId: account,
      stripeCustomerId: customer,
      stripeSubscriptionId: sub.id,
      ...state,
      pastDueSince: pastDueSince(undefined),
      ...eventFields(undefined),
    })
    .onConflictDoNothing()
    .returning();
  if (inserted) return inserted;
  // Inserted concurrently by the subscribe flow (same consent, same subscription): apply to that row.
  const [raced] = await tx
    .select()
    .from(schema.subscriptions)
    .where(and(eq(schema.subscriptions.consentId, consent.id), eq(schema.subscriptions.stripeSubscriptionId, sub.id)));
  return raced ? upsertSubscriptionFromStripe(tx, account, sub, event) : null;
}
