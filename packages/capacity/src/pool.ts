import { and, asc, eq, gte, inArray, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError, parseInput } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { isPastPeriod, periodsOfQuarter } from "./periods";
import { reviseDropShipBy } from "./drop-dates";
import { auditFlags, reflagFactory, reflagWindow } from "./replan";
import {
  CreatorWeightSchema,
  FactoryActiveSchema,
  FactorySchema,
  QuarterWindowsSchema,
  WindowSchema,
  type FactoryFields,
  type QuarterWindowsFields,
  type WindowFields,
} from "./schemas";

/** Factories, capacity windows and creator weights: the co-op admin's side of the pool. */

export interface CoopScope {
  coopId: string;
  userId: string;
  ctx: TenantContext;
}

/** The co-op an admin context acts in; anyone else gets NOT_FOUND (a place you hold no role in). */
export function requireAdmin(ctx: TenantContext): CoopScope {
  if (ctx.role !== "coop_admin" || !ctx.coopId || !ctx.userId) throw new AppError("NOT_FOUND", "Not found");
  return { coopId: ctx.coopId, userId: ctx.userId, ctx };
}

export async function coopTimezone(tx: Tx, coopId: string): Promise<string> {
  const [coop] = await tx
    .select({ timezone: schema.coops.timezone })
    .from(schema.coops)
    .where(eq(schema.coops.id, coopId));
  if (!coop) throw new AppError("NOT_FOUND", "Not found");
  return coop.timezone;
}

const factoryColumns = {
  id: schema.factories.id,
  name: schema.factories.name,
  location: schema.factories.location,
  capabilities: schema.factories.capabilities,
  leadTimeDays: schema.factories.leadTimeDays,
  costPerUnitCents: schema.factories.costPerUnitCents,
  isBackup: schema.factories.isBackup,
  isActive: schema.factories.isActive,
};
export type Factory = { [K in keyof typeof factoryColumns]: (typeof factoryColumns)[K]["_"]["data"] };

export async function listFactories(rt: Runtime, ctx: TenantContext): Promise<Factory[]> {
  if (!ctx.coopId) return [];
  const coopId = ctx.coopId;
  return withTenant(rt, ctx, (tx) =>
    tx
      .select(factoryColumns)
      .from(schema.factories)
      .where(eq(schema.factories.coopId, coopId))
      .orderBy(asc(schema.factories.name), asc(schema.factories.id)),
  );
}

export async function createFactory(rt: Runtime, ctx: TenantContext, input: FactoryFields): Promise<Factory> {
  const scope = requireAdmin(ctx);
  const value = parseInput(FactorySchema, input);
  return withTenant(rt, ctx, async (tx) => {
    const [row] = await tx
      .insert(schema.factories)
      .values({ coopId: scope.coopId, ...value, capabilities: [...new Set(value.capabilities)].sort() })
      .returning(factoryColumns);
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.factory.created",
      subjectType: "factory",
      subjectId: row!.id,
      data: { capabilities: row!.capabilities, leadTimeDays: row!.leadTimeDays, isBackup: row!.isBackup },
    });
    return row!;
  });
}

export async function updateFactory(
  rt: Runtime,
  ctx: TenantContext,
  unverifiedFactoryId: string,
  input: FactoryFields,
): Promise<Factory> {
  const scope = requireAdmin(ctx);
  const value = parseInput(FactorySchema, input);
  return withTenant(rt, ctx, async (tx) => {
    const [row] = await tx
      .update(schema.factories)
      .set({ ...value, capabilities: [...new Set(value.capabilities)].sort(), updatedAt: sql`kiln_now()` })
      .where(and(eq(schema.factories.id, unverifiedFactoryId), eq(schema.factories.coopId, scope.coopId)))
      .returning(factoryColumns);
    if (!row) throw new AppError("NOT_FOUND", "Not found");
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.factory.updated",
      subjectType: "factory",
      subjectId: row.id,
      data: {
        capabilities: row.capabilities,
        leadTimeDays: row.leadTimeDays,
        isBackup: row.isBackup,
        isActive: row.isActive,
      },
    });
    const flagged = await reflagFactory(tx, rt.clock.now(), scope.coopId, {
      factoryId: row.id,
      isActive: row.isActive,
    });
    await auditFlags(tx, rt.clock.now(), scope, flagged);
    await reviseDropShipBy(tx, rt.clock.now(), scope);
    return row;
  });
}

/** Pauses or resumes a factory (a paused factory gets no allocation). */
export async function setFactoryActive(
  rt: Runtime,
  ctx: TenantContext,
  input: { factoryId: string; isActive: boolean },
): Promise<void> {
  const scope = requireAdmin(ctx);
  const value = parseInput(FactoryActiveSchema, input);
  await withTenant(rt, ctx, async (tx) => {
    const [row] = await tx
      .update(schema.factories)
      .set({ isActive: value.isActive, updatedAt: sql`kiln_now()` })
      .where(and(eq(schema.factories.id, value.factoryId), eq(schema.factories.coopId, scope.coopId)))
      .returning({ id: schema.factories.id });
    if (!row) throw new AppError("NOT_FOUND", "Not found");
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: value.isActive ? "capacity.factory.resumed" : "capacity.factory.paused",
      subjectType: "factory",
      subjectId: row.id,
    });
    const flagged = await reflagFactory(tx, rt.clock.now(), scope.coopId, {
      factoryId: row.id,
      isActive: value.isActive,
    });
    await auditFlags(tx, rt.clock.now(), scope, flagged);
    await reviseDropShipBy(tx, rt.clock.now(), scope);
  });
}

async function requireFactoryWith(tx: Tx, coopId: string, factoryId: string, capability: string) {
  const [factory] = await tx
    .select(factoryColumns)
    .from(schema.factories)
    .where(and(eq(schema.factories.id, factoryId), eq(schema.factories.coopId, coopId)));
  if (!factory) throw new AppError("NOT_FOUND", "Not found");
  if (!factory.capabilities.includes(capability))
    throw new AppError("BAD_INPUT", "This factory does not have that capability", {
      fields: { capability: ["This factory does not have that capability"] },
    });
  return factory;
}

async function upsertWindows(
  tx: Tx,
  coopId: string,
  rows: { factoryId: string; capability: string; period: string; units: number }[],
) {
  if (rows.length === 0) return;
  await tx
    .insert(schema.capacityWindows)
    .values(rows.map((r) => ({ coopId, ...r })))
    .onConflictDoUpdate({
      target: [schema.capacityWindows.factoryId, schema.capacityWindows.capability, schema.capacityWindows.period],
      set: { units: sql`excluded.units`, updatedAt: sql`kiln_now()` },
    });
}

const pastWindow = () =>
  new AppError("BAD_INPUT", "This production window is in the past", {
    fields: { period: ["This production window is in the past"] },
  });

/** Sets one window's capacity (creates or replaces it). */
export async function setWindow(rt: Runtime, ctx: TenantContext, input: WindowFields): Promise<void> {
  const scope = requireAdmin(ctx);
  const value = parseInput(WindowSchema, input);
  await withTenant(rt, ctx, async (tx) => {
    await requireFactoryWith(tx, scope.coopId, value.factoryId, value.capability);
    if (isPastPeriod(value.period, rt.clock.now(), await coopTimezone(tx, scope.coopId))) throw pastWindow();
    await upsertWindows(tx, scope.coopId, [value]);
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.window.set",
      subjectType: "factory",
      subjectId: value.factoryId,
      data: { capability: value.capability, period: value.period, units: value.units },
    });
    await auditFlags(tx, rt.clock.now(), scope, await reflagWindow(tx, rt.clock.now(), scope.coopId, value));
    await reviseDropShipBy(tx, rt.clock.now(), scope, { periods: [value.period] });
  });
}

/** Bulk entry: the same capacity for every week of a quarter that has not ended yet. */
export async function setQuarterWindows(
  rt: Runtime,
  ctx: TenantContext,
  input: QuarterWindowsFields,
): Promise<{ periods: string[] }> {
  const scope = requireAdmin(ctx);
  const value = parseInput(QuarterWindowsSchema, input);
  return withTenant(rt, ctx, async (tx) => {
    await requireFactoryWith(tx, scope.coopId, value.factoryId, value.capability);
    const timezone = await coopTimezone(tx, scope.coopId);
    const periods = periodsOfQuarter(value.quarter).filter((p) => !isPastPeriod(p, rt.clock.now(), timezone));
    if (periods.length === 0)
      throw new AppError("BAD_INPUT", "Every week of this quarter is in the past", {
        fields: { quarter: ["Every week of this quarter is in the past"] },
      });
    await upsertWindows(
      tx,
      scope.coopId,
      periods.map((period) => ({
        factoryId: value.factoryId,
        capability: value.capability,
        period,
        units: value.units,
      })),
    );
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.window.quarter_set",
      subjectType: "factory",
      subjectId: value.factoryId,
      data: { capability: value.capability, quarter: value.quarter, units: value.units, weeks: periods.length },
    });
    let flagged = 0;
    for (const period of periods) flagged += await reflagWindow(tx, rt.clock.now(), scope.coopId, { ...value, period });
    await auditFlags(tx, rt.clock.now(), scope, flagged);
    await reviseDropShipBy(tx, rt.clock.now(), scope, { periods });
    return { periods };
  });
}

export interface WindowRow {
  id: string;
  factoryId: string;
  factoryName: string;
  capability: string;
  period: string;
  units: number;
}

/** Windows the context may see (admins and creators: the co-op's; an operator: their factory's). */
export async function listWindows(
  rt: Runtime,
  ctx: TenantContext,
  filter: { periods?: string[]; fromPeriod?: string } = {},
): Promise<WindowRow[]> {
  if (!ctx.coopId) return [];
  const coopId = ctx.coopId;
  return withTenant(rt, ctx, (tx) =>
    tx
      .select({
        id: schema.capacityWindows.id,
        factoryId: schema.capacityWindows.factoryId,
        factoryName: schema.factories.name,
        capability: schema.capacityWindows.capability,
        period: schema.capacityWindows.period,
        units: schema.capacityWindows.units,
      })
      .from(schema.capacityWindows)
      .innerJoin(schema.factories, eq(schema.factories.id, schema.capacityWindows.factoryId))
      .where(
        and(
          eq(schema.capacityWindows.coopId, coopId),
          filter.periods ? inArray(schema.capacityWindows.period, filter.periods) : undefined,
          filter.fromPeriod ? gte(schema.capacityWindows.period, filter.fromPeriod) : undefined,
        ),
      )
      .orderBy(asc(schema.capacityWindows.period), asc(schema.factories.name), asc(schema.capacityWindows.capability)),
  );
}

/** The co-op's weight policy: equal (1) by default; an admin may weigh a creator up or down. */
export async function setCreatorWeight(
  rt: Runtime,
  ctx: TenantContext,
  input: { creatorId: string; weight: number },
): Promise<void> {
  const scope = requireAdmin(ctx);
  const value = parseInput(CreatorWeightSchema, input);
  await withTenant(rt, ctx, async (tx) => {
    const [row] = await tx
      .update(schema.creators)
      .set({ capacityWeight: value.weight, updatedAt: sql`kiln_now()` })
      .where(and(eq(schema.creators.id, value.creatorId), eq(schema.creators.coopId, scope.coopId)))
      .returning({ id: schema.creators.id });
    if (!row) throw new AppError("NOT_FOUND", "Not found");
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.weight.set",
      subjectType: "creator",
      subjectId: value.creatorId,
      data: { weight: value.weight },
    });
  });
}

/** The co-op's creators with their allocation weight (admins). */
export async function listCreatorWeights(
  rt: Runtime,
  ctx: TenantContext,
): Promise<{ id: string; displayName: string; weight: number }[]> {
  const scope = requireAdmin(ctx);
  return withTenant(rt, ctx, (tx) =>
    tx
      .select({
        id: schema.creators.id,
        displayName: schema.creators.displayName,
        weight: schema.creators.capacityWeight,
      })
      .from(schema.creators)
      .where(eq(schema.creators.coopId, scope.coopId))
      .orderBy(asc(schema.creators.displayName), asc(schema.creators.id)),
  );
}
