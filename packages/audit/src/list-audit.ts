import { and, desc, eq, lt } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext } from "@kiln/db";

const ListSchema = z.object({
  coopId: z.uuid(),
  limit: z.number().int().min(1).max(500).default(50),
  beforeSeq: z.number().int().min(1).optional(),
});

export interface AuditListEntry {
  seq: number;
  hash: string;
  prevHash: string;
  action: string;
  actorUserId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
  occurredAt: Date;
  /** The personal data beside the entry; null when there is none or it was erased (see erasedAt). */
  personalData: Record<string, unknown> | null;
  personalDataErasedAt: Date | null;
}

/**
 * A page of a co-op's chain, newest first, in the caller's tenant context (RLS: another co-op's chain
 * reads as empty). Page on with `beforeSeq: nextBeforeSeq`.
 */
export async function listAudit(
  rt: Runtime,
  ctx: TenantContext,
  coopId: string,
  options: { limit?: number; beforeSeq?: number } = {},
): Promise<{ entries: AuditListEntry[]; nextBeforeSeq: number | null }> {
  const parsed = ListSchema.safeParse({ coopId, ...options });
  if (!parsed.success)
    throw new AppError("BAD_INPUT", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const { limit, beforeSeq } = parsed.data;
  const a = schema.auditLog;
  const p = schema.auditPersonalData;
  const rows = await withTenant(rt, ctx, (tx) =>
    tx
      .select({
        seq: a.seq,
        hash: a.hash,
        prevHash: a.prevHash,
        action: a.action,
        actorUserId: a.actorUserId,
        subjectType: a.subjectType,
        subjectId: a.subjectId,
        data: a.data,
        occurredAt: a.occurredAt,
        personalData: p.data,
        personalDataErasedAt: p.erasedAt,
      })
      .from(a)
      .leftJoin(p, eq(p.id, a.personalDataId))
      .where(and(eq(a.coopId, coopId), beforeSeq === undefined ? undefined : lt(a.seq, beforeSeq)))
      .orderBy(desc(a.seq))
      .limit(limit),
  );
  const entries = rows.map((r) => ({
    ...r,
    personalData: r.personalData ?? null,
    personalDataErasedAt: r.personalDataErasedAt ?? null,
  }));
  const last = entries.at(-1);
  return { entries, nextBeforeSeq: entries.length === limit && last && last.seq > 1 ? last.seq : null };
}
