import { randomUUID } from "node:crypto";
import { desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "@kiln/core";
import { schema, type Tx } from "@kiln/db";
import { entryHash, GENESIS_HASH } from "./canonical";

const JsonObject = z.record(z.string(), z.unknown());

export const AuditEntrySchema = z.object({
  coopId: z.uuid(),
  action: z.string().min(1).max(200),
  actorUserId: z.uuid().nullish(),
  subjectType: z.string().min(1).max(100).nullish(),
  subjectId: z.string().min(1).max(200).nullish(),
  /** Facts about the action; never personal data (that goes in personalData). */
  data: JsonObject.optional(),
  /** Personal data (names, addresses, free text): stored beside the chain, erasable. */
  personalData: JsonObject.optional(),
  /** Whose personal data it is, so erasePersonalData can find it. */
  subjectUserId: z.uuid().nullish(),
});
export type AuditEntry = z.input<typeof AuditEntrySchema>;

/** Plain JSON as jsonb will give it back (drops undefined, turns Dates into strings). */
const asStoredJson = (value: Record<string, unknown>) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

/**
 * Appends one entry to its co-op's chain, in the caller's transaction (withTenant as kiln_app, or
 * withSystem). A transaction-scoped advisory lock per co-op serialises appenders, so seq has no gaps
 * and every entry links to the one before; the lock is released when the caller's transaction ends.
 * Inside withTenant, RLS lets a co-op's context append only to its own chain.
 */
export async function appendAudit(tx: Tx, occurredAt: Date, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
  const parsed = AuditEntrySchema.safeParse(entry);
  if (!parsed.success) {
    throw new AppError(
      "BAD_INPUT",
      `Invalid audit entry: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const e = parsed.data;
  if (Number.isNaN(occurredAt.getTime()))
    throw new AppError("BAD_INPUT", "Invalid audit entry: occurredAt is not a date");
  const data = asStoredJson(e.data ?? {});

  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`kiln.audit:${e.coopId}`}, 0))`);
  const [last] = await tx
    .select({ seq: schema.auditLog.seq, hash: schema.auditLog.hash })
    .from(schema.auditLog)
    .where(eq(schema.auditLog.coopId, e.coopId))
    .orderBy(desc(schema.auditLog.seq))
    .limit(1);

  let personalDataId: string | null = null;
  if (e.personalData) {
    personalDataId = randomUUID();
    await tx.insert(schema.auditPersonalData).values({
      id: personalDataId,
      coopId: e.coopId,
      subjectUserId: e.subjectUserId ?? null,
      data: asStoredJson(e.personalData),
    });
  }

  const row = {
    coopId: e.coopId,
    seq: (last?.seq ?? 0) + 1,
    prevHash: last?.hash ?? GENESIS_HASH,
    action: e.action,
    actorUserId: e.actorUserId ?? null,
    subjectType: e.subjectType ?? null,
    subjectId: e.subjectId ?? null,
    data,
    personalDataId,
    occurredAt,
  };
  const hash = entryHash(row);
  await tx.insert(schema.auditLog).values({ ...row, hash });
  return { seq: row.seq, hash };
}
