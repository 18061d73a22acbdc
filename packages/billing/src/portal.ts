import type Stripe from "stripe";
import { z } from "zod";
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
import { liftUnpaidWhenPaid } from "./final-action";
import { upsertSubscriptionFromStripe } from "./subscription-state";

export const CardUpdateSchema = z.object({ subscriptionId: z.uuid(), returnUrl: z.url() });

/**
 * Update card (issue 5 §6): a Stripe billing portal session for the member's customer on the
 * creator's connected account, made when the member asks (the account page, or the dunning email's
 * link, which points at Kiln — portal sessions are short-lived, so no email carries one). The
 * card itself never reaches Kiln. Returns the portal URL to redirect to.
 */
export async function createCardUpdateSession(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  input: z.input<typeof CardUpdateSchema>,
): Promise<{ url: string }> {
  const memberUserId = requireMemberId(actor);
  const { subscriptionId, returnUrl } = parseOrBadInput(CardUpdateSchema, input);
  const sub = await withSystem(rt, "billing-portal", (tx) => ownSubscription(tx, memberUserId, subscriptionId));
  if (sub.status === "canceled" || sub.status === "incomplete_expired")
    throw new AppError("CONFLICT", "This subscription has ended");
  const session = await stripe.billingPortal.sessions.create(
    { customer: sub.stripeCustomerId, return_url: returnUrl },
    { stripeAccount: sub.stripeAccountId },
  );
  return { url: session.url };
}

/**
 * After the card update: pays the subscription's open invoice now with the customer's current
 * default card (the one the portal just saved), instead of waiting for Stripe's next scheduled
 * retry. Kiln's state is written from Stripe's answer — `active` again when the payment went
 * through. A declined card leaves the state as Stripe has it and says so (CONFLICT). Idempotent
 * per request id; with no open invoice it only refreshes the state.
 */
export async function retrySubscriptionPayment(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  input: MemberOpInput,
) {
  const memberUserId = requireMemberId(actor);
  const { subscriptionId, requestId } = parseOrBadInput(MemberOpSchema, input);
  const action = "billing.payment_retried";
  const found = await withSystem(rt, "billing-retry", async (tx) => {
    const sub = await ownSubscription(tx, memberUserId, subscriptionId);
    return { sub, done: await requestDone(tx, sub.coopId, action, sub.id, requestId) };
  });
  if (found.done) return { subscription: found.sub, paid: found.sub.status === "active" };
  const { sub } = found;
  const account = { stripeAccount: sub.stripeAccountId };
  const open = await stripe.invoices.list(
    { subscription: sub.stripeSubscriptionId, status: "open", limit: 10 },
    account,
  );
  const invoice = open.data[0];
  let outcome: "paid" | "declined" | "nothing_open" = "nothing_open";
  let declineMessage: string | null = null;
  if (invoice?.id) {
    const customer = await stripe.customers.retrieve(sub.stripeCustomerId, {}, account);
    const fromCustomer =
      "deleted" in customer && customer.deleted ? null : customer.invoice_settings?.default_payment_method;
    const current = await stripe.subscriptions.retrieve(sub.stripeSubscriptionId, {}, account);
    const pm = fromCustomer ?? current.default_payment_method;
    const paymentMethod = typeof pm === "string" ? pm : (pm?.id ?? null);
    try {
      await stripe.invoices.pay(invoice.id, paymentMethod ? { payment_method: paymentMethod } : {}, {
        ...account,
        idempotencyKey: `kiln-retry-${requestId}`,
      });
      outcome = "paid";
    } catch (error) {
      if (!(error instanceof Error) || (error as { type?: string }).type !== "StripeCardError") throw error;
      outcome = "declined";
      declineMessage = error.message;
    }
  }
  // Marked unpaid after the grace period (docs/decisions/018): paying lifts it, collection resumes.
  const fresh = await liftUnpaidWhenPaid(
    stripe,
    sub.stripeAccountId,
    await stripe.subscriptions.retrieve(sub.stripeSubscriptionId, { expand: ["latest_invoice"] }, account),
  );
  const now = rt.clock.now();
  const written = await withSystem(rt, "billing-retry", async (tx) => {
    const locked = await ownSubscription(tx, memberUserId, subscriptionId, true);
    const row = (await upsertSubscriptionFromStripe(tx, locked.stripeAccountId, fresh, null)) ?? locked;
    if (!(await requestDone(tx, locked.coopId, action, locked.id, requestId)))
      await appendAudit(tx, now, {
        coopId: locked.coopId,
        action,
        actorUserId: memberUserId,
        subjectType: "subscription",
        subjectId: locked.id,
        data: {
          requestId,
          invoiceId: invoice?.id ?? null,
          amountMinor: invoice?.amount_due ?? null,
          currency: invoice?.currency ?? null,
          outcome,
          from: locked.status,
          to: row.status,
        },
      });
    return row;
  });
  if (outcome === "declined")
    throw new AppError("CONFLICT", declineMessage ?? "The payment was declined: try another card");
  return { subscription: written, paid: outcome === "paid" };
}
