import { eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { appendAudit } from "@kiln/audit";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";
import {
  FINAL_ACTION_METADATA,
  isMarkedUnpaid,
  upsertSubscriptionFromStripe,
  type SubscriptionRow,
} from "./subscription-state";

/**
 * The final action after the grace period (issue 5 §6, docs/decisions/018). A subscription still
 * past_due when its co-op's grace period has run out gets the co-op's policy:
 *
 * - `cancel` (default): canceled on Stripe now, with Kiln's mark in `cancellation_details.comment`;
 *   open invoices stop being collected (Stripe does that on cancel). The member can subscribe again.
 * - `mark_unpaid`: kept, but collection stops — the open invoices get `auto_advance=false` (no more
 *   automatic retries), later renewals stay drafts (`pause_collection[behavior]=keep_as_draft`) —
 *   and Kiln's marker in the subscription's metadata makes Kiln's state `unpaid` (no entitlement).
 *   Paying the open invoice (card update + pay now, or the hosted invoice page) lifts it again.
 *
 * Run by a swept job (pg-boss cron). Each subscription is claimed with a lease (`for update skip
 * locked`, so concurrent workers take different rows; a claim not finished within the lease is
 * taken over). Stripe is re-read first: a subscription Stripe no longer has past_due is only
 * refreshed. The Stripe calls are safe to repeat, and both marks live on Stripe's object, so a
 * retry after a crash recognises its own earlier action, and a webhook arriving later (which
 * re-fetches the object) writes the same end state. The member is told once (outbox), the action
 * audited once.
 */

export const FINAL_ACTION_CANCEL_COMMENT = "kiln:final_action_after_grace";
/** A claim not finished within this time is taken over by the next sweep. */
export const FINAL_ACTION_LEASE_MINUTES = 10;

export type FinalActionOutcome = "applied" | "already_applied" | "not_due" | "failed";
export interface FinalActionResult {
  subscriptionId: string;
  action: BillingFinalAction;
  outcome: FinalActionOutcome;
  error?: string;
}

type Locale = "en" | "de";
export type BillingFinalAction = (typeof schema.billingFinalAction.enumValues)[number];

/** The member's notice of the final action. */
export function finalActionEmail(
  locale: Locale,
  p: { name: string; tierName: string; creatorName: string; action: BillingFinalAction; link: string },
): { subject: string; text: string } {
  if (locale === "de") {
    if (p.action === "cancel")
      return {
        subject: `Abonnement beendet: ${p.tierName} von ${p.creatorName}`,
        text:
          `Hallo ${p.name},\n\nwir konnten die Zahlung für Ihr Abonnement „${p.tierName}“ von ${p.creatorName} ` +
          `auch nach Ablauf der Nachfrist nicht einziehen. Das Abonnement ist deshalb beendet; es wird nichts ` +
          `weiter abgebucht und Ihre Mitgliedsvorteile sind beendet.\n\nSie können jederzeit neu abonnieren: ${p.link}\n`,
      };
    return {
      subject: `Mitgliedsvorteile ausgesetzt: ${p.tierName} von ${p.creatorName}`,
      text:
        `Hallo ${p.name},\n\nwir konnten die Zahlung für Ihr Abonnement „${p.tierName}“ von ${p.creatorName} ` +
        `auch nach Ablauf der Nachfrist nicht einziehen. Ihre Mitgliedsvorteile sind ausgesetzt und es wird ` +
        `nichts weiter automatisch abgebucht.\n\nSobald Sie die offene Rechnung bezahlen, geht es weiter: ${p.link}\n`,
    };
  }
  if (p.action === "cancel")
    return {
      subject: `Subscription ended: ${p.tierName} by ${p.creatorName}`,
      text:
        `Hello ${p.name},\n\nwe still could not collect the payment for your subscription "${p.tierName}" by ` +
        `${p.creatorName} after the grace period, so it has ended: nothing more will be charged and your member ` +
        `benefits have ended.\n\nYou can subscribe again at any time: ${p.link}\n`,
    };
  return {
    subject: `Member benefits suspended: ${p.tierName} by ${p.creatorName}`,
    text:
      `Hello ${p.name},\n\nwe still could not collect the payment for your subscription "${p.tierName}" by ` +
      `${p.creatorName} after the grace period. Your member benefits are suspended and nothing more will be ` +
      `charged automatically.\n\nPay the open invoice to continue: ${p.link}\n`,
  };
}

/** Whether Stripe's object already carries this final action (done by an earlier, interrupted run). */
export function finalActionDone(sub: Stripe.Subscription, action: BillingFinalAction): boolean {
  if (action === "cancel")
    return sub.status === "canceled" && sub.cancellation_details?.comment === FINAL_ACTION_CANCEL_COMMENT;
  return isMarkedUnpaid(sub);
}

/**
 * Claims due subscriptions: past_due beyond the co-op's grace period with no final action in this
 * past_due episode, or a claim whose lease ran out before it was done. One statement; rows another
 * worker holds are skipped.
 */
async function claimDue(rt: Runtime, limit: number): Promise<Array<{ id: string; action: BillingFinalAction }>> {
  return withSystem(rt, "billing-final-action-claim", async (tx) => {
    const rows = await tx.execute<{ id: string; final_action: BillingFinalAction }>(sql`
      update subscriptions s
         set final_action = due.action, final_action_claimed_at = kiln_now()
        from (
          select s2.id,
                 case when s2.final_action_claimed_at is null or s2.final_action_claimed_at < s2.past_due_since
                      then coalesce(bs.final_action, 'cancel')
                      else coalesce(s2.final_action, bs.final_action, 'cancel') end as action
            from subscriptions s2
            left join billing_settings bs on bs.coop_id = s2.coop_id
           where (s2.status = 'past_due'
                  and s2.past_due_since + make_interval(days => coalesce(bs.grace_days, 7)) <= kiln_now()
                  and (s2.final_action_claimed_at is null or s2.final_action_claimed_at < s2.past_due_since))
              or (s2.final_action_claimed_at is not null
                  and (s2.final_action_at is null or s2.final_action_at < s2.final_action_claimed_at)
                  and s2.final_action_claimed_at <= kiln_now() - make_interval(mins => ${FINAL_ACTION_LEASE_MINUTES}))
           order by s2.past_due_since nulls first
           limit ${limit}
             for update of s2 skip locked
        ) due
       where s.id = due.id
      returning s.id, s.final_action`);
    return rows.map((r) => ({ id: r.id, action: r.final_action }));
  });
}

/** Stops automatic collection of the subscription's open invoices (Stripe's `unpaid` semantic). */
async function stopCollection(stripe: Stripe, row: SubscriptionRow) {
  const account = { stripeAccount: row.stripeAccountId };
  const open = await stripe.invoices.list(
    { subscription: row.stripeSubscriptionId, status: "open", limit: 100 },
    account,
  );
  for (const invoice of open.data)
    if (invoice.id && invoice.auto_advance !== false)
      await stripe.invoices.update(invoice.id, { auto_advance: false }, account);
}

async function performOnStripe(
  stripe: Stripe,
  row: SubscriptionRow,
  action: BillingFinalAction,
): Promise<Stripe.Subscription> {
  const account = { stripeAccount: row.stripeAccountId };
  const episode = (row.pastDueSince ?? row.finalActionClaimedAt ?? new Date(0)).getTime();
  if (action === "cancel") {
    try {
      await stripe.subscriptions.cancel(
        row.stripeSubscriptionId,
        { cancellation_details: { comment: FINAL_ACTION_CANCEL_COMMENT } },
        { ...account, idempotencyKey: `kiln-final-cancel-${row.id}-${episode}` },
      );
    } catch (error) {
      // Canceled meanwhile (a retry after a lost response, or by someone else): read what Stripe has.
      const now = await stripe.subscriptions.retrieve(row.stripeSubscriptionId, {}, account);
      if (now.status !== "canceled") throw error;
    }
  } else {
    await stopCollection(stripe, row);
    await stripe.subscriptions.update(
      row.stripeSubscriptionId,
      { pause_collection: { behavior: "keep_as_draft" }, metadata: { [FINAL_ACTION_METADATA]: "mark_unpaid" } },
      { ...account, idempotencyKey: `kiln-final-unpaid-${row.id}-${episode}` },
    );
  }
  return stripe.subscriptions.retrieve(row.stripeSubscriptionId, { expand: ["latest_invoice"] }, account);
}

async function notifyMember(tx: Tx, row: SubscriptionRow, action: BillingFinalAction, appUrl: string) {
  const [info] = await tx
    .select({
      email: schema.users.email,
      name: schema.users.displayName,
      locale: schema.users.locale,
      tierName: schema.subscriptionTiers.name,
      creatorName: schema.creators.displayName,
      creatorSlug: schema.creators.slug,
    })
    .from(schema.users)
    .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, row.tierId))
    .innerJoin(schema.creators, eq(schema.creators.id, row.creatorId))
    .where(eq(schema.users.id, row.memberUserId));
  if (!info) return;
  const locale: Locale = info.locale === "de" ? "de" : "en";
  const link =
    action === "cancel"
      ? `${appUrl}/s/${info.creatorSlug}`
      : // Kiln makes a fresh billing portal session when the member follows it (then "pay now").
        `${appUrl}/account/subscriptions/${row.id}/card`;
  await enqueueEmail(tx, {
    to: info.email,
    ...finalActionEmail(locale, { ...info, action, link }),
    template: "billing-final-action",
    locale,
    coopId: row.coopId,
  });
}

async function applyOne(
  rt: Runtime,
  stripe: Stripe,
  claim: { id: string; action: BillingFinalAction },
  appUrl: string,
): Promise<FinalActionOutcome> {
  const [row] = await withSystem(rt, "billing-final-action-read", (tx) =>
    tx.select().from(schema.subscriptions).where(eq(schema.subscriptions.id, claim.id)),
  );
  if (!row) return "not_due";
  const account = { stripeAccount: row.stripeAccountId };
  let fresh: Stripe.Subscription = await stripe.subscriptions.retrieve(
    row.stripeSubscriptionId,
    { expand: ["latest_invoice"] },
    account,
  );
  const alreadyOnStripe = finalActionDone(fresh, claim.action);
  if (!alreadyOnStripe && fresh.status !== "past_due") {
    // Paid meanwhile (or ended another way): no final action; Kiln takes Stripe's state, claim released.
    await withSystem(rt, "billing-final-action-release", async (tx) => {
      await upsertSubscriptionFromStripe(tx, row.stripeAccountId, fresh, null);
      await tx
        .update(schema.subscriptions)
        .set({ finalActionClaimedAt: null, finalAction: row.finalActionAt ? row.finalAction : null })
        .where(eq(schema.subscriptions.id, row.id));
    });
    return "not_due";
  }
  if (!alreadyOnStripe) fresh = await performOnStripe(stripe, row, claim.action);
  const now = rt.clock.now();
  return withSystem(rt, "billing-final-action-write", async (tx) => {
    const [locked] = await tx
      .select()
      .from(schema.subscriptions)
      .where(eq(schema.subscriptions.id, row.id))
      .for("update");
    if (!locked) return "not_due";
    const written = (await upsertSubscriptionFromStripe(tx, locked.stripeAccountId, fresh, null)) ?? locked;
    const done =
      locked.finalActionAt !== null &&
      locked.finalActionClaimedAt !== null &&
      locked.finalActionAt.getTime() >= locked.finalActionClaimedAt.getTime();
    if (done) return "already_applied";
    await tx
      .update(schema.subscriptions)
      .set({
        finalAction: claim.action,
        finalActionAt: sql`greatest(kiln_now(), ${schema.subscriptions.finalActionClaimedAt})`,
      })
      .where(eq(schema.subscriptions.id, locked.id));
    await appendAudit(tx, now, {
      coopId: locked.coopId,
      action: "billing.final_action",
      subjectType: "subscription",
      subjectId: locked.id,
      data: {
        finalAction: claim.action,
        stripeSubscriptionId: locked.stripeSubscriptionId,
        pastDueSince: row.pastDueSince?.toISOString() ?? null,
        from: row.status,
        to: written.status,
        stripeStatus: fresh.status,
      },
    });
    await notifyMember(tx, locked, claim.action, appUrl);
    return alreadyOnStripe ? "already_applied" : "applied";
  });
}

/**
 * The sweep: claims up to `limit` due subscriptions and applies each one's final action. A failure
 * of one is reported (and logged by the job) and retried by a later sweep once its lease ran out.
 */
export async function applyFinalActions(
  rt: Runtime,
  stripe: Stripe,
  options: { appUrl: string; limit?: number },
): Promise<FinalActionResult[]> {
  const claims = await claimDue(rt, options.limit ?? 100);
  const results: FinalActionResult[] = [];
  for (const claim of claims) {
    try {
      const outcome = await applyOne(rt, stripe, claim, options.appUrl);
      results.push({ subscriptionId: claim.id, action: claim.action, outcome });
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      results.push({ subscriptionId: claim.id, action: claim.action, outcome: "failed", error: message });
    }
  }
  return results;
}

/**
 * A subscription Kiln marked unpaid whose open invoice got paid (Stripe says `active` again, e.g.
 * through the hosted invoice page): collection resumes and the marker goes, so it entitles again.
 * Called wherever Kiln re-reads the subscription (webhook processing, pay now); safe to repeat.
 */
export async function liftUnpaidWhenPaid(
  stripe: Stripe,
  account: string,
  sub: Stripe.Subscription,
): Promise<Stripe.Subscription> {
  if (!isMarkedUnpaid(sub) || sub.status !== "active") return sub;
  return stripe.subscriptions.update(
    sub.id,
    { pause_collection: "", metadata: { [FINAL_ACTION_METADATA]: "" }, expand: ["latest_invoice"] },
    { stripeAccount: account },
  );
}
