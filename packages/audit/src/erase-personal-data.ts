import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { appendAudit } from "./append-audit";

const EraseSchema = z.object({ subjectUserId: z.uuid() });

/**
 * Erases a person's personal data beside the chain (system context): blanks `data`, stamps
 * `erased_at`. The chain keeps verifying, since it holds only the record's id. Each affected co-op's
 * chain records the erasure (how many records, no content). Returns the number of records erased.
 */
export async function erasePersonalData(rt: Runtime, input: { subjectUserId: string }): Promise<{ erased: number }> {
  const parsed = EraseSchema.safeParse(input);
  if (!parsed.success) throw new AppError("BAD_INPUT", "subjectUserId must be a user id");
  const { subjectUserId } = parsed.data;
  const now = rt.clock.now();
  return withSystem(rt, "audit-erasure", async (tx) => {
    const rows = await tx
      .update(schema.auditPersonalData)
      .set({ data: null, erasedAt: sql`kiln_now()` })
      .where(and(eq(schema.auditPersonalData.subjectUserId, subjectUserId), isNull(schema.auditPersonalData.erasedAt)))
      .returning({ coopId: schema.auditPersonalData.coopId });
    const perCoop = new Map<string, number>();
    for (const { coopId } of rows) perCoop.set(coopId, (perCoop.get(coopId) ?? 0) + 1);
    for (const [coopId, records] of [...perCoop].sort(([a], [b]) => a.localeCompare(b))) {
      await appendAudit(tx, now, {
        coopId,
        action: "audit.personal_data_erased",
        subjectType: "user",
        subjectId: subjectUserId,
        data: { records },
      });
    }
    return { erased: rows.length };
  });
}
