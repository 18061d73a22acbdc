import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgPolicy,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import {
  coopAdminPolicy,
  coopReadPolicy,
  creatorPolicy,
  factoryOperatorReadPolicy,
  kilnApp,
  systemPolicy,
} from "./rls";
import { users } from "./accounts";
import { allocations } from "./capacity";
import { factories } from "./tenancy";
import { coopRef, creatorRef } from "./tenant-keys";

/**
 * Drops and member-only restocks (issue 8, DESIGN.md §4 "Claim"). A creator's products and drops are
 * the creator's rows (creatorPolicy) and readable by anyone once published. Stock buckets, per-member
 * counters and claims are written on the claim path by the system context only (a member takes stock
 * from another tenant's drop; DESIGN.md §3: never by widening a policy); the creator team reads them,
 * a member reads their own claims.
 */

const creatorRule = sql`coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id())`;

/** The creator's contexts may read (not write) these rows. */
const creatorRead = (table: string) =>
  pgPolicy(`${table}_creator_read`, { as: "permissive", for: "select", to: kilnApp, using: creatorRule });

/** Published rows are readable by anyone (storefronts), like creators_public_read. */
const publicRead = (table: string) =>
  pgPolicy(`${table}_public_read`, { as: "permissive", for: "select", to: kilnApp, using: sql`is_published` });

/**
 * A co-op-wide edition (a collab) that several creators' products belong to; a member may take at most
 * `lifetimeLimit` units of it across all of them, ever (issue 8 §2). The co-op's admins manage it; the
 * co-op's creator teams read it to attach their products.
 */
export const editions = pgTable(
  "editions",
  {
    id: id(),
    coopId: coopRef(),
    name: text().notNull(),
    lifetimeLimit: integer().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("editions_coop_idx").on(t.coopId),
    check("editions_lifetime_limit_positive", sql`${t.lifetimeLimit} >= 1`),
    systemPolicy("editions"),
    coopAdminPolicy("editions"),
    coopReadPolicy("editions", ["creator_owner", "creator_staff", "compliance_reviewer"]),
  ],
);

export const products = pgTable(
  "products",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    title: text().notNull(),
    description: text().notNull().default(""),
    /** Gross (tax-inclusive) price in the currency's minor unit. */
    priceMinor: integer().notNull(),
    /** Gross delivery cost of one order, shown with the total before ordering. */
    deliveryMinor: integer().notNull().default(0),
    currency: text().notNull(),
    /** The capacity capability that makes it, and the units of it one item consumes. */
    capability: text().notNull(),
    capacityUnitsPerItem: integer().notNull().default(1),
    sku: text().notNull(),
    /** Lower-case style tags (e.g. "pastel", "botanical"): shown on the product page and used by the offer ranker. */
    tags: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Why the EU right of withdrawal does not apply (e.g. made to the buyer's specification); null: it applies. */
    withdrawalExemptionReason: text(),
    /** At most this many units per member across all drops of this product, ever; null: no limit. */
    lifetimeLimit: integer(),
    /** The co-op-wide edition (collab) it belongs to: the edition's lifetime limit applies too. */
    editionId: uuid().references(() => editions.id, { onDelete: "restrict" }),
    isPublished: boolean().notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("products_creator_sku_key").on(t.creatorId, t.sku),
    index("products_edition_idx").on(t.editionId),
    check("products_lifetime_limit_positive", sql`${t.lifetimeLimit} is null or ${t.lifetimeLimit} >= 1`),
    index("products_coop_creator_idx").on(t.coopId, t.creatorId),
    check("products_price_nonnegative", sql`${t.priceMinor} >= 0`),
    check("products_delivery_nonnegative", sql`${t.deliveryMinor} >= 0`),
    check("products_currency_iso", sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check("products_units_positive", sql`${t.capacityUnitsPerItem} >= 1`),
    systemPolicy("products"),
    creatorPolicy("products"),
    publicRead("products"),
  ],
);

export const drops = pgTable(
  "drops",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    productId: uuid()
      .notNull()
      .references(() => products.id, { onDelete: "restrict" }),
    title: text().notNull(),
    quantity: integer().notNull(),
    /** The locked allocation it is made from: capability and production window (ISO week). */
    capability: text().notNull(),
    period: text().notNull(),
    /** The latest ship-by date of the allocation's batches when the drop was created. */
    shipBy: date({ mode: "string" }),
    opensAt: ts().notNull(),
    closesAt: ts(),
    /** Tiers whose members may claim; empty: any signed-in member. */
    tierIds: uuid()
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** Members of these tiers may claim from earlyAccessAt until opensAt. */
    earlyAccessTierIds: uuid()
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    earlyAccessAt: ts(),
    perMemberLimit: integer().notNull().default(1),
    holdMinutes: integer().notNull().default(10),
    /** Stock rows in drop_stock: more for hot drops, so concurrent claims do not queue on one row. */
    bucketCount: integer().notNull().default(1),
    /** A hot drop admits claimants through its waiting room (issue 8 §6, packages/drops/src/admission.ts). */
    isHot: boolean().notNull().default(false),
    isPublished: boolean().notNull().default(false),
    createdByUserId: uuid(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("drops_creator_idx").on(t.coopId, t.creatorId, t.opensAt),
    index("drops_allocation_idx").on(t.creatorId, t.capability, t.period),
    check("drops_quantity_positive", sql`${t.quantity} >= 1`),
    check("drops_limit_positive", sql`${t.perMemberLimit} >= 1`),
    check("drops_hold_minutes", sql`${t.holdMinutes} between 1 and 120`),
    check("drops_bucket_count", sql`${t.bucketCount} between 1 and 64`),
    check("drops_closes_after_opens", sql`${t.closesAt} is null or ${t.closesAt} > ${t.opensAt}`),
    check("drops_early_before_opens", sql`${t.earlyAccessAt} is null or ${t.earlyAccessAt} < ${t.opensAt}`),
    check("drops_period_iso_week", sql`${t.period} ~ '^[0-9]{4}-W[0-9]{2}$'`),
    systemPolicy("drops"),
    creatorPolicy("drops"),
    publicRead("drops"),
  ],
);

/** A drop's stock, split into buckets; a claim takes with `remaining = remaining - q where remaining >= q`. */
export const dropStock = pgTable(
  "drop_stock",
  {
    dropId: uuid()
      .notNull()
      .references(() => drops.id, { onDelete: "cascade" }),
    bucket: integer().notNull(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    remaining: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.dropId, t.bucket] }),
    check("drop_stock_remaining_nonnegative", sql`${t.remaining} >= 0`),
    systemPolicy("drop_stock"),
    creatorRead("drop_stock"),
    // Creating a drop writes its buckets in the creator's context; only for the creator's own drop.
    pgPolicy("drop_stock_creator_insert", {
      as: "permissive",
      for: "insert",
      to: kilnApp,
      withCheck: sql`${creatorRule} and exists (select 1 from drops d where d.id = drop_id and d.coop_id = kiln_coop_id() and d.creator_id = drop_stock.creator_id)`,
    }),
  ],
);

/** Units a member holds or bought from a drop: the per-member limit is a conditional upsert on this row. */
export const dropMemberCounters = pgTable(
  "drop_member_counters",
  {
    dropId: uuid()
      .notNull()
      .references(() => drops.id, { onDelete: "cascade" }),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    coopId: coopRef(),
    creatorId: creatorRef(),
    taken: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.dropId, t.memberUserId] }),
    check("drop_member_counters_taken_nonnegative", sql`${t.taken} >= 0`),
    systemPolicy("drop_member_counters"),
    creatorRead("drop_member_counters"),
  ],
);

export const LIFETIME_SUBJECTS = ["product", "edition"] as const;
export type LifetimeSubject = (typeof LIFETIME_SUBJECTS)[number];

/**
 * Units a member holds or bought of a product or of a co-op-wide edition, across all drops and
 * creators: the lifetime limit is a conditional upsert on this (co-op, member, subject) row inside the
 * claim transaction (DESIGN.md §4); a released or expired claim gives its units back. System context
 * writes; the member reads their own rows.
 */
export const lifetimeCounters = pgTable(
  "lifetime_counters",
  {
    coopId: coopRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** A product id or an edition id (see subjectType). */
    subjectId: uuid().notNull(),
    subjectType: text().$type<LifetimeSubject>().notNull(),
    taken: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.coopId, t.memberUserId, t.subjectId] }),
    check("lifetime_counters_taken_nonnegative", sql`${t.taken} >= 0`),
    check("lifetime_counters_subject_type", sql`${t.subjectType} in ('product', 'edition')`),
    systemPolicy("lifetime_counters"),
    pgPolicy("lifetime_counters_member_read", {
      as: "permissive",
      for: "select",
      to: kilnApp,
      using: sql`member_user_id = kiln_user_id()`,
    }),
  ],
);

export const CLAIM_STATUSES = ["reserved", "confirmed", "expired", "cancelled"] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

/** A member's claim: reserved with an expiry, then confirmed (paid), expired or cancelled. */
export const dropClaims = pgTable(
  "drop_claims",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    dropId: uuid()
      .notNull()
      .references(() => drops.id, { onDelete: "restrict" }),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    quantity: integer().notNull(),
    status: text().$type<ClaimStatus>().notNull().default("reserved"),
    /** Which buckets the units came from ({ "0": 1, … }): expiry returns them there. */
    takenFrom: jsonb().$type<Record<string, number>>().notNull(),
    idempotencyKey: text().notNull(),
    /** The lifetime counters (product and/or edition ids) it took from: releasing gives the units back there. */
    lifetimeSubjectIds: uuid()
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    expiresAt: ts().notNull(),
    confirmedAt: ts(),
    releasedAt: ts(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("drop_claims_member_idempotency_key").on(t.memberUserId, t.idempotencyKey),
    index("drop_claims_drop_idx").on(t.dropId, t.status),
    index("drop_claims_reserved_expiry_idx")
      .on(t.expiresAt)
      .where(sql`${t.status} = 'reserved'`),
    check("drop_claims_quantity_positive", sql`${t.quantity} >= 1`),
    check("drop_claims_status", sql`${t.status} in ('reserved', 'confirmed', 'expired', 'cancelled')`),
    systemPolicy("drop_claims"),
    creatorRead("drop_claims"),
    pgPolicy("drop_claims_member_read", {
      as: "permissive",
      for: "select",
      to: kilnApp,
      using: sql`member_user_id = kiln_user_id()`,
    }),
  ],
);

/** A member reads their own rows. */
const memberRead = (table: string) =>
  pgPolicy(`${table}_member_read`, {
    as: "permissive",
    for: "select",
    to: kilnApp,
    using: sql`member_user_id = kiln_user_id()`,
  });

/** The shipping address entered on the order page (ISO 3166-1 alpha-2 country). */
export interface ShippingAddress {
  name: string;
  line1: string;
  line2: string | null;
  postalCode: string;
  city: string;
  country: string;
}

export const DROP_PAYMENT_STATUSES = [
  "authorising",
  "requires_action",
  "authorised",
  "capturing",
  "captured",
  "cancelled",
  "failed",
] as const;
export type DropPaymentStatus = (typeof DROP_PAYMENT_STATUSES)[number];

/**
 * The payment of one claim (issue 8 §4): a PaymentIntent with manual capture on the creator's connected
 * account, authorised on Kiln's order page and captured when the claim is confirmed. `capturing` is
 * written before the capture call, so the hold-expiry job leaves the claim alone and the sweeper can
 * finish a capture whose outcome was never recorded. Also the proof of what the order page showed.
 */
export const dropPayments = pgTable(
  "drop_payments",
  {
    claimId: uuid()
      .primaryKey()
      .references(() => dropClaims.id, { onDelete: "restrict" }),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    status: text().$type<DropPaymentStatus>().notNull().default("authorising"),
    stripeAccountId: text().notNull(),
    stripeCustomerId: text().notNull(),
    stripePaymentIntentId: text(),
    currency: text().notNull(),
    itemsMinor: integer().notNull(),
    deliveryMinor: integer().notNull(),
    totalMinor: integer().notNull(),
    applicationFeeMinor: integer().notNull(),
    shippingAddress: jsonb().$type<ShippingAddress>().notNull(),
    disclosureText: text().notNull(),
    buttonLabel: text().notNull(),
    locale: text().notNull(),
    failureMessage: text(),
    authorisedAt: ts(),
    capturedAt: ts(),
    cancelledAt: ts(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("drop_payments_intent_key").on(t.stripePaymentIntentId),
    index("drop_payments_open_idx")
      .on(t.status, t.updatedAt)
      .where(sql`${t.status} in ('authorising', 'requires_action', 'authorised', 'capturing')`),
    check(
      "drop_payments_status",
      sql`${t.status} in ('authorising', 'requires_action', 'authorised', 'capturing', 'captured', 'cancelled', 'failed')`,
    ),
    check("drop_payments_total", sql`${t.totalMinor} = ${t.itemsMinor} + ${t.deliveryMinor}`),
    check("drop_payments_fee", sql`${t.applicationFeeMinor} between 0 and ${t.totalMinor}`),
    systemPolicy("drop_payments"),
    creatorRead("drop_payments"),
    memberRead("drop_payments"),
  ],
);

export const ORDER_STATUSES = ["placed", "produced", "shipped", "delivered", "returned", "cancelled"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * A confirmed claim's order (issue 8 §8), routed to a factory of the drop's locked allocation. Created
 * in the same transaction that records the capture, so no order exists without a captured payment.
 * Written by the system context only; the member, the creator team and the factory's operators read it.
 */
export const orders = pgTable(
  "orders",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    claimId: uuid()
      .notNull()
      .references(() => dropClaims.id, { onDelete: "restrict" }),
    dropId: uuid()
      .notNull()
      .references(() => drops.id, { onDelete: "restrict" }),
    productId: uuid()
      .notNull()
      .references(() => products.id, { onDelete: "restrict" }),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    factoryId: uuid()
      .notNull()
      .references(() => factories.id, { onDelete: "restrict" }),
    allocationId: uuid().references(() => allocations.id, { onDelete: "set null" }),
    quantity: integer().notNull(),
    currency: text().notNull(),
    itemsMinor: integer().notNull(),
    deliveryMinor: integer().notNull(),
    totalMinor: integer().notNull(),
    shippingAddress: jsonb().$type<ShippingAddress>().notNull(),
    stripePaymentIntentId: text().notNull(),
    /** The product's withdrawal exemption reason when ordered (null: the right of withdrawal applies). */
    withdrawalExemptionReason: text(),
    shipBy: date({ mode: "string" }),
    /** The ship-by date the member was promised when ordering; set when capacity first revises shipBy (ADR 020). */
    originalShipBy: date({ mode: "string" }),
    /** When the member was last told of a revised ship-by date (null: never revised). */
    shipByRevisedAt: ts(),
    status: text().$type<OrderStatus>().notNull().default("placed"),
    placedAt: ts().notNull(),
    producedAt: ts(),
    shippedAt: ts(),
    /** When the goods reached the member: the withdrawal period of goods starts here (CRD art 9(2)(b)). */
    deliveredAt: ts(),
    returnedAt: ts(),
    /** Cancelled by the member for a full refund after a revised ship-by date, before shipping (ADR 020). */
    cancelledAt: ts(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("orders_claim_key").on(t.claimId),
    index("orders_member_idx").on(t.memberUserId, t.placedAt),
    index("orders_factory_idx").on(t.factoryId, t.status),
    index("orders_creator_idx").on(t.coopId, t.creatorId, t.placedAt),
    check("orders_status", sql`${t.status} in ('placed', 'produced', 'shipped', 'delivered', 'returned', 'cancelled')`),
    check("orders_cancelled_before_shipping", sql`${t.cancelledAt} is null or ${t.shippedAt} is null`),
    check("orders_quantity_positive", sql`${t.quantity} >= 1`),
    check("orders_total", sql`${t.totalMinor} = ${t.itemsMinor} + ${t.deliveryMinor}`),
    check("orders_shipped_after_produced", sql`${t.shippedAt} is null or ${t.producedAt} is not null`),
    check("orders_delivered_after_shipped", sql`${t.deliveredAt} is null or ${t.shippedAt} is not null`),
    systemPolicy("orders"),
    creatorRead("orders"),
    memberRead("orders"),
    factoryOperatorReadPolicy("orders"),
  ],
);

export const WAITLIST_STATUSES = ["waiting", "offered", "lapsed", "left"] as const;
export type WaitlistStatus = (typeof WAITLIST_STATUSES)[number];

/**
 * A sold-out drop's waitlist (issue 8 §5): members in order of joining; a unit that comes back (an
 * expired or let-go hold) is offered to the first one waiting as a claim with its own hold, and the
 * member is told through the outbox. `lapsed`: the offer could not be made (limit, no longer entitled).
 */
export const dropWaitlist = pgTable(
  "drop_waitlist",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    dropId: uuid()
      .notNull()
      .references(() => drops.id, { onDelete: "restrict" }),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    status: text().$type<WaitlistStatus>().notNull().default("waiting"),
    /** The claim made for the member when a unit came back. */
    claimId: uuid().references(() => dropClaims.id, { onDelete: "restrict" }),
    offeredAt: ts(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("drop_waitlist_member_waiting_key")
      .on(t.dropId, t.memberUserId)
      .where(sql`${t.status} = 'waiting'`),
    index("drop_waitlist_queue_idx")
      .on(t.dropId, t.createdAt, t.id)
      .where(sql`${t.status} = 'waiting'`),
    check("drop_waitlist_status", sql`${t.status} in ('waiting', 'offered', 'lapsed', 'left')`),
    check("drop_waitlist_offer_claim", sql`(${t.status} = 'offered') = (${t.claimId} is not null)`),
    systemPolicy("drop_waitlist"),
    creatorRead("drop_waitlist"),
    memberRead("drop_waitlist"),
  ],
);

/**
 * A hot drop's waiting room (issue 8 §6): one row per member who entered. Entrants before opening get
 * their `position` when the room is sealed at opening (a shuffle keyed by the seal's secret seed);
 * later ones queue by `seq` (first come, first served). The admission token is stored as its SHA-256
 * and consumed once by a claim.
 */
export const dropQueue = pgTable(
  "drop_queue",
  {
    dropId: uuid()
      .notNull()
      .references(() => drops.id, { onDelete: "cascade" }),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    coopId: coopRef(),
    creatorId: creatorRef(),
    seq: integer().generatedByDefaultAsIdentity(),
    /** Entered before the drop opened: placed by the shuffle at opening. */
    early: boolean().notNull(),
    /** 1-based place among the early entrants, set when the room is sealed. */
    position: integer(),
    tokenHash: text(),
    tokenIssuedAt: ts(),
    tokenUsedAt: ts(),
    claimId: uuid().references(() => dropClaims.id, { onDelete: "set null" }),
    enteredAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.dropId, t.memberUserId] }),
    index("drop_queue_order_idx").on(t.dropId, t.early, t.seq),
    systemPolicy("drop_queue"),
    creatorRead("drop_queue"),
    memberRead("drop_queue"),
  ],
);

/** The seal of a hot drop's waiting room at opening: the secret seed of the shuffle (system only). */
export const dropQueueSeals = pgTable(
  "drop_queue_seals",
  {
    dropId: uuid()
      .primaryKey()
      .references(() => drops.id, { onDelete: "cascade" }),
    coopId: coopRef(),
    creatorId: creatorRef(),
    seed: text().notNull(),
    earlyCount: integer().notNull(),
    sealedAt: ts().notNull(),
  },
  () => [systemPolicy("drop_queue_seals")],
);
