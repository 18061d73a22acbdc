import type Stripe from "stripe";
import { withSystem, type Runtime, type TenantContext } from "@kiln/db";
import { ownSubscription, requireMemberId } from "./own-subscription";

export interface MemberInvoice {
  id: string;
  number: string | null;
  /** Integer minor units with the (upper-case) currency. */
  amountDueMinor: number;
  amountPaidMinor: number;
  currency: string;
  status: "draft" | "open" | "paid" | "uncollectible" | "void";
  /** Stripe's hosted invoice page (pay or download); null for drafts. */
  hostedInvoiceUrl: string | null;
  createdAt: string;
  periodStart: string | null;
  periodEnd: string | null;
}

/**
 * The invoices of one of the member's subscriptions (issue 5 §8), read from Stripe on the
 * creator's connected account — Stripe is the record of invoices, Kiln keeps none. Newest first.
 */
export async function listSubscriptionInvoices(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  subscriptionId: string,
  limit = 24,
): Promise<MemberInvoice[]> {
  const memberUserId = requireMemberId(actor);
  const sub = await withSystem(rt, "billing-invoices", (tx) => ownSubscription(tx, memberUserId, subscriptionId));
  const page = await stripe.invoices.list(
    { subscription: sub.stripeSubscriptionId, limit },
    { stripeAccount: sub.stripeAccountId },
  );
  const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : null);
  return page.data
    .filter((i): i is Stripe.Invoice & { id: string } => typeof i.id === "string")
    .sort((a, b) => b.created - a.created)
    .map((i) => ({
      id: i.id,
      number: i.number ?? null,
      amountDueMinor: i.amount_due,
      amountPaidMinor: i.amount_paid,
      currency: i.currency.toUpperCase(),
      status: (i.status ?? "draft") as MemberInvoice["status"],
      hostedInvoiceUrl: i.status === "draft" ? null : (i.hosted_invoice_url ?? null),
      createdAt: new Date(i.created * 1000).toISOString(),
      periodStart: iso(i.period_start),
      periodEnd: iso(i.period_end),
    }));
}
