import { and, asc, eq, gt, gte, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { addDays, periodStart } from "./periods";
import { requireAdmin } from "./pool";

/**
 * Re-planning (issue 7): when capacity changes after a run was locked, the locked batches that no
 * longer fit are flagged, with a revised ship-by date, until the admin runs and locks the window again
 * (the new locked run supersedes the flagged allocations).
 *
 * Rules (deterministic):
 * - **Window reduced** (factory × capability × window): the window's locked, unshipped batches keep
 *   their place in the order their requests were submitted (then id) while they fit the new capacity;
 *   every batch after the first that does not fit is flagged `window_reduced`. Raising the window
 *   again clears the flag of batches that fit once more.
 * - **Factory paused**: every locked, unshipped batch of the factory is flagged `factory_paused`;
 *   resuming it clears those flags (and the window rule applies again).
 * - **Revised ship-by**: for each flagged batch (largest first, then id) the earliest ship date among
 *   the co-op's other active factory windows of the same capability, in the same or a later window,
 *   with enough free capacity (window units − unflagged locked units − batches already placed here):
 *   window start + that factory's lead time (ties: factory name, id). None: null ("no capacity left").
 */

export type FlagReason = "window_reduced" | "factory_paused";

interface FlagCandidate {
  id: string;
  factoryId: string;
  capability: string;
  period: string;
  units: number;
}

const lockedUnshipped = (tx: Tx, coopId: string) =>
  tx
    .select({
      id: schema.allocations.id,
      factoryId: schema.allocations.factoryId,
      capability: schema.allocations.capability,
      period: schema.allocations.period,
      units: schema.allocations.units,
      flagReason: schema.allocations.flagReason,
      submittedAt: schema.capacityRequests.createdAt,
    })
    .from(schema.allocations)
    .innerJoin(schema.capacityRequests, eq(schema.capacityRequests.id, schema.allocations.requestId))
    .leftJoin(schema.batchProgress, eq(schema.batchProgress.allocationId, schema.allocations.id))
    .where(
      and(
        eq(schema.allocations.coopId, coopId),
        eq(schema.allocations.isLocked, true),
        gt(schema.allocations.units, 0),
        isNull(schema.batchProgress.shippedAt),
      ),
    )
    .orderBy(asc(schema.capacityRequests.createdAt), asc(schema.allocations.id));

/** The earliest ship-by the remaining capacity allows for each batch (see the rule above). */
async function reviseShipBy(tx: Tx, coopId: string, flagged: FlagCandidate[]): Promise<Map<string, string | null>> {
  const revised = new Map<string, string | null>();
  if (flagged.length === 0) return revised;
  const capabilities = [...new Set(flagged.map((f) => f.capability))];
  const earliest = flagged.map((f) => f.period).sort()[0]!;
  const windows = await tx
    .select({
      factoryId: schema.capacityWindows.factoryId,
      factoryName: schema.factories.name,
      leadTimeDays: schema.factories.leadTimeDays,
      capability: schema.capacityWindows.capability,
      period: schema.capacityWindows.period,
      units: schema.capacityWindows.units,
    })
    .from(schema.capacityWindows)
    .innerJoin(schema.factories, eq(schema.factories.id, schema.capacityWindows.factoryId))
    .where(
      and(
        eq(schema.capacityWindows.coopId, coopId),
        eq(schema.factories.isActive, true),
        inArray(schema.capacityWindows.capability, capabilities),
        gte(schema.capacityWindows.period, earliest),
      ),
    );
  const used = await tx
    .select({
      factoryId: schema.allocations.factoryId,
      capability: schema.allocations.capability,
      period: schema.allocations.period,
      units: sql<number>`sum(${schema.allocations.units})::int`,
    })
    .from(schema.allocations)
    .where(
      and(
        eq(schema.allocations.coopId, coopId),
        eq(schema.allocations.isLocked, true),
        isNull(schema.allocations.flaggedAt),
        inArray(schema.allocations.capability, capabilities),
      ),
    )
    .groupBy(schema.allocations.factoryId, schema.allocations.capability, schema.allocations.period);
  const key = (w: { factoryId: string; capability: string; period: string }) =>
    `${w.factoryId}|${w.capability}|${w.period}`;
  const free = new Map(windows.map((w) => [key(w), w.units]));
  for (const u of used) if (free.has(key(u))) free.set(key(u), free.get(key(u))! - u.units);
  const order = [...flagged].sort((a, b) => b.units - a.units || a.id.localeCompare(b.id));
  for (const batch of order) {
    const options = windows
      .filter(
        (w) =>
          w.capability === batch.capability &&
          w.period >= batch.period &&
          !(w.factoryId === batch.factoryId && w.period === batch.period) &&
          (free.get(key(w)) ?? 0) >= batch.units,
      )
      .map((w) => ({ w, shipBy: addDays(periodStart(w.period), w.leadTimeDays) }))
      .sort(
        (a, b) =>
          a.shipBy.localeCompare(b.shipBy) ||
          a.w.factoryName.localeCompare(b.w.factoryName) ||
          a.w.factoryId.localeCompare(b.w.factoryId),
      );
    const best = options[0];
    if (best) free.set(key(best.w), free.get(key(best.w))! - batch.units);
    revised.set(batch.id, best?.shipBy ?? null);
  }
  return revised;
}

async function setFlags(tx: Tx, now: Date, coopId: string, flag: FlagCandidate[], reason: FlagReason, clear: string[]) {
  if (clear.length)
    await tx
      .update(schema.allocations)
      .set({ flaggedAt: null, flagReason: null, revisedShipBy: null, updatedAt: sql`kiln_now()` })
      .where(inArray(schema.allocations.id, clear));
  // Flag first (so they no longer count as used capacity), then compute the revised dates.
  if (flag.length)
    await tx
      .update(schema.allocations)
      .set({ flaggedAt: now, flagReason: reason, updatedAt: sql`kiln_now()` })
      .where(
        inArray(
          schema.allocations.id,
          flag.map((f) => f.id),
        ),
      );
  const revised = await reviseShipBy(tx, coopId, flag);
  for (const [id, shipBy] of revised)
    await tx.update(schema.allocations).set({ revisedShipBy: shipBy }).where(eq(schema.allocations.id, id));
}

/**
 * After a window's capacity was set (inside the admin's transaction): flag or clear its locked
 * batches. Returns how many batches are flagged now.
 */
export async function reflagWindow(
  tx: Tx,
  now: Date,
  coopId: string,
  window: { factoryId: string; capability: string; period: string; units: number },
): Promise<number> {
  const batches = (await lockedUnshipped(tx, coopId)).filter(
    (b) => b.factoryId === window.factoryId && b.capability === window.capability && b.period === window.period,
  );
  let left = window.units;
  const flag: FlagCandidate[] = [];
  const clear: string[] = [];
  for (const b of batches) {
    if (flag.length === 0 && b.units <= left) {
      left -= b.units;
      if (b.flagReason === "window_reduced") clear.push(b.id);
    } else if (b.flagReason !== "factory_paused") flag.push(b);
  }
  await setFlags(tx, now, coopId, flag, "window_reduced", clear);
  return flag.length;
}

/** After a factory was paused or resumed: flag (or clear) its locked, unshipped batches. */
export async function reflagFactory(
  tx: Tx,
  now: Date,
  coopId: string,
  factory: { factoryId: string; isActive: boolean },
): Promise<number> {
  const batches = (await lockedUnshipped(tx, coopId)).filter((b) => b.factoryId === factory.factoryId);
  if (factory.isActive) {
    const paused = batches.filter((b) => b.flagReason === "factory_paused");
    await setFlags(
      tx,
      now,
      coopId,
      [],
      "factory_paused",
      paused.map((b) => b.id),
    );
    // Resumed: the windows' own capacity decides again (a window may have been cut meanwhile).
    let flagged = 0;
    const windows = new Map(paused.map((b) => [`${b.capability}|${b.period}`, b]));
    for (const b of windows.values()) {
      const [w] = await tx
        .select({ units: schema.capacityWindows.units })
        .from(schema.capacityWindows)
        .where(
          and(
            eq(schema.capacityWindows.factoryId, factory.factoryId),
            eq(schema.capacityWindows.capability, b.capability),
            eq(schema.capacityWindows.period, b.period),
          ),
        );
      flagged += await reflagWindow(tx, now, coopId, { ...b, units: w?.units ?? 0 });
    }
    return flagged;
  }
  await setFlags(tx, now, coopId, batches, "factory_paused", []);
  return batches.length;
}

export interface FlaggedAllocation {
  allocationId: string;
  runId: string;
  period: string;
  capability: string;
  factoryName: string;
  creatorName: string;
  units: number;
  reason: FlagReason;
  flaggedAt: Date;
  shipBy: string;
  revisedShipBy: string | null;
}

/** The admin's list of locked batches that need re-planning. */
export async function listFlaggedAllocations(rt: Runtime, ctx: TenantContext): Promise<FlaggedAllocation[]> {
  const scope = requireAdmin(ctx);
  const rows = await withTenant(rt, ctx, (tx) =>
    tx
      .select({
        allocationId: schema.allocations.id,
        runId: schema.allocations.runId,
        period: schema.allocations.period,
        capability: schema.allocations.capability,
        factoryName: schema.factories.name,
        leadTimeDays: schema.factories.leadTimeDays,
        creatorName: schema.creators.displayName,
        units: schema.allocations.units,
        reason: schema.allocations.flagReason,
        flaggedAt: schema.allocations.flaggedAt,
        revisedShipBy: schema.allocations.revisedShipBy,
      })
      .from(schema.allocations)
      .innerJoin(schema.factories, eq(schema.factories.id, schema.allocations.factoryId))
      .innerJoin(schema.creators, eq(schema.creators.id, schema.allocations.creatorId))
      .where(
        and(
          eq(schema.allocations.coopId, scope.coopId),
          eq(schema.allocations.isLocked, true),
          isNotNull(schema.allocations.flaggedAt),
        ),
      )
      .orderBy(asc(schema.allocations.period), asc(schema.factories.name), asc(schema.allocations.id)),
  );
  return rows.map(({ leadTimeDays, reason, flaggedAt, ...r }) => ({
    ...r,
    reason: reason as FlagReason,
    flaggedAt: flaggedAt!,
    shipBy: addDays(periodStart(r.period), leadTimeDays),
  }));
}

/** Audit entry for a capacity change that flagged batches (called by pool operations). */
export async function auditFlags(tx: Tx, now: Date, scope: { coopId: string; userId: string }, flagged: number) {
  if (flagged === 0) return;
  await appendAudit(tx, now, {
    coopId: scope.coopId,
    actorUserId: scope.userId,
    action: "capacity.allocations.flagged",
    subjectType: "coop",
    subjectId: scope.coopId,
    data: { flagged },
  });
}
