import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgEnum,
  pgPolicy,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { coopAdminPolicy, coopReadPolicy, creatorPolicy, kilnApp, ownCreatorPolicy, systemPolicy } from "./rls";
import { coops } from "./tenancy";
import { users } from "./accounts";
import { consents, subscriptionTiers, termsVersions } from "./compliance";
import { coopRef, creatorRef } from "./tenant-keys";

/**
 * Billing (issue 5, docs/decisions/010): direct charges on each creator's Stripe Connect account.
 * Customers, prices and subscriptions live on the connected account; Kiln keeps the ids and the
 * subscription state it gates on. Every amount is an integer in minor units with its currency.
 * Members read their own subscriptions (owner policy); the creator team reads its subscribers; the
 * state is written only by the system context (the subscribe flow and the webhook processor).
 */

const memberRead = (table: string, column = "member_user_id") =>
  pgPolicy(`${table}_member_read`, {
    as: "permissive",
    for: "select",
    to: kilnApp,
    using: sql`${sql.raw(column)} = kiln_user_id()`,
  });

/**
 * What Kiln does to a subscription still past_due when the grace period has run out (issue 5 §6,
 * docs/decisions/018): `cancel` ends it on Stripe now; `mark_unpaid` keeps it but stops collection
 * and entitlement until the member pays the open invoice (Stripe's `unpaid` semantic).
 */
export const billingFinalAction = pgEnum("billing_final_action", ["cancel", "mark_unpaid"]);
export type BillingFinalAction = (typeof billingFinalAction.enumValues)[number];

/** Per-co-op billing policy (a missing row means the defaults). */
export const billingSettings = pgTable(
  "billing_settings",
  {
    coopId: uuid()
      .primaryKey()
      .references(() => coops.id, { onDelete: "cascade" }),
    /** The co-op's application fee on every subscription payment, in basis points (500 = 5 %). */
    applicationFeeBps: integer().notNull().default(500),
    /** How long a past_due subscription stays entitled (dunning grace period). */
    graceDays: integer().notNull().default(7),
    /** The final action after the grace period (docs/decisions/018). */
    finalAction: billingFinalAction().notNull().default("cancel"),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("billing_settings_fee", sql`${t.applicationFeeBps} between 0 and 10000`),
    check("billing_settings_grace", sql`${t.graceDays} between 0 and 60`),
    systemPolicy("billing_settings"),
    coopAdminPolicy("billing_settings"),
    coopReadPolicy("billing_settings", ["creator_owner", "creator_staff", "compliance_reviewer"]),
  ],
);

export const connectAccountStatus = pgEnum("connect_account_status", ["pending", "enabled", "restricted"]);
export type ConnectAccountStatus = (typeof connectAccountStatus.enumValues)[number];

/** A creator's Stripe Connect (Express) account. */
export const billingAccounts = pgTable(
  "billing_accounts",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    stripeAccountId: text().notNull(),
    status: connectAccountStatus().notNull().default("pending"),
    chargesEnabled: boolean().notNull().default(false),
    payoutsEnabled: boolean().notNull().default(false),
    detailsSubmitted: boolean().notNull().default(false),
    /** Stripe's `created` of the last account event applied (older events are ignored). */
    lastEventCreated: bigint({ mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("billing_accounts_creator_key").on(t.creatorId),
    uniqueIndex("billing_accounts_stripe_key").on(t.stripeAccountId),
    systemPolicy("billing_accounts"),
    creatorPolicy("billing_accounts"),
  ],
);

/**
 * The Stripe Price of one approved terms version in one currency (immutable). The terms version is
 * what the member consents to, so its price, interval and trial are copied here as synced.
 */
export const tierPrices = pgTable(
  "tier_prices",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    tierId: uuid()
      .notNull()
      .references(() => subscriptionTiers.id, { onDelete: "restrict" }),
    termsVersionId: uuid()
      .notNull()
      .references(() => termsVersions.id, { onDelete: "restrict" }),
    /** ISO 4217, lower case as Stripe writes it. */
    currency: text().notNull(),
    /** Tax-inclusive amount per interval in minor units. */
    amountMinor: integer().notNull(),
    taxInclusive: boolean().notNull().default(true),
    interval: text().notNull(),
    intervalCount: integer().notNull().default(1),
    trialDays: integer(),
    stripePriceId: text().notNull(),
    active: boolean().notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("tier_prices_version_currency_key").on(t.termsVersionId, t.currency),
    uniqueIndex("tier_prices_stripe_key").on(t.stripePriceId),
    check("tier_prices_amount", sql`${t.amountMinor} >= 0`),
    check("tier_prices_currency", sql`${t.currency} ~ '^[a-z]{3}$'`),
    check("tier_prices_interval", sql`${t.interval} in ('month', 'year')`),
    systemPolicy("tier_prices"),
    creatorPolicy("tier_prices"),
  ],
);

/** A member as a Stripe customer on one creator's connected account. */
export const billingCustomers = pgTable(
  "billing_customers",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    stripeAccountId: text().notNull(),
    stripeCustomerId: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("billing_customers_member_creator_key").on(t.memberUserId, t.creatorId),
    uniqueIndex("billing_customers_stripe_key").on(t.stripeAccountId, t.stripeCustomerId),
    systemPolicy("billing_customers"),
    memberRead("billing_customers"),
    ownCreatorPolicy("billing_customers", "select"),
  ],
);

export const subscriptionStatus = pgEnum("subscription_status", [
  "incomplete",
  "incomplete_expired",
  "trialing",
  "active",
  "past_due",
  "paused",
  "canceled",
  "unpaid",
]);
export type SubscriptionStatus = (typeof subscriptionStatus.enumValues)[number];

/** A member's subscription to a tier: Kiln's copy of Stripe's state, the source of truth for gating. */
export const subscriptions = pgTable(
  "subscriptions",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    tierId: uuid()
      .notNull()
      .references(() => subscriptionTiers.id, { onDelete: "restrict" }),
    tierPriceId: uuid()
      .notNull()
      .references(() => tierPrices.id, { onDelete: "restrict" }),
    /** The consent at the order button; also the idempotency key of the Stripe create call. */
    consentId: uuid()
      .notNull()
      .references(() => consents.id, { onDelete: "restrict" }),
    stripeAccountId: text().notNull(),
    stripeCustomerId: text().notNull(),
    stripeSubscriptionId: text().notNull(),
    status: subscriptionStatus().notNull(),
    currentPeriodEnd: ts(),
    cancelAtPeriodEnd: boolean().notNull().default(false),
    /** When the subscription last became past_due (the grace period counts from it). */
    pastDueSince: ts(),
    /** Hosted invoice page of an open first invoice (3-D Secure), null once paid. */
    pendingInvoiceUrl: text(),
    /**
     * A downgrade the member ordered for the end of the period (issue 5 §4): the tier, price and
     * consent that take over at `scheduledAt`; until then `tierId` stays what entitles.
     */
    scheduledTierId: uuid().references(() => subscriptionTiers.id, { onDelete: "restrict" }),
    scheduledTierPriceId: uuid().references(() => tierPrices.id, { onDelete: "restrict" }),
    scheduledConsentId: uuid().references(() => consents.id, { onDelete: "restrict" }),
    scheduledAt: ts(),
    /**
     * The co-op's final action after the grace period (docs/decisions/018): which one, when the
     * sweep claimed it (a lease: a claim not done within minutes is taken over) and when it was
     * done (Stripe changed, member told). Done when `finalActionAt >= finalActionClaimedAt`.
     */
    finalAction: billingFinalAction(),
    finalActionClaimedAt: ts(),
    finalActionAt: ts(),
    /** Stripe's `created` (seconds) of the last event applied; an older event never overwrites. */
    lastEventCreated: bigint({ mode: "number" }),
    lastEventId: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("subscriptions_consent_key").on(t.consentId),
    uniqueIndex("subscriptions_stripe_key").on(t.stripeAccountId, t.stripeSubscriptionId),
    index("subscriptions_member_idx").on(t.memberUserId, t.status),
    index("subscriptions_creator_idx").on(t.coopId, t.creatorId, t.status),
    systemPolicy("subscriptions"),
    memberRead("subscriptions"),
    ownCreatorPolicy("subscriptions", "select"),
    coopReadPolicy("subscriptions", ["coop_admin"]),
  ],
);

/**
 * Every Stripe event received, stored once by its id with the raw body. Written and processed by the
 * system context only; `coop_id` is filled in when processing resolves the account, so a co-op admin
 * can see its dead letters.
 */
export const billingWebhookEvents = pgTable(
  "billing_webhook_events",
  {
    id: id(),
    stripeEventId: text().notNull(),
    /** "platform" or "connect": which endpoint (and secret) received it. */
    endpoint: text().notNull(),
    type: text().notNull(),
    /** The connected account of a Connect event. */
    account: text(),
    /** Stripe's `created`, seconds since the epoch. */
    eventCreated: bigint({ mode: "number" }).notNull(),
    /** The raw body exactly as received and verified. */
    payload: text().notNull(),
    coopId: uuid().references(() => coops.id, { onDelete: "restrict" }),
    receivedAt: createdAt(),
    processedAt: ts(),
    attempts: integer().notNull().default(0),
    lastError: text(),
    deadLetteredAt: ts(),
  },
  (t) => [
    uniqueIndex("billing_webhook_events_stripe_key").on(t.stripeEventId),
    index("billing_webhook_events_pending_idx").on(t.processedAt, t.deadLetteredAt),
    check("billing_webhook_events_endpoint", sql`${t.endpoint} in ('platform', 'connect')`),
    systemPolicy("billing_webhook_events"),
    coopReadPolicy("billing_webhook_events", ["coop_admin"]),
  ],
);
