import { and, asc, eq, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { EditionSchema, type EditionInput } from "./schemas";
import { parseInput } from "./validate";

/**
 * Lifetime limits (issue 8 §2–3): a product may cap the units one member takes of it across all its
 * drops, and a co-op-wide edition (a collab of several creators' products) caps them across every
 * product in it. Each is a conditional upsert on the member's (co-op, member, subject) row in
 * lifetime_counters, inside the claim statement (kiln_claim_drop, migration 0050), so concurrent claims
 * on different creators' drops cannot pass the limit together; released and expired claims give their
 * units back (below).
 */

export type Edition = typeof schema.editions.$inferSelect;

/** Gives released claims' units back to the lifetime counters they took from (locked in a fixed order). */
export async function releaseLifetime(
  tx: Tx,
  claims: Array<{ coopId: string; memberUserId: string; quantity: number; lifetimeSubjectIds: string[] }>,
): Promise<void> {
  const rows = new Map<string, { coopId: string; memberUserId: string; subjectId: string; q: number }>();
  for (const c of claims)
    for (const subjectId of c.lifetimeSubjectIds) {
      const key = `${subjectId}:${c.memberUserId}`;
      const row = rows.get(key) ?? { coopId: c.coopId, memberUserId: c.memberUserId, subjectId, q: 0 };
      row.q += c.quantity;
      rows.set(key, row);
    }
  for (const [, r] of [...rows].sort(([a], [b]) => (a < b ? -1 : 1)))
    await tx.execute(sql`
      update lifetime_counters set taken = taken - ${r.q}
      where coop_id = ${r.coopId} and member_user_id = ${r.memberUserId} and subject_id = ${r.subjectId}`);
}

/** A co-op admin creates a co-op-wide edition; the co-op's creators attach products to it. */
export async function createEdition(rt: Runtime, ctx: TenantContext, input: EditionInput): Promise<Edition> {
  if (ctx.role !== "coop_admin" || !ctx.coopId || !ctx.userId) throw new AppError("NOT_FOUND", "Not found");
  const value = parseInput(EditionSchema, input);
  return withTenant(rt, ctx, async (tx) => {
    const [edition] = await tx
      .insert(schema.editions)
      .values({ ...value, coopId: ctx.coopId! })
      .returning();
    await appendAudit(tx, rt.clock.now(), {
      coopId: ctx.coopId!,
      actorUserId: ctx.userId,
      action: "drops.edition.created",
      subjectType: "edition",
      subjectId: edition!.id,
      data: { name: value.name, lifetimeLimit: value.lifetimeLimit },
    });
    return edition!;
  });
}

/** The co-op's editions, for a creator attaching a product (RLS: the co-op's own only). */
export async function listEditions(rt: Runtime, ctx: TenantContext): Promise<Edition[]> {
  return withTenant(rt, ctx, (tx) => tx.select().from(schema.editions).orderBy(asc(schema.editions.name)));
}

/** An edition of the product's co-op, visible in the creator's context; NOT_FOUND otherwise. */
export async function assertEdition(tx: Tx, coopId: string, editionId: string): Promise<void> {
  const [found] = await tx
    .select({ id: schema.editions.id })
    .from(schema.editions)
    .where(and(eq(schema.editions.id, editionId), eq(schema.editions.coopId, coopId)));
  if (!found) throw new AppError("NOT_FOUND", "Edition not found", { fields: { editionId: ["Not found"] } });
}

/** Units the member holds or bought of a product or edition (tests, the member's pages). */
export async function lifetimeTaken(tx: Tx, coopId: string, memberUserId: string, subjectId: string) {
  const [row] = await tx
    .select({ taken: schema.lifetimeCounters.taken })
    .from(schema.lifetimeCounters)
    .where(
      and(
        eq(schema.lifetimeCounters.coopId, coopId),
        eq(schema.lifetimeCounters.memberUserId, memberUserId),
        eq(schema.lifetimeCounters.subjectId, subjectId),
      ),
    );
  return row?.taken ?? 0;
}
