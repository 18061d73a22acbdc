import { sql } from "drizzle-orm";
import { boolean, check, date, index, integer, pgPolicy, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { coopReadPolicy, kilnApp, ownCreatorPolicy, systemPolicy } from "./rls";
import { coops, creators } from "./tenancy";
import { users } from "./accounts";
import { subscriptions } from "./billing";
import { orders } from "./drops";
import { coopRef, creatorRef } from "./tenant-keys";

/**
 * The consumer-rights flows of issue 6 (consumer-law-2026.md §3 DE-3…DE-11, §8.4, §8.5): every
 * cancellation declaration and every withdrawal statement received through the logged-out forms, and
 * the refunds a withdrawal makes due. Written by the system context only (the forms work logged out);
 * a member reads their own rows, the creator team its creator's, the co-op's admins and compliance
 * reviewers all of the co-op's. A declaration that matched no contract has no co-op, creator or member:
 * only the system context (support, the evidence pack) sees it.
 *
 * Reading guide (for the evidence pack and the creator/reviewer screens):
 * - `cancellations`: one row per contract a declaration matched, or ONE row with `subscription_id`
 *   null when it matched none. Rows of one submitted form share `declaration_id`, `statement`,
 *   `received_at` and `receipt_hash`. `ends_at` is when the contract ends; `stripe_applied_at` when
 *   Stripe was told; `confirmation_sent_at` when the confirmation e-mail was queued (to the address
 *   on file, never to the address typed into the form).
 * - `withdrawals`: one row per statement; `outcome` says what happened (accepted, out_of_window,
 *   unmatched, duplicate); `deadline_at` is the exclusive end of the withdrawal period that applied.
 *   A goods withdrawal (a drop order) has `order_id` and no `subscription_id`.
 * - `refunds`: what an accepted withdrawal owes the member: amount in minor units + currency, due by
 *   (received + 14 days, CRD art 13), status and the Stripe refund id once paid.
 */

const memberRead = (table: string) =>
  pgPolicy(`${table}_member_read`, {
    as: "permissive",
    for: "select",
    to: kilnApp,
    using: sql`member_user_id = kiln_user_id()`,
  });

const rightsPolicies = (table: string) => [
  systemPolicy(table),
  memberRead(table),
  ownCreatorPolicy(table, "select"),
  coopReadPolicy(table, ["coop_admin", "compliance_reviewer"]),
];

/** A cancellation declaration (§ 312k BGB) as received, and the contract it ended (if any). */
export const cancellations = pgTable(
  "cancellations",
  {
    id: id(),
    /** Groups the rows of one submitted form (one per matched contract). */
    declarationId: uuid().notNull(),
    /** The form's one-time key: a double submit returns the first declaration, nothing is repeated. */
    submissionKey: text().notNull(),
    coopId: uuid().references(() => coops.id, { onDelete: "restrict" }),
    creatorId: uuid().references(() => creators.id, { onDelete: "restrict" }),
    memberUserId: uuid().references(() => users.id, { onDelete: "restrict" }),
    /** The matched contract, or null when the declaration matched none. */
    subscriptionId: uuid().references(() => subscriptions.id, { onDelete: "restrict" }),
    /** ordinary (at the end of the term) or extraordinary (now, with a reason). */
    kind: text().notNull(),
    reason: text(),
    /** As typed into the form. */
    name: text().notNull(),
    email: text().notNull(),
    /** The contract designation typed (a contract number), null = "all my contracts" (with the creator). */
    contractRef: text(),
    creatorSlug: text(),
    /** The end date asked for (null = the earliest possible). */
    requestedEndDate: date({ mode: "string" }),
    /** When the matched contract ends (null when nothing matched). */
    endsAt: ts(),
    /** The declaration as the member can download it (content, no secrets). */
    statement: text().notNull(),
    locale: text().notNull(),
    receivedAt: ts().notNull(),
    /** sha256 of the receipt token in the download link (the token itself is never stored). */
    receiptHash: text().notNull(),
    stripeAppliedAt: ts(),
    confirmationSentAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [
    index("cancellations_declaration_idx").on(t.declarationId),
    index("cancellations_submission_idx").on(t.submissionKey),
    index("cancellations_receipt_idx").on(t.receiptHash),
    index("cancellations_subscription_idx").on(t.subscriptionId),
    index("cancellations_creator_idx").on(t.coopId, t.creatorId, t.receivedAt),
    check("cancellations_kind", sql`${t.kind} in ('ordinary', 'extraordinary')`),
    check("cancellations_reason", sql`${t.kind} = 'ordinary' or length(btrim(coalesce(${t.reason}, ''))) > 0`),
    check("cancellations_matched_tenant", sql`${t.subscriptionId} is null or ${t.coopId} is not null`),
    ...rightsPolicies("cancellations"),
  ],
);

/** accepted; out_of_window (matched, period over or no right); unmatched; duplicate (contract already withdrawn from). */
export const WITHDRAWAL_OUTCOMES = ["accepted", "out_of_window", "unmatched", "duplicate"] as const;
export type WithdrawalOutcome = (typeof WITHDRAWAL_OUTCOMES)[number];

/** A withdrawal statement (CRD art 11a, § 356a BGB) received through the withdrawal function. */
export const withdrawals = pgTable(
  "withdrawals",
  {
    id: id(),
    submissionKey: text().notNull(),
    coopId: uuid().references(() => coops.id, { onDelete: "restrict" }),
    creatorId: uuid().references(() => creators.id, { onDelete: "restrict" }),
    memberUserId: uuid().references(() => users.id, { onDelete: "restrict" }),
    subscriptionId: uuid().references(() => subscriptions.id, { onDelete: "restrict" }),
    /** The matched drop order (goods: the period starts at delivery), or null. */
    orderId: uuid().references(() => orders.id, { onDelete: "restrict" }),
    /** As typed: the order or contract number, the name and the e-mail. */
    orderRef: text().notNull(),
    name: text().notNull(),
    email: text().notNull(),
    /** service | goods | regular (deliveries) — which start rule of CRD art 9(2) applied. */
    contractKind: text(),
    outcome: text().$type<WithdrawalOutcome>().notNull(),
    /** The exclusive end of the withdrawal period that applied (see packages/rights/src/deadline.ts). */
    deadlineAt: ts(),
    /** The 12-month extension of CRD art 10 applied (the withdrawal information was not given). */
    extended: boolean().notNull().default(false),
    statement: text().notNull(),
    locale: text().notNull(),
    receivedAt: ts().notNull(),
    receiptHash: text().notNull(),
    stripeCanceledAt: ts(),
    acknowledgedAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("withdrawals_submission_key").on(t.submissionKey),
    index("withdrawals_receipt_idx").on(t.receiptHash),
    /** One accepted withdrawal per contract: a second statement answers with the first. */
    uniqueIndex("withdrawals_accepted_key")
      .on(t.subscriptionId)
      .where(sql`${t.outcome} = 'accepted'`),
    index("withdrawals_creator_idx").on(t.coopId, t.creatorId, t.receivedAt),
    check("withdrawals_outcome", sql`${t.outcome} in ('accepted', 'out_of_window', 'unmatched', 'duplicate')`),
    check(
      "withdrawals_matched_tenant",
      sql`(${t.subscriptionId} is null and ${t.orderId} is null) or ${t.coopId} is not null`,
    ),
    /** One accepted withdrawal per order. */
    uniqueIndex("withdrawals_accepted_order_key")
      .on(t.orderId)
      .where(sql`${t.outcome} = 'accepted'`),
    ...rightsPolicies("withdrawals"),
  ],
);

export const REFUND_STATUSES = ["due", "refunded", "failed"] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** A refund an accepted withdrawal makes due (CRD art 13: within 14 days; art 14(3): pro rata). */
export const refunds = pgTable(
  "refunds",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    /** The withdrawal the refund follows, or null for an order cancelled for a full refund (orderId, ADR 020). */
    withdrawalId: uuid().references(() => withdrawals.id, { onDelete: "restrict" }),
    subscriptionId: uuid().references(() => subscriptions.id, { onDelete: "restrict" }),
    /** A drop order the member cancelled for a full refund after its ship-by date was revised (ADR 020). */
    orderId: uuid().references(() => orders.id, { onDelete: "restrict" }),
    /** What was paid, and what is refunded of it (minor units, ISO 4217 lower case as Stripe writes it). */
    paidMinor: integer().notNull(),
    amountMinor: integer().notNull(),
    currency: text().notNull(),
    /** full, or pro_rata (the member asked for the service to start during the withdrawal period). Goods: full, paid when returned. */
    basis: text().notNull(),
    dueBy: ts().notNull(),
    status: text().$type<RefundStatus>().notNull().default("due"),
    stripeAccountId: text().notNull(),
    stripePaymentIntentId: text(),
    stripeRefundId: text(),
    attempts: integer().notNull().default(0),
    lastError: text(),
    refundedAt: ts(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("refunds_withdrawal_key").on(t.withdrawalId),
    uniqueIndex("refunds_cancelled_order_key")
      .on(t.orderId)
      .where(sql`${t.withdrawalId} is null`),
    check("refunds_reason", sql`${t.withdrawalId} is not null or ${t.orderId} is not null`),
    index("refunds_due_idx").on(t.status, t.dueBy),
    index("refunds_creator_idx").on(t.coopId, t.creatorId, t.createdAt),
    check("refunds_amount", sql`${t.amountMinor} >= 0 and ${t.amountMinor} <= ${t.paidMinor}`),
    check("refunds_currency", sql`${t.currency} ~ '^[a-z]{3}$'`),
    check("refunds_status", sql`${t.status} in ('due', 'refunded', 'failed')`),
    check("refunds_basis", sql`${t.basis} in ('full', 'pro_rata')`),
    ...rightsPolicies("refunds"),
  ],
);
