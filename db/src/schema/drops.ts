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
import { creatorPolicy, kilnApp, systemPolicy } from "./rls";
import { users } from "./accounts";
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
    currency: text().notNull(),
    /** The capacity capability that makes it, and the units of it one item consumes. */
    capability: text().notNull(),
    capacityUnitsPerItem: integer().notNull().default(1),
    sku: text().notNull(),
    /** Why the EU right of withdrawal does not apply (e.g. made to the buyer's specification); null: it applies. */
    withdrawalExemptionReason: text(),
    isPublished: boolean().notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("products_creator_sku_key").on(t.creatorId, t.sku),
    index("products_coop_creator_idx").on(t.coopId, t.creatorId),
    check("products_price_nonnegative", sql`${t.priceMinor} >= 0`),
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
