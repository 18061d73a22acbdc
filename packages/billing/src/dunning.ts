import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import { appendAudit } from "@kiln/audit";
import { formatDate, formatMoney } from "@kiln/compliance";
import { schema, type Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";
import { DEFAULT_GRACE_DAYS } from "./entitlement";
import type { SubscriptionRow } from "./subscription-state";

type Locale = "en" | "de";
const DAY = 86_400_000;

/**
 * The dunning notice (issue 5 §6): the payment failed, benefits continue until the grace period
 * ends (when the subscription is past_due), and the card can be updated from the account page.
 */
export function paymentFailedEmail(
  locale: Locale,
  p: { name: string; tierName: string; creatorName: string; amount: string; graceUntil: string | null; link: string },
): { subject: string; text: string } {
  if (locale === "de")
    return {
      subject: `Zahlung fehlgeschlagen: ${p.tierName} von ${p.creatorName}`,
      text:
        `Hallo ${p.name},\n\nwir konnten ${p.amount} für Ihr Abonnement „${p.tierName}“ von ${p.creatorName} nicht einziehen.\n\n` +
        (p.graceUntil ? `Ihre Mitgliedsvorteile bleiben bis zum ${p.graceUntil} erhalten. ` : "") +
        `Bitte aktualisieren Sie Ihre Zahlungsmethode: ${p.link}\n`,
    };
  return {
    subject: `Payment failed: ${p.tierName} by ${p.creatorName}`,
    text:
      `Hello ${p.name},\n\nwe could not collect ${p.amount} for your subscription "${p.tierName}" by ${p.creatorName}.\n\n` +
      (p.graceUntil ? `Your member benefits continue until ${p.graceUntil}. ` : "") +
      `Please update your payment method: ${p.link}\n`,
  };
}

/**
 * Queues the notice for an `invoice.payment_failed` event in the caller's transaction (the one that
 * wrote the subscription's state), once per event: a redelivered or retried event mails nothing more.
 * Returns whether a notice was queued.
 */
export async function queuePaymentFailedNotice(
  tx: Tx,
  sub: SubscriptionRow,
  event: Stripe.Event,
  options: { appUrl: string; now: Date },
): Promise<boolean> {
  const [done] = await tx
    .select({ seq: schema.auditLog.seq })
    .from(schema.auditLog)
    .where(
      and(
        eq(schema.auditLog.coopId, sub.coopId),
        eq(schema.auditLog.subjectType, "stripe_event"),
        eq(schema.auditLog.subjectId, event.id),
        eq(schema.auditLog.action, "billing.payment_failed_notice"),
      ),
    );
  if (done) return false;
  const [info] = await tx
    .select({
      email: schema.users.email,
      name: schema.users.displayName,
      locale: schema.users.locale,
      tierName: schema.subscriptionTiers.name,
      creatorName: schema.creators.displayName,
      graceDays: schema.billingSettings.graceDays,
    })
    .from(schema.users)
    .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, sub.tierId))
    .innerJoin(schema.creators, eq(schema.creators.id, sub.creatorId))
    .leftJoin(schema.billingSettings, eq(schema.billingSettings.coopId, sub.coopId))
    .where(eq(schema.users.id, sub.memberUserId));
  if (!info) return false;
  const locale: Locale = info.locale === "de" ? "de" : "en";
  const invoice = event.data.object as Partial<Stripe.Invoice>;
  const amountMinor = invoice.amount_due ?? invoice.total ?? 0;
  const currency = (invoice.currency ?? "eur").toUpperCase();
  const graceUntil =
    sub.status === "past_due" && sub.pastDueSince
      ? formatDate(new Date(sub.pastDueSince.getTime() + (info.graceDays ?? DEFAULT_GRACE_DAYS) * DAY), locale)
      : null;
  const message = paymentFailedEmail(locale, {
    name: info.name,
    tierName: info.tierName,
    creatorName: info.creatorName,
    amount: formatMoney(amountMinor, currency, locale),
    graceUntil,
    // Kiln makes a fresh billing portal session when the member follows it (sessions are short-lived).
    link: `${options.appUrl}/account/subscriptions/${sub.id}/card`,
  });
  await enqueueEmail(tx, {
    to: info.email,
    ...message,
    template: "billing-payment-failed",
    locale,
    coopId: sub.coopId,
  });
  await appendAudit(tx, options.now, {
    coopId: sub.coopId,
    action: "billing.payment_failed_notice",
    subjectType: "stripe_event",
    subjectId: event.id,
    data: { subscriptionId: sub.id, invoiceId: invoice.id ?? null, status: sub.status, amountMinor, currency },
  });
  return true;
}
