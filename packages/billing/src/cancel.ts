import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { upsertSubscriptionFromStripe, type SubscriptionRow } from "./subscription-state";

/**
 * The Stripe side of the consumer-rights flows (issue 6, @kiln/rights): ending a subscription on
 * the creator's connected account and refunding its last payment. Called by the rights package
 * after it recorded the declaration; every call is safe to repeat (a second call finds the
 * subscription already ending / ended, and refunds carry an idempotency key).
 */

/** How a subscription ends: at the end of the paid period, at a later date, or now (no further invoices in any case). */
export type CancelWhen = { mode: "period_end" } | { mode: "at"; at: Date } | { mode: "now" };

const idOf = (v: string | { id: string } | null | undefined) => (typeof v === "string" ? v : (v?.id ?? null));

async function loadSubscription(rt: Runtime, subscriptionId: string): Promise<SubscriptionRow> {
  const [row] = await withSystem(rt, "rights-cancel-read", (tx) =>
    tx.select().from(schema.subscriptions).where(eq(schema.subscriptions.id, subscriptionId)),
  );
  if (!row) throw new AppError("NOT_FOUND", "Not found");
  return row;
}

/**
 * Ends a subscription on Stripe and writes Stripe's resulting state into Kiln's row (status,
 * cancel_at_period_end, period end) at once, without waiting for the webhook. `period_end` sets
 * cancel_at_period_end (no renewal invoice); `at` sets cancel_at; `now` cancels immediately without
 * proration or a final invoice. A subscription already canceled is returned as it is.
 */
export async function cancelSubscriptionOnStripe(
  rt: Runtime,
  stripe: Stripe,
  subscriptionId: string,
  when: CancelWhen,
): Promise<SubscriptionRow> {
  const row = await loadSubscription(rt, subscriptionId);
  if (row.status === "canceled" || row.status === "incomplete_expired") return row;
  const account = row.stripeAccountId;
  let sub: Stripe.Subscription;
  if (when.mode === "now") {
    try {
      sub = await stripe.subscriptions.cancel(row.stripeSubscriptionId, {}, { stripeAccount: account });
    } catch (error) {
      // Already canceled on Stripe (a retry after a lost response): read what Stripe has.
      sub = await stripe.subscriptions.retrieve(row.stripeSubscriptionId, {}, { stripeAccount: account });
      if (sub.status !== "canceled") throw error;
    }
  } else {
    sub = await stripe.subscriptions.update(
      row.stripeSubscriptionId,
      when.mode === "period_end"
        ? { cancel_at_period_end: true }
        : { cancel_at: Math.floor(when.at.getTime() / 1000), proration_behavior: "none" },
      { stripeAccount: account },
    );
  }
  const updated = await withSystem(rt, "rights-cancel-write", (tx) =>
    upsertSubscriptionFromStripe(tx, account, sub, null),
  );
  return updated ?? row;
}

/** The subscription's last paid invoice: what was paid, with which payment, for which period. */
export interface LastPayment {
  paidMinor: number;
  currency: string;
  paymentIntentId: string | null;
  periodStart: Date;
  periodEnd: Date;
}

export async function lastSubscriptionPayment(
  stripe: Stripe,
  account: string,
  stripeSubscriptionId: string,
): Promise<LastPayment | null> {
  const invoices = await stripe.invoices.list(
    { subscription: stripeSubscriptionId, status: "paid", limit: 10, expand: ["data.payments"] },
    { stripeAccount: account },
  );
  const paid = invoices.data.filter((i) => i.amount_paid > 0).sort((a, b) => b.created - a.created)[0];
  if (!paid) return null;
  const payment = paid.payments?.data.find((p) => p.payment?.type === "payment_intent");
  const line = paid.lines?.data[0]?.period;
  return {
    paidMinor: paid.amount_paid,
    currency: paid.currency,
    paymentIntentId: idOf(payment?.payment?.payment_intent ?? null),
    periodStart: new Date((line?.start ?? paid.period_start) * 1000),
    periodEnd: new Date((line?.end ?? paid.period_end) * 1000),
  };
}

/**
 * Refunds `amountMinor` of a payment on the connected account. The idempotency key (the refund
 * row's id) makes a retry after a lost response return the same refund instead of a second one.
 */
export async function refundPayment(
  stripe: Stripe,
  input: { account: string; paymentIntentId: string; amountMinor: number; idempotencyKey: string; reason?: string },
): Promise<{ id: string; status: string | null }> {
  const refund = await stripe.refunds.create(
    {
      payment_intent: input.paymentIntentId,
      amount: input.amountMinor,
      reason: "requested_by_customer",
      metadata: { kiln_refund_id: input.idempotencyKey, ...(input.reason ? { kiln_reason: input.reason } : {}) },
    },
    { stripeAccount: input.account, idempotencyKey: `kiln-refund-${input.idempotencyKey}` },
  );
  return { id: refund.id, status: refund.status };
}
