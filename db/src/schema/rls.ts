import { sql, type SQL } from "drizzle-orm";
import { pgPolicy, pgRole } from "drizzle-orm/pg-core";

/**
 * Roles created by migration 0000 (never by drizzle-kit):
 * - kiln_app: what every request runs as (`SET LOCAL ROLE` inside `withTenant`); not owner, not BYPASSRLS.
 * - kiln_system: the explicit system context (`withSystem`) for jobs, auth look-ups and seeds;
 *   not BYPASSRLS either, it passes RLS only through the `system_all` policy each table declares.
 */
export const kilnApp = pgRole("kiln_app").existing();
export const kilnSystem = pgRole("kiln_system").existing();

/** The tenant context, read from transaction-local settings (see db/src/tenant.ts). */
export const ctx = {
  userId: sql`kiln_user_id()`,
  coopId: sql`kiln_coop_id()`,
  creatorId: sql`kiln_creator_id()`,
  role: sql`kiln_role()`,
};

/** Every table gets this: the system context may do anything the grants allow. */
export const systemPolicy = (table: string) =>
  pgPolicy(`${table}_system_all`, {
    as: "permissive",
    for: "all",
    to: kilnSystem,
    using: sql`true`,
    withCheck: sql`true`,
  });

/** A co-op's row: visible and writable only inside that co-op's context. */
export const coopPolicy = (table: string, coopColumn: SQL = sql`coop_id`) =>
  pgPolicy(`${table}_coop`, {
    as: "permissive",
    for: "all",
    to: kilnApp,
    using: sql`${coopColumn} = kiln_coop_id()`,
    withCheck: sql`${coopColumn} = kiln_coop_id()`,
  });

/**
 * A creator's row: inside its co-op, and, when the context names a creator, only that creator's.
 * Co-op-level contexts (admins, reviewers) leave kiln.creator_id empty and see all creators of the co-op.
 */
export const creatorPolicy = (table: string, creatorColumn: SQL = sql`creator_id`) => {
  const rule = sql`coop_id = kiln_coop_id() and (kiln_creator_id() is null or ${creatorColumn} = kiln_creator_id())`;
  return pgPolicy(`${table}_creator`, { as: "permissive", for: "all", to: kilnApp, using: rule, withCheck: rule });
};

/** A user's own row (sessions, tokens): the signed-in user only. */
export const ownerPolicy = (table: string, userColumn: SQL = sql`user_id`) =>
  pgPolicy(`${table}_owner`, {
    as: "permissive",
    for: "all",
    to: kilnApp,
    using: sql`${userColumn} = kiln_user_id()`,
    withCheck: sql`${userColumn} = kiln_user_id()`,
  });

/**
 * Audit tables. The chain itself (no personal data by design) is readable within its co-op, because
 * every appender must read the head it links to. The personal data beside it is readable only by
 * the co-op's admins and compliance reviewers; anyone acting in the co-op may add to both.
 */
export const auditChainPolicies = (table: string) => [
  pgPolicy(`${table}_append`, {
    as: "permissive",
    for: "insert",
    to: kilnApp,
    withCheck: sql`coop_id = kiln_coop_id()`,
  }),
  pgPolicy(`${table}_read`, { as: "permissive", for: "select", to: kilnApp, using: sql`coop_id = kiln_coop_id()` }),
];

export const auditPersonalDataPolicies = (table: string) => [
  pgPolicy(`${table}_append`, {
    as: "permissive",
    for: "insert",
    to: kilnApp,
    withCheck: sql`coop_id = kiln_coop_id()`,
  }),
  pgPolicy(`${table}_read`, {
    as: "permissive",
    for: "select",
    to: kilnApp,
    using: sql`coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer')`,
  }),
];

/** The factory a factory operator acts for (transaction-local `kiln.factory_id`, see db/src/tenant.ts). */
export const factoryIdSetting = sql`nullif(current_setting('kiln.factory_id', true), '')::uuid`;

const isCoopAdmin = sql`coop_id = kiln_coop_id() and kiln_role() = 'coop_admin'`;

/** Co-op admins may read and write the co-op's rows of this table. */
export const coopAdminPolicy = (table: string) =>
  pgPolicy(`${table}_coop_admin`, {
    as: "permissive",
    for: "all",
    to: kilnApp,
    using: isCoopAdmin,
    withCheck: isCoopAdmin,
  });

/** Read-only access for the co-op's contexts in the given roles. */
export const coopReadPolicy = (table: string, roles: readonly string[]) =>
  pgPolicy(`${table}_coop_read`, {
    as: "permissive",
    for: "select",
    to: kilnApp,
    using: sql`coop_id = kiln_coop_id() and kiln_role() in (${sql.raw(roles.map((r) => `'${r}'`).join(", "))})`,
  });

/** A creator team's own rows (the context names the creator): read only, or read and write. */
export const ownCreatorPolicy = (table: string, access: "select" | "all") => {
  const rule = sql`coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff')`;
  return pgPolicy(`${table}_own_creator`, {
    as: "permissive",
    for: access,
    to: kilnApp,
    using: rule,
    ...(access === "all" ? { withCheck: rule } : {}),
  });
};

/** A factory operator reads the rows of the factory named by `kiln.factory_id`, nothing else. */
export const factoryOperatorReadPolicy = (table: string) =>
  pgPolicy(`${table}_factory_operator`, {
    as: "permissive",
    for: "select",
    to: kilnApp,
    using: sql`coop_id = kiln_coop_id() and kiln_role() = 'factory_operator' and factory_id = ${factoryIdSetting}`,
  });

/** A factory operator reads and writes the rows of their own factory (e.g. batch progress). */
export const factoryOperatorWritePolicy = (table: string) => {
  const rule = sql`coop_id = kiln_coop_id() and kiln_role() = 'factory_operator' and factory_id = ${factoryIdSetting}`;
  return pgPolicy(`${table}_factory_operator_write`, {
    as: "permissive",
    for: "all",
    to: kilnApp,
    using: rule,
    withCheck: rule,
  });
};
