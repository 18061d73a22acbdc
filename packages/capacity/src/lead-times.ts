import { and, asc, eq, gt, isNotNull, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError, parseInput } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { addDays, localDate, periodStart } from "./periods";
import { coopTimezone, requireAdmin } from "./pool";
import { CapacitySettingsSchema, type CapacitySettingsFields } from "./schemas";

/**
 * Lead times (issue 7): promised vs actual per shipped batch, and per factory (or creator) the on-time
 * rate, the mean and variance of the actual lead time and its delta vs the co-op's offshore baseline.
 *
 * A batch's lead time runs from its window's start (Monday) to the day it shipped, in the co-op's time
 * zone; the promised lead time is the factory's standard lead time, so the promised ship-by date is the
 * window start + that many days. On time: shipped on or before the promised date.
 */

/** The offshore baseline when a co-op has not set one: 6 weeks (production plus sea freight). */
export const DEFAULT_OFFSHORE_LEAD_TIME_DAYS = 42;

export interface LeadTimeSample {
  factoryId: string;
  factoryName: string;
  creatorId: string;
  creatorName: string;
  /** The window's start (YYYY-MM-DD). */
  windowStart: string;
  /** The factory's standard lead time: promised ship-by = window start + this. */
  promisedDays: number;
  /** The day the batch shipped (YYYY-MM-DD, co-op's zone). */
  shippedOn: string;
}

export interface LeadTimeStats {
  id: string;
  name: string;
  /** Shipped batches measured. */
  shipped: number;
  onTime: number;
  /** onTime / shipped (0..1). */
  onTimeRate: number;
  /** Mean actual lead time in days. */
  meanDays: number;
  /** Population variance of the actual lead time (days²). */
  varianceDays: number;
  /** Mean promised lead time in days. */
  meanPromisedDays: number;
  /** Mean of actual − promised (positive: late on average). */
  meanDelayDays: number;
  /** Mean actual lead time − the offshore baseline (negative: faster than offshore). */
  deltaVsOffshoreDays: number;
}

/** One shipped batch: promised vs actual. */
export interface LeadTimeBatch {
  allocationId: string;
  factoryName: string;
  creatorName: string;
  period: string;
  units: number;
  /** Window start + the factory's standard lead time. */
  promisedShipBy: string;
  shippedOn: string;
  promisedDays: number;
  actualDays: number;
  /** actual − promised (positive: late). */
  lateDays: number;
}

export interface LeadTimeReport {
  offshoreLeadTimeDays: number;
  /** Whether the co-op set the baseline (else DEFAULT_OFFSHORE_LEAD_TIME_DAYS). */
  isDefaultBaseline: boolean;
  factories: LeadTimeStats[];
  creators: LeadTimeStats[];
  /** The latest shipped batches (newest shipment first, at most LEAD_TIME_BATCHES). */
  batches: LeadTimeBatch[];
}

/** How many shipped batches the report lists one by one. */
export const LEAD_TIME_BATCHES = 50;

const DAY = 86_400_000;
const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Statistics per group (factory or creator), sorted by name then id; groups with no sample are absent. */
export function leadTimeStats(
  samples: readonly LeadTimeSample[],
  offshoreDays: number,
  groupBy: "factory" | "creator",
): LeadTimeStats[] {
  const groups = new Map<string, { name: string; actual: number[]; promised: number[] }>();
  for (const s of samples) {
    const id = groupBy === "factory" ? s.factoryId : s.creatorId;
    const name = groupBy === "factory" ? s.factoryName : s.creatorName;
    const g = groups.get(id) ?? { name, actual: [], promised: [] };
    g.actual.push(daysBetween(s.windowStart, s.shippedOn));
    g.promised.push(s.promisedDays);
    groups.set(id, g);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [...groups.entries()]
    .map(([id, g]) => {
      const m = mean(g.actual);
      const onTime = g.actual.filter((a, i) => a <= g.promised[i]!).length;
      const promised = mean(g.promised);
      return {
        id,
        name: g.name,
        shipped: g.actual.length,
        onTime,
        onTimeRate: round2(onTime / g.actual.length),
        meanDays: round2(m),
        varianceDays: round2(mean(g.actual.map((a) => (a - m) ** 2))),
        meanPromisedDays: round2(promised),
        meanDelayDays: round2(m - promised),
        deltaVsOffshoreDays: round2(m - offshoreDays),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

async function readBaseline(tx: Tx, coopId: string) {
  const [row] = await tx
    .select({ days: schema.capacitySettings.offshoreLeadTimeDays })
    .from(schema.capacitySettings)
    .where(eq(schema.capacitySettings.coopId, coopId));
  return row
    ? { offshoreLeadTimeDays: row.days, isDefaultBaseline: false }
    : { offshoreLeadTimeDays: DEFAULT_OFFSHORE_LEAD_TIME_DAYS, isDefaultBaseline: true };
}

/** The co-op admin's lead-time report over every shipped locked batch (per factory and per creator). */
export async function getLeadTimeReport(rt: Runtime, ctx: TenantContext): Promise<LeadTimeReport> {
  const scope = requireAdmin(ctx);
  return withTenant(rt, ctx, async (tx) => {
    const baseline = await readBaseline(tx, scope.coopId);
    const timezone = await coopTimezone(tx, scope.coopId);
    const rows = await tx
      .select({
        allocationId: schema.allocations.id,
        units: schema.allocations.units,
        factoryId: schema.allocations.factoryId,
        factoryName: schema.factories.name,
        creatorId: schema.allocations.creatorId,
        creatorName: schema.creators.displayName,
        period: schema.allocations.period,
        promisedDays: schema.factories.leadTimeDays,
        shippedAt: schema.batchProgress.shippedAt,
      })
      .from(schema.batchProgress)
      .innerJoin(schema.allocations, eq(schema.allocations.id, schema.batchProgress.allocationId))
      .innerJoin(schema.factories, eq(schema.factories.id, schema.allocations.factoryId))
      .innerJoin(schema.creators, eq(schema.creators.id, schema.allocations.creatorId))
      .where(
        and(
          eq(schema.allocations.coopId, scope.coopId),
          isNotNull(schema.batchProgress.shippedAt),
          gt(schema.allocations.units, 0),
        ),
      )
      .orderBy(asc(schema.allocations.id));
    const samples = rows.map(({ period, shippedAt, ...r }) => ({
      ...r,
      period,
      windowStart: periodStart(period),
      shippedOn: localDate(shippedAt!, timezone),
    }));
    const batches: LeadTimeBatch[] = samples
      .map((s) => {
        const actualDays = daysBetween(s.windowStart, s.shippedOn);
        return {
          allocationId: s.allocationId,
          factoryName: s.factoryName,
          creatorName: s.creatorName,
          period: s.period,
          units: s.units,
          promisedShipBy: addDays(s.windowStart, s.promisedDays),
          shippedOn: s.shippedOn,
          promisedDays: s.promisedDays,
          actualDays,
          lateDays: actualDays - s.promisedDays,
        };
      })
      .sort((a, b) => b.shippedOn.localeCompare(a.shippedOn) || a.allocationId.localeCompare(b.allocationId))
      .slice(0, LEAD_TIME_BATCHES);
    return {
      ...baseline,
      factories: leadTimeStats(samples, baseline.offshoreLeadTimeDays, "factory"),
      creators: leadTimeStats(samples, baseline.offshoreLeadTimeDays, "creator"),
      batches,
    };
  });
}

/** The co-op's capacity settings (the offshore baseline; the default when never set). */
export async function getCapacitySettings(rt: Runtime, ctx: TenantContext) {
  const scope = requireAdmin(ctx);
  return withTenant(rt, ctx, (tx) => readBaseline(tx, scope.coopId));
}

/** Sets the offshore lead-time baseline (audited). */
export async function setCapacitySettings(rt: Runtime, ctx: TenantContext, input: CapacitySettingsFields) {
  const scope = requireAdmin(ctx);
  const value = parseInput(CapacitySettingsSchema, input);
  await withTenant(rt, ctx, async (tx) => {
    const [coop] = await tx.select({ id: schema.coops.id }).from(schema.coops).where(eq(schema.coops.id, scope.coopId));
    if (!coop) throw new AppError("NOT_FOUND", "Not found");
    await tx
      .insert(schema.capacitySettings)
      .values({ coopId: scope.coopId, offshoreLeadTimeDays: value.offshoreLeadTimeDays })
      .onConflictDoUpdate({
        target: schema.capacitySettings.coopId,
        set: { offshoreLeadTimeDays: value.offshoreLeadTimeDays, updatedAt: sql`kiln_now()` },
      });
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.settings.set",
      subjectType: "coop",
      subjectId: scope.coopId,
      data: { offshoreLeadTimeDays: value.offshoreLeadTimeDays },
    });
  });
}
