import { sql } from "drizzle-orm";
import { boolean, index, integer, pgPolicy, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { coopPolicy, creatorPolicy, kilnApp, systemPolicy } from "./rls";

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
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("creators_slug_key").on(t.slug),
    index("creators_coop_idx").on(t.coopId),
    systemPolicy("creators"),
    creatorPolicy("creators", sql`id`),
    pgPolicy("creators_public_read", { as: "permissive", for: "select", to: kilnApp, using: sql`is_published` }),
  ],
);

/** A production partner of a co-op. The capacity issue adds windows, costs and capabilities' details. */
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
    leadTimeDays: integer().notNull().default(7),
    isBackup: boolean().notNull().default(false),
    isActive: boolean().notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("factories_coop_idx").on(t.coopId), systemPolicy("factories"), coopPolicy("factories")],
);
