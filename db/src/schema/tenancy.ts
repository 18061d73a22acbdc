import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  pgPolicy,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { coopAdminPolicy, coopPolicy, coopReadPolicy, creatorPolicy, kilnApp, systemPolicy } from "./rls";

/** The top-level organisation. A co-op is its own tenant: its row carries its id as coop_id. */
export const coops = pgTable(
  "coops",
  {
    id: id(),
    slug: text().notNull(),
    name: text().notNull(),
    /** IANA zone; production windows (ISO weeks) and notice dates are computed in it. */
    timezone: text().notNull(),
    /** Percentage the co-op takes on its creators' sales (application fee), in basis points. */
    applicationFeeBps: integer().notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("coops_slug_key").on(t.slug), systemPolicy("coops"), coopPolicy("coops", sql`id`)],
);

/** A tenant inside a co-op: owns a storefront, products, tiers and drops. */
export const creators = pgTable(
  "creators",
  {
    id: id(),
    coopId: uuid()
      .notNull()
      .references(() => coops.id, { onDelete: "restrict" }),
    /** Storefront address /s/<slug>; unique across Kiln. */
    slug: text().notNull(),
    displayName: text().notNull(),
    /** Only published storefronts are readable outside their co-op. */
    isPublished: boolean().notNull().default(false),
    /** The creator's weight in capacity allocation (the co-op's policy; equal, 1, by default). */
    capacityWeight: doublePrecision().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("creators_slug_key").on(t.slug),
    index("creators_coop_idx").on(t.coopId),
    systemPolicy("creators"),
    check("creators_capacity_weight_positive", sql`${t.capacityWeight} > 0`),
    creatorPolicy("creators", sql`id`),
    pgPolicy("creators_public_read", { as: "permissive", for: "select", to: kilnApp, using: sql`is_published` }),
  ],
);

/**
 * A production partner of a co-op (a microfactory). Capacity per production window lives in
 * capacity_windows (db/src/schema/capacity.ts). Everyone acting in the co-op reads factories; only
 * the co-op's admins change them.
 */
export const factories = pgTable(
  "factories",
  {
    id: id(),
    coopId: uuid()
      .notNull()
      .references(() => coops.id, { onDelete: "restrict" }),
    name: text().notNull(),
    location: text().notNull(),
    capabilities: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Standard lead time: days from the start of a production window to shipping. */
    leadTimeDays: integer().notNull().default(7),
    /** What one capacity unit costs the co-op, in the co-op's currency's minor unit (cents). */
    costPerUnitCents: integer().notNull().default(0),
    isBackup: boolean().notNull().default(false),
    isActive: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("factories_coop_idx").on(t.coopId),
    check("factories_lead_time_nonnegative", sql`${t.leadTimeDays} >= 0`),
    check("factories_cost_nonnegative", sql`${t.costPerUnitCents} >= 0`),
    systemPolicy("factories"),
    coopReadPolicy("factories", [
      "coop_admin",
      "compliance_reviewer",
      "creator_owner",
      "creator_staff",
      "factory_operator",
    ]),
    coopAdminPolicy("factories"),
  ],
);
