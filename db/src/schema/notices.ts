import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgPolicy,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { coopReadPolicy, kilnApp, ownCreatorPolicy, systemPolicy } from "./rls";
import { users } from "./accounts";
import { subscriptions, tierPrices } from "./billing";
import { subscriptionTiers, termsVersions } from "./compliance";
import { emailOutbox } from "./outbox";
import { coopRef, creatorRef } from "./tenant-keys";

/**
 * Legally timed notices and price changes (issue 6 item 3, issue 5 item 5; consumer-law-2026.md
 * §8.3, §8.6). Planned, sent and applied by @kiln/rights' jobs in the system context only; a member
 * reads their own rows, the creator team its creator's, the co-op's admins and compliance reviewers
 * all of the co-op's (evidence pack, notices timeline).
 *
 * Reading guide for `notices` (one row = one notice to one member about one subscription):
 * - `kind`: acknowledgment (after sign-up), trial-ending, renewal-reminder (before each renewal of a
 *   yearly plan, or each 6 months for UK from commencement), annual-reminder (CA: at least every 12
 *   months for shorter plans), price-change, cooling-off (UK from commencement).
 * - `period_key`: what the notice is about, so planning is idempotent: "conclusion" for the
 *   acknowledgment, the event's ISO date (trial end, renewal) for reminders, the price change's id.
 *   Unique per (subscription, kind, period_key).
 * - `event_at`: the event the windows are measured from; `due_at`: the send date chosen inside
 *   every window; `window_rule_ids` + `windows` (each `{ruleId, event, eventAt, from, to,
 *   cadenceMonths?}`): the rule
 *   ids (legal/packs) whose windows `due_at` satisfies, `jurisdiction` the member's pack.
 * - `template_id` (legal/templates key prefix, e.g. notice.renewal-reminder) + `template_version`
 *   (the templates file's version) + `language` (en/de) + `channel` (email): what was rendered.
 * - `status`: scheduled → sent | failed | cancelled; `sent_at`, `outbox_email_id` (email_outbox row,
 *   written in the same transaction), `error` (why it failed or was cancelled), `attempts`.
 */
export const noticeKind = pgEnum("notice_kind", [
  "acknowledgment",
  "trial-ending",
  "renewal-reminder",
  "annual-reminder",
  "price-change",
  "cooling-off",
]);
export type NoticeKindValue = (typeof noticeKind.enumValues)[number];

export const noticeStatus = pgEnum("notice_status", ["scheduled", "sent", "failed", "cancelled"]);
export type NoticeStatus = (typeof noticeStatus.enumValues)[number];

const memberRead = (table: string) =>
  pgPolicy(`${table}_member_read`, {
    as: "permissive",
    for: "select",
    to: kilnApp,
    using: sql`member_user_id = kiln_user_id()`,
  });

const noticePolicies = (table: string) => [
  systemPolicy(table),
  memberRead(table),
  ownCreatorPolicy(table, "select"),
  coopReadPolicy(table, ["coop_admin", "compliance_reviewer"]),
];

export interface NoticeWindowRecord {
  ruleId: string;
  event: string;
  eventAt: string;
  from: string | null;
  to: string | null;
  /** A cadence's limit (CA-11, UK-S5): no later than this many months after the previous notice. */
  cadenceMonths?: number;
}

/**
 * A price change of one subscription (issue 5 item 5): a new approved terms version of a live tier
 * with another price. Scheduled for a renewal (`effective_at`) whose notice windows fit, applied at
 * that period boundary by the price-change job (Stripe item price, no proration). New York members
 * must opt in to an increase (`requires_opt_in`; `opted_in_at`), else they keep the old price until
 * they cancel (status `kept_old_price`).
 * Status: scheduled → applied | kept_old_price | cancelled (subscription ended or changed tier).
 */
export const priceChanges = pgTable(
  "price_changes",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    subscriptionId: uuid()
      .notNull()
      .references(() => subscriptions.id, { onDelete: "restrict" }),
    tierId: uuid()
      .notNull()
      .references(() => subscriptionTiers.id, { onDelete: "restrict" }),
    termsVersionId: uuid()
      .notNull()
      .references(() => termsVersions.id, { onDelete: "restrict" }),
    fromTierPriceId: uuid()
      .notNull()
      .references(() => tierPrices.id, { onDelete: "restrict" }),
    toTierPriceId: uuid()
      .notNull()
      .references(() => tierPrices.id, { onDelete: "restrict" }),
    currency: text().notNull(),
    oldAmountMinor: integer().notNull(),
    newAmountMinor: integer().notNull(),
    /** The period boundary (renewal) at which the new price applies. */
    effectiveAt: ts().notNull(),
    jurisdiction: text().notNull(),
    requiresOptIn: boolean().notNull().default(false),
    /** sha256 of the opt-in token in the notice's link (the token itself is never stored). */
    optInTokenHash: text(),
    optedInAt: ts(),
    status: text().notNull().default("scheduled"),
    appliedAt: ts(),
    /** Why it was cancelled or kept at the old price. */
    reason: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("price_changes_subscription_price_key").on(t.subscriptionId, t.toTierPriceId),
    index("price_changes_due_idx").on(t.status, t.effectiveAt),
    check("price_changes_status", sql`${t.status} in ('scheduled', 'applied', 'kept_old_price', 'cancelled')`),
    check("price_changes_amounts", sql`${t.oldAmountMinor} >= 0 and ${t.newAmountMinor} >= 0`),
    ...noticePolicies("price_changes"),
  ],
);

export const notices = pgTable(
  "notices",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    subscriptionId: uuid()
      .notNull()
      .references(() => subscriptions.id, { onDelete: "restrict" }),
    kind: noticeKind().notNull(),
    periodKey: text().notNull(),
    eventAt: ts().notNull(),
    dueAt: ts().notNull(),
    windowRuleIds: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    windows: jsonb().notNull().$type<NoticeWindowRecord[]>().default([]),
    jurisdiction: text().notNull(),
    templateId: text().notNull(),
    templateVersion: text().notNull(),
    language: text().notNull(),
    channel: text().notNull().default("email"),
    status: noticeStatus().notNull().default("scheduled"),
    sentAt: ts(),
    outboxEmailId: uuid().references(() => emailOutbox.id, { onDelete: "restrict" }),
    error: text(),
    attempts: integer().notNull().default(0),
    priceChangeId: uuid().references(() => priceChanges.id, { onDelete: "restrict" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("notices_subscription_kind_period_key").on(t.subscriptionId, t.kind, t.periodKey),
    index("notices_due_idx").on(t.status, t.dueAt),
    index("notices_member_idx").on(t.memberUserId),
    check("notices_channel", sql`${t.channel} in ('email')`),
    check("notices_language", sql`${t.language} in ('en', 'de')`),
    check("notices_sent", sql`${t.status} <> 'sent' or (${t.sentAt} is not null and ${t.outboxEmailId} is not null)`),
    ...noticePolicies("notices"),
  ],
);
