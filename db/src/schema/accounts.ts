import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  pgEnum,
  pgPolicy,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { creatorPolicy, kilnApp, ownerPolicy, systemPolicy } from "./rls";
import { coops, creators, factories } from "./tenancy";

/** A person. Users are global (one account across co-ops); "member" is any user. */
export const users = pgTable(
  "users",
  {
    id: id(),
    /** Stored normalised (trimmed, lower-case). */
    email: text().notNull(),
    emailVerifiedAt: ts(),
    passwordHash: text().notNull(),
    displayName: text().notNull(),
    /** UI language: "en" or "de"; null means "follow the browser". */
    locale: text(),
    /** ISO 3166-1 alpha-2 country and, for the US, the state (jurisdiction for consumer law). */
    country: text(),
    usState: text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    check("users_email_normalised", sql`${t.email} = lower(btrim(${t.email}))`),
    check("users_locale_known", sql`${t.locale} is null or ${t.locale} in ('en', 'de')`),
    systemPolicy("users"),
    ownerPolicy("users", sql`id`),
    // Co-op admins see the people who hold a role in their co-op.
    pgPolicy("users_coop_read", {
      as: "permissive",
      for: "select",
      to: kilnApp,
      using: sql`kiln_role() = 'coop_admin' and exists (select 1 from role_assignments ra where ra.user_id = users.id and ra.coop_id = kiln_coop_id())`,
    }),
  ],
);

export const roleName = pgEnum("role_name", [
  "coop_admin",
  "compliance_reviewer",
  "creator_owner",
  "creator_staff",
  "factory_operator",
]);
export type RoleName = (typeof roleName.enumValues)[number];

/**
 * Who may act where. Co-op roles name only the co-op; creator roles also the creator; factory
 * operators the factory. "Member" is not stored: every user is one.
 */
export const roleAssignments = pgTable(
  "role_assignments",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    coopId: uuid()
      .notNull()
      .references(() => coops.id, { onDelete: "cascade" }),
    creatorId: uuid().references(() => creators.id, { onDelete: "cascade" }),
    factoryId: uuid().references(() => factories.id, { onDelete: "cascade" }),
    role: roleName().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("role_assignments_unique").on(
      t.userId,
      t.role,
      t.coopId,
      sql`coalesce(${t.creatorId}, ${t.factoryId}, ${t.coopId})`,
    ),
    index("role_assignments_coop_idx").on(t.coopId),
    check(
      "role_assignments_scope",
      sql`(${t.role} in ('coop_admin', 'compliance_reviewer') and ${t.creatorId} is null and ${t.factoryId} is null)
        or (${t.role} in ('creator_owner', 'creator_staff') and ${t.creatorId} is not null and ${t.factoryId} is null)
        or (${t.role} = 'factory_operator' and ${t.factoryId} is not null and ${t.creatorId} is null)`,
    ),
    systemPolicy("role_assignments"),
    // A creator's context sees only its own creator's assignments; co-op contexts see the whole co-op.
    creatorPolicy("role_assignments"),
    pgPolicy("role_assignments_own_read", {
      as: "permissive",
      for: "select",
      to: kilnApp,
      using: sql`user_id = kiln_user_id()`,
    }),
  ],
);

/** An invitation by email to one role; the token is stored only as its SHA-256. */
export const invitations = pgTable(
  "invitations",
  {
    id: id(),
    coopId: uuid()
      .notNull()
      .references(() => coops.id, { onDelete: "cascade" }),
    creatorId: uuid().references(() => creators.id, { onDelete: "cascade" }),
    factoryId: uuid().references(() => factories.id, { onDelete: "cascade" }),
    role: roleName().notNull(),
    email: text().notNull(),
    tokenHash: text().notNull(),
    invitedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    expiresAt: ts().notNull(),
    acceptedAt: ts(),
    acceptedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    revokedAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("invitations_token_key").on(t.tokenHash),
    index("invitations_coop_idx").on(t.coopId),
    systemPolicy("invitations"),
    creatorPolicy("invitations"),
  ],
);

/** Lucia-style sessions: the id is the SHA-256 (hex) of the random token held in the cookie. */
export const sessions = pgTable(
  "sessions",
  {
    id: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: ts().notNull(),
    createdAt: createdAt(),
    userAgent: text(),
    ip: text(),
  },
  (t) => [index("sessions_user_idx").on(t.userId), systemPolicy("sessions"), ownerPolicy("sessions")],
);

/** Bearer tokens for /api/v1, hashed at rest, with scopes and expiry. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** SHA-256 (hex) of the secret; the secret is shown once, at creation. */
    tokenHash: text().notNull(),
    /** The first characters of the token, to tell tokens apart on the account page. */
    prefix: text().notNull(),
    scopes: text().array().notNull(),
    expiresAt: ts(),
    lastUsedAt: ts(),
    revokedAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("api_tokens_hash_key").on(t.tokenHash),
    index("api_tokens_user_idx").on(t.userId),
    systemPolicy("api_tokens"),
    ownerPolicy("api_tokens"),
  ],
);

export const userTokenKind = pgEnum("user_token_kind", ["verify_email", "reset_password"]);

/** Single-use, expiring tokens sent by email (verification, password reset); stored hashed. */
export const userTokens = pgTable(
  "user_tokens",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: userTokenKind().notNull(),
    tokenHash: text().notNull(),
    expiresAt: ts().notNull(),
    usedAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("user_tokens_hash_key").on(t.tokenHash), systemPolicy("user_tokens"), ownerPolicy("user_tokens")],
);

/** Fixed-window counters for rate limits (sign-in per account and per IP); shared by all web processes. */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text().notNull(),
    windowStart: ts().notNull(),
    count: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] }), systemPolicy("rate_limits")],
);
