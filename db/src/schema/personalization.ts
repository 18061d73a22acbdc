import { sql } from "drizzle-orm";
import {
  check,
  customType,
  index,
  integer,
  jsonb,
  pgPolicy,
  pgTable,
  primaryKey,
  real,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { coopAdminPolicy, coopReadPolicy, kilnApp, systemPolicy } from "./rls";
import { users } from "./accounts";
import { drops, products } from "./drops";
import { creators } from "./tenancy";
import { coopRef, creatorRef } from "./tenant-keys";

/**
 * Personalised offers (issue 9, docs/decisions/014). Claims, purchases, returns and waitlist joins are
 * read from the drops tables; only what exists nowhere else is stored here: the offer lists shown
 * (with the server features as shown: the point-in-time training record), page views a member
 * consented to share, the consents themselves, and the co-op's trained models.
 *
 * Member rows are the member's own (they read them; consents they also write); the creator team reads
 * its creator's rows, co-op admins the co-op's. Exposures and views are written on the serving path
 * by the system context or, for views, by the member's own context only while a consent stands (the
 * insert policy checks it, beside the package's check).
 */

const bytea = customType<{ data: Uint8Array; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  fromDriver: (value) => new Uint8Array(value),
});

const creatorRule = sql`coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id())`;

/** The creator's contexts (and co-op-level ones) read the rows; co-op admins included. */
const creatorRead = (table: string) =>
  pgPolicy(`${table}_creator_read`, { as: "permissive", for: "select", to: kilnApp, using: creatorRule });

const memberRead = (table: string) =>
  pgPolicy(`${table}_member_read`, {
    as: "permissive",
    for: "select",
    to: kilnApp,
    using: sql`member_user_id = kiln_user_id()`,
  });

export const ARM_VALUES = ["device", "server", "holdout"] as const;
const armCheck = (column: string) => sql.raw(`${column} in ('device', 'server', 'holdout')`);

/**
 * A member's consent to share page views (what they looked at and for how long) for personalised
 * offers: for one creator, or for every creator of the co-op (`creator_id` null). Off unless granted;
 * withdrawing sets `withdrawn_at` (the row stays as the record of the consent). At most one standing
 * consent per member, co-op and creator-or-all.
 */
export const personalizationConsents = pgTable(
  "personalization_consents",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: uuid().references(() => creators.id, { onDelete: "restrict" }),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    grantedAt: ts().notNull(),
    withdrawnAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("personalization_consents_standing_key")
      .on(t.memberUserId, t.coopId, sql`coalesce(${t.creatorId}, '00000000-0000-0000-0000-000000000000'::uuid)`)
      .where(sql`${t.withdrawnAt} is null`),
    check(
      "personalization_consents_withdrawn_after",
      sql`${t.withdrawnAt} is null or ${t.withdrawnAt} >= ${t.grantedAt}`,
    ),
    systemPolicy("personalization_consents"),
    pgPolicy("personalization_consents_owner", {
      as: "permissive",
      for: "all",
      to: kilnApp,
      using: sql`member_user_id = kiln_user_id()`,
      withCheck: sql`member_user_id = kiln_user_id()`,
    }),
    pgPolicy("personalization_consents_creator_read", {
      as: "permissive",
      for: "select",
      to: kilnApp,
      using: sql`coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id is null or creator_id = kiln_creator_id())`,
    }),
  ],
);

/** A page view the member consented to share (issue 9 §1): written only while a consent stands. */
export const productViewEvents = pgTable(
  "product_view_events",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    productId: uuid()
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    dwellMs: integer().notNull(),
    occurredAt: ts().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("product_view_events_member_idx").on(t.coopId, t.memberUserId, t.occurredAt),
    check("product_view_events_dwell", sql`${t.dwellMs} between 0 and 86400000`),
    systemPolicy("product_view_events"),
    memberRead("product_view_events"),
    pgPolicy("product_view_events_member_delete", {
      as: "permissive",
      for: "delete",
      to: kilnApp,
      using: sql`member_user_id = kiln_user_id()`,
    }),
    pgPolicy("product_view_events_member_insert", {
      as: "permissive",
      for: "insert",
      to: kilnApp,
      withCheck: sql`member_user_id = kiln_user_id() and exists (select 1 from personalization_consents pc
        where pc.member_user_id = kiln_user_id() and pc.coop_id = product_view_events.coop_id
          and (pc.creator_id is null or pc.creator_id = product_view_events.creator_id) and pc.withdrawn_at is null)`,
    }),
    creatorRead("product_view_events"),
  ],
);

/**
 * One offer list rendered for a member (issue 9 §7): the arm the experiment assigned and the arm that
 * actually served it (the browser reports when it ranked on the device; otherwise the server did, and
 * `fallback_reason` says why), the model version used (null: holdout or no model).
 */
export const offerExposures = pgTable(
  "offer_exposures",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    experimentKey: text().notNull(),
    assignedArm: text().$type<(typeof ARM_VALUES)[number]>().notNull(),
    servedArm: text().$type<(typeof ARM_VALUES)[number]>().notNull(),
    fallbackReason: text(),
    modelVersion: text(),
    shownAt: ts().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("offer_exposures_creator_idx").on(t.coopId, t.creatorId, t.shownAt),
    index("offer_exposures_member_idx").on(t.memberUserId, t.shownAt),
    index("offer_exposures_experiment_idx").on(t.coopId, t.experimentKey, t.assignedArm),
    check("offer_exposures_assigned_arm", armCheck("assigned_arm")),
    check("offer_exposures_served_arm", armCheck("served_arm")),
    systemPolicy("offer_exposures"),
    memberRead("offer_exposures"),
    creatorRead("offer_exposures"),
  ],
);

/** The offers of one exposure in the order shown, each with its server features as computed then. */
export const offerExposureItems = pgTable(
  "offer_exposure_items",
  {
    exposureId: uuid()
      .notNull()
      .references(() => offerExposures.id, { onDelete: "cascade" }),
    position: integer().notNull(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    memberUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    dropId: uuid()
      .notNull()
      .references(() => drops.id, { onDelete: "cascade" }),
    productId: uuid()
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    /** SERVER_FEATURES (offer-features/1) as shown: the point-in-time record training reads. */
    serverFeatures: real().array().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.exposureId, t.position] }),
    index("offer_exposure_items_product_idx").on(t.coopId, t.productId),
    check("offer_exposure_items_position", sql`${t.position} >= 0`),
    systemPolicy("offer_exposure_items"),
    memberRead("offer_exposure_items"),
    creatorRead("offer_exposure_items"),
  ],
);

export const OFFER_MODEL_STATUSES = ["candidate", "active", "retired"] as const;

/**
 * The co-op's trained offer rankers (issue 9 §3): the ONNX bytes with their SHA-256 (checked at load),
 * the feature spec they were trained on and the model card. Exactly one active per co-op.
 */
export const offerModels = pgTable(
  "offer_models",
  {
    id: id(),
    coopId: coopRef(),
    version: text().notNull(),
    featureSpec: text().notNull(),
    onnx: bytea().notNull(),
    sha256: text().notNull(),
    card: jsonb().$type<Record<string, unknown>>().notNull(),
    status: text().$type<(typeof OFFER_MODEL_STATUSES)[number]>().notNull().default("candidate"),
    trainedAt: ts().notNull(),
    activatedAt: ts(),
    activatedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    /** Set when a rollback retired it: a later rollback does not go back to it. */
    rolledBackAt: ts(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("offer_models_coop_version_key").on(t.coopId, t.version),
    uniqueIndex("offer_models_one_active_key")
      .on(t.coopId)
      .where(sql`${t.status} = 'active'`),
    check("offer_models_status", sql`${t.status} in ('candidate', 'active', 'retired')`),
    check("offer_models_sha256", sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
    systemPolicy("offer_models"),
    coopAdminPolicy("offer_models"),
    coopReadPolicy("offer_models", ["creator_owner", "creator_staff"]),
  ],
);

/**
 * The co-op's offer-ranker experiment, one row per version (issue 9 §7, decision 021): the arm weights
 * (integer percentages summing to 100) and when the version ran. A co-op without rows runs version 1
 * with the default weights. Changing the weights ends the current version and starts the next: the
 * experiment key includes the version, so members are re-assigned and each version's uplift is
 * analysed on its own. Co-op admins write (audited); the co-op's creator teams read.
 */
export const offerExperiments = pgTable(
  "offer_experiments",
  {
    id: id(),
    coopId: coopRef(),
    version: integer().notNull(),
    deviceWeight: integer().notNull(),
    serverWeight: integer().notNull(),
    holdoutWeight: integer().notNull(),
    startedAt: ts().notNull(),
    /** Null while it is the co-op's current version. */
    endedAt: ts(),
    startedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("offer_experiments_coop_version_key").on(t.coopId, t.version),
    uniqueIndex("offer_experiments_one_current_key")
      .on(t.coopId)
      .where(sql`${t.endedAt} is null`),
    check("offer_experiments_version", sql`${t.version} >= 1`),
    check(
      "offer_experiments_weights",
      sql`${t.deviceWeight} between 0 and 100 and ${t.serverWeight} between 0 and 100 and ${t.holdoutWeight} between 0 and 100
        and ${t.deviceWeight} + ${t.serverWeight} + ${t.holdoutWeight} = 100 and ${t.deviceWeight} + ${t.serverWeight} > 0`,
    ),
    check("offer_experiments_ended_after", sql`${t.endedAt} is null or ${t.endedAt} >= ${t.startedAt}`),
    systemPolicy("offer_experiments"),
    coopAdminPolicy("offer_experiments"),
    coopReadPolicy("offer_experiments", ["creator_owner", "creator_staff"]),
  ],
);
