import { bigint, index, jsonb, pgTable, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts } from "./columns";
import { auditChainPolicies, auditPersonalDataPolicies, systemPolicy } from "./rls";
import { coopRef } from "./tenant-keys";

/**
 * The append-only, per-co-op hash chain. kiln_app and kiln_system may INSERT and SELECT only
 * (migration 0002 revokes the rest). Personal data never enters the chain: it sits in audit_personal_data,
 * referenced by id, so it can be erased while the chain still verifies.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    coopId: coopRef(),
    seq: bigint({ mode: "number" }).notNull(),
    prevHash: text().notNull(),
    hash: text().notNull(),
    action: text().notNull(),
    actorUserId: uuid(),
    subjectType: text(),
    subjectId: text(),
    data: jsonb().notNull().$type<Record<string, unknown>>(),
    personalDataId: uuid(),
    occurredAt: ts().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.coopId, t.seq] }),
    index("audit_log_subject_idx").on(t.coopId, t.subjectType, t.subjectId),
    systemPolicy("audit_log"),
    ...auditChainPolicies("audit_log"),
  ],
);

/** Personal data beside the chain; erasure blanks `data` and stamps `erased_at`. */
export const auditPersonalData = pgTable(
  "audit_personal_data",
  {
    id: id(),
    coopId: coopRef(),
    subjectUserId: uuid(),
    data: jsonb().$type<Record<string, unknown>>(),
    erasedAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_personal_data_subject_idx").on(t.subjectUserId),
    systemPolicy("audit_personal_data"),
    ...auditPersonalDataPolicies("audit_personal_data"),
  ],
);
