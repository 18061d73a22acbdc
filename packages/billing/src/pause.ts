import type Stripe from "stripe";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { withSystem, type Runtime, type TenantContext } from "@kiln/db";
import {
  MemberOpSchema,
  ownSubscription,
  parseOrBadInput,
  requestDone,
  requireMemberId,
  type MemberOpInput,
} from "./own-subscription";
import { upsertSubscriptionFromStripe, type SubscriptionRow } from "./subscription-state";

type Op = {
  action: string;
  /** Statuses the operation starts from; anything else is a CONFLICT. */
  from: ReadonlyArray<SubscriptionRow["status"]>;
  refusal: string;
  params: (row: SubscriptionRow) => Stripe.SubscriptionUpdateParams;
};

/**
 * One member operation on the Stripe subscription: checked against Kiln's state, sent with the
 * request id as idempotency key, Kiln's row written from Stripe's answer (no webhook wait) and
 * audited once per request id. Webhooks for the same change arrive later and, re-fetching
 * Stripe, write the same state.
 */
async function memberOp(rt: Runtime, stripe: Stripe, actor: TenantContext, input: MemberOpInput, op: Op) {
  const memberUserId = requireMemberId(actor);
  const { subscriptionId, requestId } = parseOrBadInput(MemberOpSchema, input);
  const row = await withSystem(rt, `billing-${op.action}`, async (tx) => {
    const sub = await ownSubscription(tx, memberUserId, subscriptionId);
    if (await requestDone(tx, sub.coopId, op.action, sub.id, requestId)) return { replay: sub };
    if (!op.from.includes(sub.status)) throw new AppError("CONFLICT", op.refusal);
    return { sub };
  });
  if ("replay" in row && row.replay) return row.replay;
  const sub = row.sub;
  const updated = await stripe.subscriptions.update(
    sub.stripeSubscriptionId,
    { ...op.params(sub), expand: ["latest_invoice"] },
    { stripeAccount: sub.stripeAccountId, idempotencyKey: `kiln-${op.action}-${requestId}` },
  );
  const now = rt.clock.now();
  return withSystem(rt, `billing-${op.action}`, async (tx) => {
    const locked = await ownSubscription(tx, memberUserId, subscriptionId, true);
    if (await requestDone(tx, locked.coopId, op.action, locked.id, requestId)) return locked;
    const written = (await upsertSubscriptionFromStripe(tx, locked.stripeAccountId, updated, null)) ?? locked;
    await appendAudit(tx, now, {
      coopId: locked.coopId,
      action: op.action,
      actorUserId: memberUserId,
      subjectType: "subscription",
      subjectId: locked.id,
      data: {
        requestId,
        stripeSubscriptionId: locked.stripeSubscriptionId,
        from: locked.status,
        to: written.status,
        cancelAtPeriodEnd: written.cancelAtPeriodEnd,
        currentPeriodEnd: written.currentPeriodEnd?.toISOString() ?? null,
      },
    });
    return written;
  });
}

/**
 * Pauses the subscription (issue 5 §4) with Stripe's `pause_collection` (behavior `void`: renewal
 * invoices while paused are voided, nothing is charged). Kiln's status becomes `paused`, which does
 * not entitle, at once.
 */
export function pauseSubscription(rt: Runtime, stripe: Stripe, actor: TenantContext, input: MemberOpInput) {
  return memberOp(rt, stripe, actor, input, {
    action: "billing.subscription_paused",
    from: ["active"],
    refusal: "Only an active subscription can be paused",
    params: () => ({ pause_collection: { behavior: "void" } }),
  });
}

/** Resumes a paused subscription: collection resumes with the next renewal and it entitles again at once. */
export function resumeSubscription(rt: Runtime, stripe: Stripe, actor: TenantContext, input: MemberOpInput) {
  return memberOp(rt, stripe, actor, input, {
    action: "billing.subscription_resumed",
    from: ["paused"],
    refusal: "This subscription is not paused",
    params: () => ({ pause_collection: "" }),
  });
}

/**
 * Cancels at the end of the paid period (Stripe's `cancel_at_period_end`): the member stays
 * entitled until exactly `currentPeriodEnd`, then not (isEntitled), whether or not Stripe's
 * `customer.subscription.deleted` has arrived. The consumer-rights cancel flow (issue 6) may wrap
 * this with its own confirmation; this is the billing operation.
 */
export function cancelAtPeriodEnd(rt: Runtime, stripe: Stripe, actor: TenantContext, input: MemberOpInput) {
  return memberOp(rt, stripe, actor, input, {
    action: "billing.subscription_cancel_scheduled",
    from: ["active", "trialing", "past_due", "paused"],
    refusal: "This subscription has already ended",
    params: () => ({ cancel_at_period_end: true }),
  });
}
