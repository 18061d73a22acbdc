import { and, asc, desc, eq, gt, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import type { ExplanationPart, BoundBy } from "./explain";
import { addDays, periodStart } from "./periods";

/**
 * Locked allocations: what a creator may put into drops, what a factory makes. Only the locked plan
 * of a window's locked run counts (rows carry is_locked, so creators and operators can read them
 * without seeing the co-op's runs).
 */

export interface LockedBatch {
  factoryId: string;
  factoryName: string;
  units: number;
  /** Window start + the factory's lead time. */
  shipBy: string;
  /** Capacity changed after locking: why this batch needs re-planning (null: on plan). */
  flagReason: string | null;
  /** The revised ship-by date when flagged (null: none found yet, or not flagged). */
  revisedShipBy: string | null;
}

export interface LockedAllocation {
  creatorId: string;
  capability: string;
  period: string;
  units: number;
  batches: LockedBatch[];
}

/** The same, inside a caller's transaction (drops take stock in one transaction). */
export async function selectLockedAllocation(
  tx: Tx,
  query: { creatorId: string; capability: string; period: string },
): Promise<LockedAllocation> {
  const rows = await tx
    .select({
      factoryId: schema.allocations.factoryId,
      factoryName: schema.factories.name,
      leadTimeDays: schema.factories.leadTimeDays,
      units: schema.allocations.units,
      flagReason: schema.allocations.flagReason,
      revisedShipBy: schema.allocations.revisedShipBy,
    })
    .from(schema.allocations)
    .innerJoin(schema.factories, eq(schema.factories.id, schema.allocations.factoryId))
    .where(
      and(
        eq(schema.allocations.creatorId, query.creatorId),
        eq(schema.allocations.capability, query.capability),
        eq(schema.allocations.period, query.period),
        eq(schema.allocations.isLocked, true),
        gt(schema.allocations.units, 0),
      ),
    )
    .orderBy(asc(schema.factories.name), asc(schema.allocations.factoryId));
  const byFactory = new Map<string, LockedBatch>();
  for (const r of rows) {
    const b = byFactory.get(r.factoryId);
    if (b) {
      b.units += r.units;
      b.flagReason ??= r.flagReason;
      if (r.flagReason && (b.revisedShipBy === null || (r.revisedShipBy ?? "") > b.revisedShipBy))
        b.revisedShipBy = r.revisedShipBy;
    } else
      byFactory.set(r.factoryId, {
        factoryId: r.factoryId,
        factoryName: r.factoryName,
        units: r.units,
        shipBy: addDays(periodStart(query.period), r.leadTimeDays),
        flagReason: r.flagReason,
        revisedShipBy: r.revisedShipBy,
      });
  }
  const batches = [...byFactory.values()];
  return { ...query, units: batches.reduce((s, b) => s + b.units, 0), batches };
}

/**
 * The units a creator holds for a capability in a window (issue 8's drops consume these). A creator
 * team may ask only for its own creator, an admin for any of the co-op's; anything else is NOT_FOUND.
 */
export async function getLockedAllocation(
  rt: Runtime,
  ctx: TenantContext,
  query: { creatorId: string; capability: string; window: string },
): Promise<LockedAllocation> {
  const isTeam = (ctx.role === "creator_owner" || ctx.role === "creator_staff") && ctx.creatorId === query.creatorId;
  if (!ctx.coopId || !(isTeam || ctx.role === "coop_admin")) throw new AppError("NOT_FOUND", "Not found");
  return withTenant(rt, ctx, (tx) =>
    selectLockedAllocation(tx, { creatorId: query.creatorId, capability: query.capability, period: query.window }),
  );
}

export interface CreatorAllocation {
  requestId: string;
  capability: string;
  period: string;
  requested: number;
  allocated: number;
  fairShare: number;
  boundBy: BoundBy;
  parts: ExplanationPart[];
  batches: LockedBatch[];
}

/** A creator's locked allocations with the explanation of each (their own only: RLS). */
export async function listCreatorAllocations(rt: Runtime, ctx: TenantContext): Promise<CreatorAllocation[]> {
  if (!ctx.creatorId || !ctx.coopId) throw new AppError("NOT_FOUND", "Not found");
  const creatorId = ctx.creatorId;
  return withTenant(rt, ctx, async (tx) => {
    const outcomes = await tx
      .select({
        requestId: schema.allocationOutcomes.requestId,
        capability: schema.capacityRequests.capability,
        period: schema.capacityRequests.period,
        requested: schema.allocationOutcomes.requestedUnits,
        allocated: schema.allocationOutcomes.allocatedUnits,
        fairShare: schema.allocationOutcomes.fairShare,
        boundBy: schema.allocationOutcomes.boundBy,
        explanation: schema.allocationOutcomes.explanation,
      })
      .from(schema.allocationOutcomes)
      .innerJoin(schema.capacityRequests, eq(schema.capacityRequests.id, schema.allocationOutcomes.requestId))
      .where(and(eq(schema.allocationOutcomes.creatorId, creatorId), eq(schema.allocationOutcomes.isLocked, true)))
      .orderBy(desc(schema.capacityRequests.period), asc(schema.capacityRequests.createdAt));
    const batches = await tx
      .select({
        requestId: schema.allocations.requestId,
        factoryId: schema.allocations.factoryId,
        factoryName: schema.factories.name,
        leadTimeDays: schema.factories.leadTimeDays,
        units: schema.allocations.units,
        period: schema.allocations.period,
        flagReason: schema.allocations.flagReason,
        revisedShipBy: schema.allocations.revisedShipBy,
      })
      .from(schema.allocations)
      .innerJoin(schema.factories, eq(schema.factories.id, schema.allocations.factoryId))
      .where(
        and(
          eq(schema.allocations.creatorId, creatorId),
          eq(schema.allocations.isLocked, true),
          gt(schema.allocations.units, 0),
        ),
      )
      .orderBy(asc(schema.factories.name));
    return outcomes.map(({ explanation, boundBy, ...o }) => ({
      ...o,
      boundBy: boundBy as BoundBy,
      parts: (explanation as { parts: ExplanationPart[] }).parts,
      batches: batches
        .filter((b) => b.requestId === o.requestId)
        .map((b) => ({
          factoryId: b.factoryId,
          factoryName: b.factoryName,
          units: b.units,
          shipBy: addDays(periodStart(b.period), b.leadTimeDays),
          flagReason: b.flagReason,
          revisedShipBy: b.revisedShipBy,
        })),
    }));
  });
}

export interface FactoryWorkItem {
  allocationId: string;
  period: string;
  capability: string;
  creatorName: string;
  units: number;
  /** Promised: window start + the factory's lead time. */
  shipBy: string;
  startedAt: Date | null;
  shippedAt: Date | null;
  /** Capacity changed after locking (e.g. this factory was paused): the batch awaits re-planning. */
  flagReason: string | null;
  revisedShipBy: string | null;
}

function requireOperator(ctx: TenantContext) {
  if (ctx.role !== "factory_operator" || !ctx.factoryId || !ctx.coopId || !ctx.userId)
    throw new AppError("NOT_FOUND", "Not found");
  return { factoryId: ctx.factoryId, coopId: ctx.coopId, userId: ctx.userId };
}

/** A factory operator's work: the locked batches of their factory (RLS: their factory only). */
export async function listFactoryWork(rt: Runtime, ctx: TenantContext): Promise<FactoryWorkItem[]> {
  const { factoryId } = requireOperator(ctx);
  return withTenant(rt, ctx, async (tx) => {
    const rows = await tx
      .select({
        allocationId: schema.allocations.id,
        period: schema.allocations.period,
        capability: schema.allocations.capability,
        creatorName: schema.creators.displayName,
        units: schema.allocations.units,
        leadTimeDays: schema.factories.leadTimeDays,
        startedAt: schema.batchProgress.startedAt,
        shippedAt: schema.batchProgress.shippedAt,
        flagReason: schema.allocations.flagReason,
        revisedShipBy: schema.allocations.revisedShipBy,
      })
      .from(schema.allocations)
      .innerJoin(schema.creators, eq(schema.creators.id, schema.allocations.creatorId))
      .innerJoin(schema.factories, eq(schema.factories.id, schema.allocations.factoryId))
      .leftJoin(schema.batchProgress, eq(schema.batchProgress.allocationId, schema.allocations.id))
      .where(
        and(
          eq(schema.allocations.factoryId, factoryId),
          eq(schema.allocations.isLocked, true),
          gt(schema.allocations.units, 0),
        ),
      )
      .orderBy(asc(schema.allocations.period), asc(schema.allocations.capability), asc(schema.creators.displayName));
    return rows.map(({ leadTimeDays, ...r }) => ({ ...r, shipBy: addDays(periodStart(r.period), leadTimeDays) }));
  });
}

/**
 * The operator marks a locked batch of their factory: production started, then shipped (in that
 * order; each once). Another factory's batch, or one not locked, is NOT_FOUND.
 */
export async function markBatch(
  rt: Runtime,
  ctx: TenantContext,
  input: { allocationId: string; step: "started" | "shipped" },
): Promise<void> {
  const scope = requireOperator(ctx);
  await withTenant(rt, ctx, async (tx) => {
    const [batch] = await tx
      .select({
        id: schema.allocations.id,
        creatorId: schema.allocations.creatorId,
        units: schema.allocations.units,
        startedAt: schema.batchProgress.startedAt,
        shippedAt: schema.batchProgress.shippedAt,
      })
      .from(schema.allocations)
      .leftJoin(schema.batchProgress, eq(schema.batchProgress.allocationId, schema.allocations.id))
      .where(
        and(
          eq(schema.allocations.id, input.allocationId),
          eq(schema.allocations.factoryId, scope.factoryId),
          eq(schema.allocations.isLocked, true),
          gt(schema.allocations.units, 0),
        ),
      );
    if (!batch) throw new AppError("NOT_FOUND", "Not found");
    if (input.step === "started" && batch.startedAt)
      throw new AppError("CONFLICT", "Production of this batch was already marked as started");
    if (input.step === "shipped" && !batch.startedAt)
      throw new AppError("CONFLICT", "Mark production as started first");
    if (input.step === "shipped" && batch.shippedAt)
      throw new AppError("CONFLICT", "This batch was already marked as shipped");
    const now = rt.clock.now();
    await tx
      .insert(schema.batchProgress)
      .values({
        allocationId: batch.id,
        coopId: scope.coopId,
        factoryId: scope.factoryId,
        creatorId: batch.creatorId,
        startedAt: now,
        updatedByUserId: scope.userId,
      })
      .onConflictDoUpdate({
        target: schema.batchProgress.allocationId,
        set: { shippedAt: now, updatedByUserId: scope.userId, updatedAt: sql`kiln_now()` },
      });
    await appendAudit(tx, now, {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: `capacity.batch.${input.step}`,
      subjectType: "allocation",
      subjectId: batch.id,
      data: { factoryId: scope.factoryId, units: batch.units },
    });
  });
}

/** One CSV cell: quoted when needed; a leading = + - @ is neutralised so spreadsheets do not run it. */
const csvCell = (value: string | number) => {
  const raw = String(value);
  const text = typeof value === "string" && /^[=+\-@\t]/.test(raw) ? `'${raw}` : raw;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The operator's locked batches as CSV (one row per batch), for their own planning tools. */
export async function exportFactoryWorkCsv(rt: Runtime, ctx: TenantContext): Promise<string> {
  const work = await listFactoryWork(rt, ctx);
  const header = ["window", "capability", "creator", "units", "ship_by", "started_at", "shipped_at", "batch_id"];
  const rows = work.map((w) => [
    w.period,
    w.capability,
    w.creatorName,
    w.units,
    w.shipBy,
    w.startedAt?.toISOString() ?? "",
    w.shippedAt?.toISOString() ?? "",
    w.allocationId,
  ]);
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}
