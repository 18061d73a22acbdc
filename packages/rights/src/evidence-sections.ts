import { and, asc, eq, inArray, or, type SQL } from "drizzle-orm";
import { schema, type Tx } from "@kiln/db";

/**
 * The pluggable sections of an evidence pack: notices sent, cancellations, withdrawals and refunds.
 * Each collects its rows for the pack's scope (always inside the co-op) and names the audit subjects
 * that concern them, so the pack's chain proof covers them too. A section whose table does not exist
 * in this build is reported as "not recorded" instead of silently empty.
 */
export interface EvidenceScopeIds {
  coopId: string;
  memberUserIds: string[] | null;
  tierIds: string[];
  subscriptionIds: string[];
  consentIds: string[];
}

export interface AuditSubject {
  type: string;
  id: string;
}

export interface SectionResult {
  rows: Array<Record<string, unknown>>;
  subjects: AuditSubject[];
}

export interface EvidenceSection {
  key: "notices" | "priceChanges" | "cancellations" | "withdrawals" | "refunds";
  /** Null when the table is not part of this build. */
  collect: ((tx: Tx, scope: EvidenceScopeIds) => Promise<SectionResult>) | null;
}

/** Plain JSON: Dates as ISO strings, undefined dropped (what the canonical form and a reader see). */
export const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

type AnyTable = Record<string, unknown>;
const tables = schema as unknown as Record<string, AnyTable | undefined>;

/** Rows of an optional table (by its schema export name) that belong to the scope. */
async function scopedRows(
  tx: Tx,
  tableName: string,
  scope: EvidenceScopeIds,
  subjectType: string,
  omit: readonly string[],
) {
  const table = tables[tableName] as
    (AnyTable & { coopId: never; memberUserId?: never; subscriptionId?: never; tierId?: never; id: never }) | undefined;
  if (!table) return null;
  const byScope: SQL[] = [];
  if (scope.subscriptionIds.length && table.subscriptionId)
    byScope.push(inArray(table.subscriptionId, scope.subscriptionIds));
  if (scope.memberUserIds?.length && table.memberUserId) byScope.push(inArray(table.memberUserId, scope.memberUserIds));
  if (!scope.memberUserIds && scope.tierIds.length && table.tierId) byScope.push(inArray(table.tierId, scope.tierIds));
  if (!byScope.length) return { rows: [], subjects: [] };
  const rows = (await tx
    .select()
    .from(table as never)
    .where(and(eq(table.coopId, scope.coopId), or(...byScope)))
    .orderBy(asc(table.id))) as Array<Record<string, unknown>>;
  return {
    rows: rows.map((r) => plain(Object.fromEntries(Object.entries(r).filter(([k]) => !omit.includes(k))))),
    subjects: rows.map((r) => ({ type: subjectType, id: String(r.id) })),
  };
}

/** Columns never put in a pack: one-time form keys and internal retry state. */
const OMIT = ["submissionKey", "optInTokenHash", "receiptHash", "attempts", "lastError"] as const;

const section = (key: EvidenceSection["key"], tableName: string, subjectType: string): EvidenceSection => ({
  key,
  collect: tables[tableName]
    ? (tx, scope) => scopedRows(tx, tableName, scope, subjectType, OMIT).then((r) => r!)
    : null,
});

/**
 * Notices (H2: db/src/schema/notices.ts) and the rights tables (H1: db/src/schema/rights.ts), looked up
 * by their schema export names; sorted by id so the pack is deterministic.
 */
export const evidenceSections = (): EvidenceSection[] => [
  section("notices", "notices", "notice"),
  section("priceChanges", "priceChanges", "price_change"),
  section("cancellations", "cancellations", "cancellation"),
  section("withdrawals", "withdrawals", "withdrawal"),
  section("refunds", "refunds", "refund"),
];
