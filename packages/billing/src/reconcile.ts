import { and, desc, eq, isNotNull, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { accountStatus, applyAccountState } from "./connect";
import { stateFromStripe, upsertSubscriptionFromStripe } from "./subscription-state";
import { processWebhookEvent, type ProcessOptions } from "./webhooks";

export type ReconciliationDifference = schema.ReconciliationDifference;
export type ReconciliationRow = typeof schema.billingReconciliations.$inferSelect;
export type ReconcileTrigger = "scheduled" | "manual";

/** Events per connected account looked at in one run at most (the next run continues from the cursor). */
export const RECONCILE_MAX_EVENTS = 1000;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function describeSubscription(s: { status: string; cancelAtPeriodEnd: boolean; currentPeriodEnd: Date | null }) {
  return `${s.status}${s.cancelAtPeriodEnd ? " (cancels at period end)" : ""} until ${iso(s.currentPeriodEnd) ?? "–"}`;
}

/**
 * Compares one co-op's billing in Kiln with Stripe and repairs drift (issue 5 §7):
 * 1. events of each connected account since the last run's cursor (`/v1/events` with `Stripe-Account`)
 *    that Kiln never stored (a missed webhook) are stored and processed through the webhook processor
 *    itself — the same idempotent, re-fetching code path, so nothing is granted twice;
 * 2. each connected account and each subscription Kiln knows is re-fetched and compared; a difference
 *    is written as Stripe has it now.
 * The run is kept as a report row (checked, repaired, differences) for the co-op's admins; an error
 * with one account is recorded and the others still run.
 */
export async function reconcileCoop(
  rt: Runtime,
  stripe: Stripe,
  coopId: string,
  trigger: ReconcileTrigger,
  options: Pick<ProcessOptions, "appUrl"> & { maxEvents?: number } = {},
): Promise<ReconciliationRow> {
  const maxEvents = options.maxEvents ?? RECONCILE_MAX_EVENTS;
  const { accounts, previous } = await withSystem(rt, "billing-reconcile-read", async (tx) => ({
    accounts: await tx.select().from(schema.billingAccounts).where(eq(schema.billingAccounts.coopId, coopId)),
    previous: (
      await tx
        .select({ cursors: schema.billingReconciliations.cursors })
        .from(schema.billingReconciliations)
        .where(
          and(eq(schema.billingReconciliations.coopId, coopId), isNotNull(schema.billingReconciliations.finishedAt)),
        )
        .orderBy(desc(schema.billingReconciliations.startedAt))
        .limit(1)
    )[0],
  }));
  const cursors: Record<string, number> = { ...(previous?.cursors ?? {}) };
  const differences: ReconciliationDifference[] = [];
  const errors: string[] = [];
  let checked = 0;

  for (const account of accounts) {
    const acct = account.stripeAccountId;
    try {
      // 1. Missed events. `gte`: events of the cursor's own second are looked at again (stored ones are skipped).
      const since = cursors[acct];
      let newest = since ?? 0;
      let seen = 0;
      let complete = true;
      for await (const event of stripe.events.list(
        { limit: 100, ...(since ? { created: { gte: since } } : {}) },
        { stripeAccount: acct },
      )) {
        // Stripe lists newest first: a run cut short keeps the old cursor, so older events are not skipped.
        if (++seen > maxEvents) {
          complete = false;
          break;
        }
        checked++;
        newest = Math.max(newest, event.created);
        const inserted = await withSystem(rt, "billing-reconcile-event", (tx) =>
          tx
            .insert(schema.billingWebhookEvents)
            .values({
              stripeEventId: event.id,
              endpoint: "connect",
              type: event.type,
              account: event.account ?? acct,
              eventCreated: event.created,
              payload: JSON.stringify({ ...event, account: event.account ?? acct }),
              coopId,
            })
            .onConflictDoNothing()
            .returning({ id: schema.billingWebhookEvents.id }),
        );
        if (inserted.length === 0) continue;
        const result = await processWebhookEvent(rt, stripe, event.id, { appUrl: options.appUrl }).catch(
          () => "failed" as const,
        );
        differences.push({
          kind: "missed_event",
          account: acct,
          object: `${event.type} ${event.id}`,
          kiln: null,
          stripe: result,
          repaired: result === "processed" || result === "ignored",
        });
      }
      if (complete && newest) cursors[acct] = newest;

      // 2. The account itself.
      const fresh = await stripe.accounts.retrieve(acct);
      checked++;
      const status = accountStatus(fresh);
      if (status !== account.status || (fresh.charges_enabled ?? false) !== account.chargesEnabled) {
        await withSystem(rt, "billing-reconcile-account", (tx) => applyAccountState(tx, fresh, null));
        differences.push({
          kind: "account",
          account: acct,
          object: acct,
          kiln: account.status,
          stripe: status,
          repaired: true,
        });
      }

      // 3. Every subscription Kiln knows on the account, as Stripe has it now.
      const subs = await withSystem(rt, "billing-reconcile-subs", (tx) =>
        tx.select().from(schema.subscriptions).where(eq(schema.subscriptions.stripeAccountId, acct)),
      );
      for (const row of subs) {
        checked++;
        const sub = await stripe.subscriptions.retrieve(
          row.stripeSubscriptionId,
          { expand: ["latest_invoice"] },
          { stripeAccount: acct },
        );
        const state = stateFromStripe(sub);
        const same =
          state.status === row.status &&
          state.cancelAtPeriodEnd === row.cancelAtPeriodEnd &&
          iso(state.currentPeriodEnd) === iso(row.currentPeriodEnd);
        if (same) continue;
        await withSystem(rt, "billing-reconcile-subscription", (tx) =>
          upsertSubscriptionFromStripe(tx, acct, sub, null),
        );
        differences.push({
          kind: "subscription",
          account: acct,
          object: sub.id,
          kiln: describeSubscription(row),
          stripe: describeSubscription(state),
          repaired: true,
        });
      }
    } catch (error) {
      errors.push(`${acct}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
    }
  }

  const [report] = await withSystem(rt, "billing-reconcile-report", (tx) =>
    tx
      .insert(schema.billingReconciliations)
      .values({
        coopId,
        trigger,
        checked,
        repaired: differences.filter((d) => d.repaired).length,
        differences,
        cursors,
        error: errors.length ? errors.join("\n") : null,
        finishedAt: sql`kiln_now()`,
      })
      .returning(),
  );
  return report!;
}

/** The scheduled job: every co-op with a connected account, one report each. */
export async function reconcileAll(
  rt: Runtime,
  stripe: Stripe,
  options: Pick<ProcessOptions, "appUrl"> = {},
): Promise<ReconciliationRow[]> {
  const coops = await withSystem(rt, "billing-reconcile-coops", (tx) =>
    tx.selectDistinct({ coopId: schema.billingAccounts.coopId }).from(schema.billingAccounts),
  );
  const reports: ReconciliationRow[] = [];
  for (const { coopId } of coops) reports.push(await reconcileCoop(rt, stripe, coopId, "scheduled", options));
  return reports;
}
