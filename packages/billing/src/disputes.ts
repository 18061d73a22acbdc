import { and, desc, eq } from "drizzle-orm";
import type Stripe from "stripe";
import { appendAudit } from "@kiln/audit";
import { formatMoney } from "@kiln/compliance";
import { schema, type Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";

export type DisputeRow = typeof schema.billingDisputes.$inferSelect;
type Locale = "en" | "de";

const CLOSED = new Set(["won", "lost", "warning_closed"]);
export const isDisputeOpen = (status: string) => !CLOSED.has(status);

/** The notice to the creator's owners: a member's bank disputed a payment, or the dispute closed. */
export function disputeEmail(
  locale: Locale,
  p: { creatorName: string; amount: string; reason: string; status: string; closed: boolean; link: string },
): { subject: string; text: string } {
  if (locale === "de")
    return p.closed
      ? {
          subject: `Rückbuchung abgeschlossen (${p.status}): ${p.amount}`,
          text: `Hallo ${p.creatorName},\n\ndie Rückbuchung über ${p.amount} ist abgeschlossen: ${p.status}.\n\nDetails: ${p.link}\n`,
        }
      : {
          subject: `Rückbuchung eröffnet: ${p.amount}`,
          text:
            `Hallo ${p.creatorName},\n\ndie Bank eines Mitglieds hat eine Zahlung über ${p.amount} angefochten (Grund: ${p.reason}). ` +
            `Das Abonnement ist markiert. Bitte reichen Sie Nachweise in Stripe ein.\n\nDetails: ${p.link}\n`,
        };
  return p.closed
    ? {
        subject: `Dispute closed (${p.status}): ${p.amount}`,
        text: `Hello ${p.creatorName},\n\nthe dispute over ${p.amount} is closed: ${p.status}.\n\nDetails: ${p.link}\n`,
      }
    : {
        subject: `Payment disputed: ${p.amount}`,
        text:
          `Hello ${p.creatorName},\n\na member's bank disputed a payment of ${p.amount} (reason: ${p.reason}). ` +
          `The subscription is flagged. Please submit evidence in Stripe.\n\nDetails: ${p.link}\n`,
      };
}

/**
 * Writes Stripe's current state of a dispute (re-fetched by the caller, so arrival order does not
 * matter) and flags what the disputed charge paid for: the drop order with that PaymentIntent, else
 * the member's subscription on that connected account. The creator's owners are
 * told through the outbox when the dispute is first seen and when it closes — once each, since a
 * duplicate event finds the row already in that state. Returns null for an account Kiln does not know.
 */
export async function applyDisputeState(
  tx: Tx,
  account: string,
  dispute: Stripe.Dispute,
  charge: Stripe.Charge,
  event: { id: string; created: number },
  options: { now: Date; appUrl?: string },
): Promise<DisputeRow | null> {
  const [acct] = await tx
    .select({ coopId: schema.billingAccounts.coopId, creatorId: schema.billingAccounts.creatorId })
    .from(schema.billingAccounts)
    .where(eq(schema.billingAccounts.stripeAccountId, account));
  if (!acct) return null;
  // A drop order's payment (its PaymentIntent) flags that order; otherwise the member's subscription on
  // this account (as a customer; the newest one when there are several).
  const paymentIntent =
    typeof dispute.payment_intent === "string" ? dispute.payment_intent : (dispute.payment_intent?.id ?? null);
  const [order] = paymentIntent
    ? await tx
        .select({ id: schema.orders.id })
        .from(schema.orders)
        .where(and(eq(schema.orders.creatorId, acct.creatorId), eq(schema.orders.stripePaymentIntentId, paymentIntent)))
    : [];
  const customer = typeof charge.customer === "string" ? charge.customer : (charge.customer?.id ?? null);
  const [sub] =
    !order && customer
      ? await tx
          .select({ id: schema.subscriptions.id })
          .from(schema.subscriptions)
          .where(
            and(eq(schema.subscriptions.stripeAccountId, account), eq(schema.subscriptions.stripeCustomerId, customer)),
          )
          .orderBy(desc(schema.subscriptions.createdAt))
          .limit(1)
      : [];
  const [previous] = await tx
    .select()
    .from(schema.billingDisputes)
    .where(
      and(eq(schema.billingDisputes.stripeAccountId, account), eq(schema.billingDisputes.stripeDisputeId, dispute.id)),
    )
    .for("update");
  const state = {
    amountMinor: dispute.amount,
    currency: dispute.currency,
    reason: dispute.reason,
    status: dispute.status,
  };
  const newer = (previous?.lastEventCreated ?? 0) <= event.created;
  let row: DisputeRow;
  if (previous) {
    [row] = (await tx
      .update(schema.billingDisputes)
      .set({
        ...state,
        ...(newer ? { lastEventCreated: event.created } : {}),
        subscriptionId: previous.subscriptionId ?? sub?.id ?? null,
        orderId: previous.orderId ?? order?.id ?? null,
        updatedAt: options.now,
      })
      .where(eq(schema.billingDisputes.id, previous.id))
      .returning()) as [DisputeRow];
  } else {
    [row] = (await tx
      .insert(schema.billingDisputes)
      .values({
        coopId: acct.coopId,
        creatorId: acct.creatorId,
        subscriptionId: sub?.id ?? null,
        orderId: order?.id ?? null,
        stripeAccountId: account,
        stripeDisputeId: dispute.id,
        stripeChargeId: charge.id,
        ...state,
        lastEventCreated: event.created,
      })
      .returning()) as [DisputeRow];
  }
  const opened = !previous;
  const closed = !isDisputeOpen(row.status) && (!previous || isDisputeOpen(previous.status));
  if (opened || closed) {
    await appendAudit(tx, options.now, {
      coopId: row.coopId,
      action: closed ? "billing.dispute_closed" : "billing.dispute_opened",
      subjectType: "billing_dispute",
      subjectId: row.id,
      data: {
        stripeDisputeId: dispute.id,
        eventId: event.id,
        subscriptionId: row.subscriptionId,
        orderId: row.orderId,
        status: row.status,
        amountMinor: row.amountMinor,
        currency: row.currency,
      },
    });
    await notifyCreator(tx, row, { closed, appUrl: options.appUrl });
  }
  return row;
}

async function notifyCreator(tx: Tx, row: DisputeRow, options: { closed: boolean; appUrl?: string }) {
  const owners = await tx
    .select({
      email: schema.users.email,
      locale: schema.users.locale,
      creatorName: schema.creators.displayName,
      slug: schema.creators.slug,
    })
    .from(schema.roleAssignments)
    .innerJoin(schema.users, eq(schema.users.id, schema.roleAssignments.userId))
    .innerJoin(schema.creators, eq(schema.creators.id, row.creatorId))
    .where(
      and(
        eq(schema.roleAssignments.coopId, row.coopId),
        eq(schema.roleAssignments.creatorId, row.creatorId),
        eq(schema.roleAssignments.role, "creator_owner"),
      ),
    );
  for (const owner of owners) {
    const locale: Locale = owner.locale === "de" ? "de" : "en";
    const message = disputeEmail(locale, {
      creatorName: owner.creatorName,
      amount: formatMoney(row.amountMinor, row.currency.toUpperCase(), locale),
      reason: row.reason,
      status: row.status,
      closed: options.closed,
      link: `${options.appUrl ?? ""}/studio/${owner.slug}/billing`,
    });
    await enqueueEmail(tx, {
      to: owner.email,
      ...message,
      template: options.closed ? "billing-dispute-closed" : "billing-dispute-opened",
      locale,
      coopId: row.coopId,
    });
  }
}
