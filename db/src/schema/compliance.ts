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
import { coopPolicy, kilnApp, systemPolicy } from "./rls";
import { coops } from "./tenancy";
import { users } from "./accounts";
import { auditPersonalData } from "./audit";
import { coopRef, creatorRef } from "./tenant-keys";

/**
 * Compliance core (issue 4): subscription tiers (minimal, for billing to extend), immutable terms
 * versions, engine evaluations (findings), review decisions, waivers, per-co-op review settings and
 * consent records. Every row carries coop_id and, where it belongs to a creator, creator_id.
 */

/** Creator rows readable by the creator and the co-op; written by creators (and co-op contexts). */
const creatorRule = sql`coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id())`;
/** Only the co-op's compliance reviewers may write review decisions and waivers. */
const reviewerRule = sql`coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer'`;

const creatorReadReviewerWrite = (table: string) => [
  pgPolicy(`${table}_read`, { as: "permissive", for: "select", to: kilnApp, using: creatorRule }),
  pgPolicy(`${table}_reviewer_insert`, { as: "permissive", for: "insert", to: kilnApp, withCheck: reviewerRule }),
  pgPolicy(`${table}_reviewer_update`, {
    as: "permissive",
    for: "update",
    to: kilnApp,
    using: reviewerRule,
    withCheck: reviewerRule,
  }),
];

const creatorAll = (table: string) =>
  pgPolicy(`${table}_creator`, {
    as: "permissive",
    for: "all",
    to: kilnApp,
    using: creatorRule,
    withCheck: creatorRule,
  });

/**
 * MINIMAL subscription tier, created by the compliance issue because the publication gate needs one.
 * Billing (issue 5) extends it with Stripe prices, benefits and entitlement; keep these columns' meaning.
 * `jurisdictions` are the codes the tier is sold to (see @kiln/compliance resolveJurisdiction).
 */
export const subscriptionTiers = pgTable(
  "subscription_tiers",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    name: text().notNull(),
    jurisdictions: text().array().notNull(),
    /** draft: not sold; live: published (only via canPublishTier); retired: no longer sold. */
    status: text().notNull().default("draft"),
    publishedAt: ts(),
    /** Billing (issue 5): what members get, the order for upgrades (higher = more), the Stripe Product. */
    benefits: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    rank: integer().notNull().default(0),
    stripeProductId: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("subscription_tiers_creator_idx").on(t.coopId, t.creatorId),
    check("subscription_tiers_status", sql`${t.status} in ('draft', 'live', 'retired')`),
    systemPolicy("subscription_tiers"),
    creatorAll("subscription_tiers"),
  ],
);

export const termsStatus = pgEnum("terms_status", ["draft", "in_review", "approved", "rejected", "superseded"]);
export type TermsStatus = (typeof termsStatus.enumValues)[number];

/**
 * One version of a tier's terms. Immutable once submitted: a trigger (migration) refuses changes to
 * `terms`/`content_hash` unless the row is a draft. `content_hash` = SHA-256 of the canonical terms JSON.
 */
export const termsVersions = pgTable(
  "terms_versions",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    tierId: uuid()
      .notNull()
      .references(() => subscriptionTiers.id, { onDelete: "restrict" }),
    version: integer().notNull(),
    status: termsStatus().notNull().default("draft"),
    terms: jsonb().notNull().$type<Record<string, unknown>>(),
    contentHash: text().notNull(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    submittedAt: ts(),
    decidedAt: ts(),
    /** Why a version went back to the queue (rule pack change, rule effective date). */
    rereviewReason: text(),
    /** Review round: 1 at submission, +1 each time the version returns to the queue. */
    reviewRound: integer().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("terms_versions_tier_version_key").on(t.tierId, t.version),
    index("terms_versions_queue_idx").on(t.coopId, t.status),
    systemPolicy("terms_versions"),
    creatorAll("terms_versions"),
  ],
);

/** One run of the rule engine over a terms version: the findings and the rule-set fingerprint it used. */
export const complianceEvaluations = pgTable(
  "compliance_evaluations",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    termsVersionId: uuid()
      .notNull()
      .references(() => termsVersions.id, { onDelete: "restrict" }),
    /** Hash of the effective rules (pack versions + rule ids in force) at evaluation time. */
    fingerprint: text().notNull(),
    findings: jsonb().notNull().$type<unknown[]>(),
    failing: integer().notNull(),
    evaluatedAt: createdAt(),
  },
  (t) => [
    index("compliance_evaluations_version_idx").on(t.termsVersionId, t.evaluatedAt),
    systemPolicy("compliance_evaluations"),
    creatorAll("compliance_evaluations"),
  ],
);

export const reviewDecision = pgEnum("review_decision", ["approve", "reject"]);

/** A reviewer's decision on a terms version (one per reviewer and review round). */
export const termsReviews = pgTable(
  "terms_reviews",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    termsVersionId: uuid()
      .notNull()
      .references(() => termsVersions.id, { onDelete: "restrict" }),
    /** Review round: bumped each time the version returns to the queue. */
    round: integer().notNull().default(1),
    reviewerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    decision: reviewDecision().notNull(),
    comment: text().notNull().default(""),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("terms_reviews_one_per_reviewer").on(t.termsVersionId, t.round, t.reviewerId),
    systemPolicy("terms_reviews"),
    ...creatorReadReviewerWrite("terms_reviews"),
  ],
);

/** A reviewer's judgement that a finding is a false positive for one tier and jurisdiction, until expiry. */
export const complianceWaivers = pgTable(
  "compliance_waivers",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: creatorRef(),
    tierId: uuid()
      .notNull()
      .references(() => subscriptionTiers.id, { onDelete: "restrict" }),
    jurisdiction: text().notNull(),
    ruleId: text().notNull(),
    reason: text().notNull(),
    expiresAt: ts().notNull(),
    createdBy: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    revokedAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [
    index("compliance_waivers_tier_idx").on(t.tierId),
    check("compliance_waivers_reason", sql`length(btrim(${t.reason})) >= 10`),
    systemPolicy("compliance_waivers"),
    ...creatorReadReviewerWrite("compliance_waivers"),
  ],
);

/**
 * A creator's request that a reviewer waive a finding they believe is a false positive. The creator
 * team (owner or staff) writes it; a reviewer decides it: granting creates a compliance_waivers row
 * (`waiver_id`), declining records the comment. Both steps are audited.
 */
export const complianceWaiverRequests = pgTable(
  "compliance_waiver_requests",
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
    jurisdiction: text().notNull(),
    ruleId: text().notNull(),
    reason: text().notNull(),
    requestedBy: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "restrict" }),
    /** open → granted | declined */
    status: text().notNull().default("open"),
    decidedBy: uuid().references(() => users.id, { onDelete: "restrict" }),
    decidedAt: ts(),
    decisionComment: text(),
    waiverId: uuid().references(() => complianceWaivers.id, { onDelete: "restrict" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("compliance_waiver_requests_tier_idx").on(t.tierId, t.status),
    uniqueIndex("compliance_waiver_requests_one_open")
      .on(t.tierId, t.jurisdiction, t.ruleId)
      .where(sql`${t.status} = 'open'`),
    check("compliance_waiver_requests_status", sql`${t.status} in ('open', 'granted', 'declined')`),
    check("compliance_waiver_requests_reason", sql`length(btrim(${t.reason})) >= 10`),
    systemPolicy("compliance_waiver_requests"),
    pgPolicy("compliance_waiver_requests_read", {
      as: "permissive",
      for: "select",
      to: kilnApp,
      using: creatorRule,
    }),
    pgPolicy("compliance_waiver_requests_creator_insert", {
      as: "permissive",
      for: "insert",
      to: kilnApp,
      withCheck: sql`coop_id = kiln_coop_id() and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff')`,
    }),
    pgPolicy("compliance_waiver_requests_reviewer_update", {
      as: "permissive",
      for: "update",
      to: kilnApp,
      using: reviewerRule,
      withCheck: reviewerRule,
    }),
  ],
);

/** Per-co-op review settings (a missing row means the defaults). */
export const complianceSettings = pgTable(
  "compliance_settings",
  {
    coopId: uuid()
      .primaryKey()
      .references(() => coops.id, { onDelete: "cascade" }),
    /** 1 or 2: how many distinct reviewers must approve a terms version. */
    requiredApprovals: integer().notNull().default(1),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("compliance_settings_approvals", sql`${t.requiredApprovals} between 1 and 2`),
    systemPolicy("compliance_settings"),
    coopPolicy("compliance_settings"),
  ],
);

/**
 * A member's consent at the order button (checklist X-C4). Append-only for the application (a
 * migration narrows the grants); IP and user agent are NOT here but in audit_personal_data
 * (`personal_data_id`), so the retention job can erase them while the chain keeps verifying.
 */
export const consents = pgTable(
  "consents",
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
    termsVersionId: uuid()
      .notNull()
      .references(() => termsVersions.id, { onDelete: "restrict" }),
    termsHash: text().notNull(),
    disclosureHash: text().notNull(),
    disclosureText: text().notNull(),
    buttonLabel: text().notNull(),
    checkboxes: jsonb().notNull().$type<Array<{ name: string; label: string; checked: boolean }>>(),
    priceShown: jsonb().notNull().$type<{ amountMinor: number; currency: string; interval: string }>(),
    jurisdiction: text().notNull(),
    locale: text().notNull(),
    trialEndsAt: ts(),
    consentedAt: ts().notNull(),
    /** When the contract ended (billing sets it); retention counts 1 year from it (CA § 17602(a)(6)). */
    contractEndedAt: ts(),
    retainUntil: ts().notNull(),
    personalDataId: uuid().references(() => auditPersonalData.id, { onDelete: "restrict" }),
    personalDataErasedAt: ts(),
    auditSeq: integer(),
    isExpressStartRequest: boolean().notNull().default(false),
    /**
     * The setup Checkout Session the order was placed with (billing). One consent per session, so a
     * double press or a retry reuses it, and with it the idempotency key of the Stripe create call.
     */
    checkoutSessionId: text(),
  },
  (t) => [
    uniqueIndex("consents_checkout_session_key").on(t.checkoutSessionId),
    index("consents_coop_idx").on(t.coopId, t.consentedAt),
    index("consents_member_idx").on(t.memberUserId),
    index("consents_retention_idx").on(t.retainUntil),
    systemPolicy("consents"),
    pgPolicy("consents_member_read", {
      as: "permissive",
      for: "select",
      to: kilnApp,
      using: sql`member_user_id = kiln_user_id()`,
    }),
    pgPolicy("consents_member_insert", {
      as: "permissive",
      for: "insert",
      to: kilnApp,
      withCheck: sql`member_user_id = kiln_user_id()`,
    }),
    pgPolicy("consents_reviewer_read", {
      as: "permissive",
      for: "select",
      to: kilnApp,
      using: sql`coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer')`,
    }),
  ],
);
