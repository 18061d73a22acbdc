import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { coopReadPolicy, ownCreatorPolicy, systemPolicy } from "./rls";
import { subscriptions } from "./billing";
import { orders } from "./drops";
import { coopRef, creatorRef } from "./tenant-keys";

/**
 * Billing operations (issue 5 §7–8): reconciliation reports and disputes. Both are written only by
 * the system context (the reconciliation job, the webhook processor); co-op admins read their
 * co-op's reports, and a creator's team reads its own disputes.
 */

/** One difference found by a reconciliation run (what Kiln had, what Stripe has, whether repaired). */
export interface ReconciliationDifference {
  kind: "missed_event" | "subscription" | "account";
  account: string;
  object: string;
  kiln: string | null;
  stripe: string | null;
  repaired: boolean;
}

/** A reconciliation run for one co-op: Kiln compared with Stripe, drift repaired, the report kept. */
export const billingReconciliations = pgTable(
  "billing_reconciliations",
  {
    id: id(),
    coopId: coopRef(),
    /** "scheduled" (the job's cron) or "manual" ("run now" on the admin screen). */
    trigger: text().notNull(),
    startedAt: createdAt(),
    finishedAt: ts(),
    /** Objects and events compared. */
    checked: integer().notNull().default(0),
    repaired: integer().notNull().default(0),
    differences: jsonb().$type<ReconciliationDifference[]>().notNull().default([]),
    /** Per connected account: Stripe's `created` of the newest event seen (the next run lists after it). */
    cursors: jsonb().$type<Record<string, number>>().notNull().default({}),
    error: text(),
  },
  (t) => [
    index("billing_reconciliations_coop_idx").on(t.coopId, t.startedAt),
    check("billing_reconciliations_trigger", sql`${t.trigger} in ('scheduled', 'manual')`),
    systemPolicy("billing_reconciliations"),
    coopReadPolicy("billing_reconciliations", ["coop_admin"]),
  ],
);

/** A dispute (chargeback) on a charge of a creator's connected account, flagging the subscription or drop order. */
export const billingDisputes = pgTable(
  "billing_disputes",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    /** The subscription the disputed charge paid for (null when Kiln cannot tell). */
    subscriptionId: uuid().references(() => subscriptions.id, { onDelete: "restrict" }),
    /** The drop order the disputed payment paid for (its PaymentIntent), when it was one. */
    orderId: uuid().references(() => orders.id, { onDelete: "restrict" }),
    stripeAccountId: text().notNull(),
    stripeDisputeId: text().notNull(),
    stripeChargeId: text().notNull(),
    amountMinor: integer().notNull(),
    /** ISO 4217, lower case as Stripe writes it. */
    currency: text().notNull(),
    reason: text().notNull(),
    /** Stripe's dispute status (needs_response, under_review, won, lost, …). */
    status: text().notNull(),
    /** Stripe's `created` of the last event applied; an older event never overwrites. */
    lastEventCreated: bigint({ mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("billing_disputes_stripe_key").on(t.stripeAccountId, t.stripeDisputeId),
    index("billing_disputes_creator_idx").on(t.coopId, t.creatorId),
    check("billing_disputes_amount", sql`${t.amountMinor} >= 0`),
    systemPolicy("billing_disputes"),
    ownCreatorPolicy("billing_disputes", "select"),
    coopReadPolicy("billing_disputes", ["coop_admin"]),
  ],
);
