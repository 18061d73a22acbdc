import { and, asc, desc, eq, ne } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError, parseInput } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import {
  explainPlan,
  utilisationOf,
  type ExplanationPart,
  type FactoryUtilisation,
  type RequestOutcome,
} from "./explain";
import { fairShare } from "./fair-share";
import { checkPlan, type AllocationInstance, type Batch, type Method, type Plan, type SolverReport } from "./instance";
import { optimalPlan, type OptimalOptions } from "./optimal";
import { reviseDropShipBy } from "./drop-dates";
import { queueRunLockedEmails } from "./notify";
import { isPastPeriod, periodStart } from "./periods";
import { coopTimezone, requireAdmin } from "./pool";
import {
  AdjustAllocationSchema,
  LockRunSchema,
  RunAllocationSchema,
  type AdjustAllocationFields,
  type RunAllocationFields,
} from "./schemas";

/**
 * Allocation runs: load a window's instance, compute the fair and the optimal plan side by side,
 * store both with the inputs and explanations, let the admin adjust a draft by hand and lock one plan.
 */

export const METHODS: readonly Method[] = ["fair", "optimal"];

export interface PlanSummary {
  totalUnits: number;
  requestedUnits: number;
  fairShares: Record<string, number>;
  dropped: string[];
  solver: SolverReport | null;
}
type RunSummary = Record<Method, PlanSummary>;

async function loadInstance(tx: Tx, coopId: string, period: string, allowBackup: boolean): Promise<AllocationInstance> {
  const factories = await tx
    .select({
      id: schema.factories.id,
      name: schema.factories.name,
      location: schema.factories.location,
      isBackup: schema.factories.isBackup,
      isActive: schema.factories.isActive,
      leadTimeDays: schema.factories.leadTimeDays,
      costPerUnitCents: schema.factories.costPerUnitCents,
    })
    .from(schema.factories)
    .where(eq(schema.factories.coopId, coopId))
    .orderBy(asc(schema.factories.id));
  const windows = await tx
    .select({
      factoryId: schema.capacityWindows.factoryId,
      capability: schema.capacityWindows.capability,
      units: schema.capacityWindows.units,
    })
    .from(schema.capacityWindows)
    .where(and(eq(schema.capacityWindows.coopId, coopId), eq(schema.capacityWindows.period, period)))
    .orderBy(asc(schema.capacityWindows.factoryId), asc(schema.capacityWindows.capability));
  const requests = await tx
    .select({
      id: schema.capacityRequests.id,
      creatorId: schema.capacityRequests.creatorId,
      creatorName: schema.creators.displayName,
      capability: schema.capacityRequests.capability,
      units: schema.capacityRequests.units,
      minBatch: schema.capacityRequests.minBatch,
      weight: schema.creators.capacityWeight,
      preferredFactoryIds: schema.capacityRequests.preferredFactoryIds,
      latestShipDate: schema.capacityRequests.latestShipDate,
      createdAt: schema.capacityRequests.createdAt,
    })
    .from(schema.capacityRequests)
    .innerJoin(schema.creators, eq(schema.creators.id, schema.capacityRequests.creatorId))
    .where(
      and(
        eq(schema.capacityRequests.coopId, coopId),
        eq(schema.capacityRequests.period, period),
        eq(schema.capacityRequests.status, "open"),
      ),
    )
    .orderBy(asc(schema.capacityRequests.createdAt), asc(schema.capacityRequests.id));
  return {
    period,
    windowStart: periodStart(period),
    allowBackup,
    factories,
    windows,
    requests: requests.map(({ createdAt, ...r }) => ({ ...r, submittedAt: createdAt.toISOString() })),
  };
}

const summarise = (instance: AllocationInstance, plan: Plan): PlanSummary => ({
  totalUnits: plan.batches.reduce((s, b) => s + b.units, 0),
  requestedUnits: instance.requests.reduce((s, r) => s + r.units, 0),
  fairShares: plan.fairShares,
  dropped: plan.dropped,
  solver: plan.solver ?? null,
});

async function writePlan(tx: Tx, coopId: string, runId: string, instance: AllocationInstance, plan: Plan) {
  const requests = new Map(instance.requests.map((r) => [r.id, r]));
  const rows = plan.batches
    .filter((b) => b.units > 0)
    .map((b) => {
      const r = requests.get(b.requestId)!;
      return {
        coopId,
        runId,
        method: plan.method,
        requestId: b.requestId,
        creatorId: r.creatorId,
        factoryId: b.factoryId,
        capability: r.capability,
        period: instance.period,
        units: b.units,
      };
    });
  if (rows.length) await tx.insert(schema.allocations).values(rows);
  const outcomes = explainPlan(instance, plan);
  if (outcomes.length)
    await tx.insert(schema.allocationOutcomes).values(
      outcomes.map((o) => ({
        coopId,
        runId,
        method: plan.method,
        requestId: o.requestId,
        creatorId: o.creatorId,
        requestedUnits: o.requested,
        allocatedUnits: o.allocated,
        fairShare: o.fairShare,
        boundBy: o.boundBy,
        explanation: { parts: o.parts },
      })),
    );
}

/** A run's stages, with the percent done when each starts (a background job reports them). */
export type RunStage = "loading" | "fair" | "optimal" | "storing";
export const STAGE_PROGRESS: Record<RunStage, number> = { loading: 5, fair: 20, optimal: 35, storing: 90 };

/** Runs both solvers for a window and stores the draft run. HiGHS runs outside any transaction. */
export async function runAllocation(
  rt: Runtime,
  ctx: TenantContext,
  input: RunAllocationFields,
  { onStage, ...options }: OptimalOptions & { onStage?: (stage: RunStage) => Promise<void> } = {},
): Promise<{ runId: string }> {
  const scope = requireAdmin(ctx);
  await onStage?.("loading");
  const value = parseInput(RunAllocationSchema, input);
  const instance = await withTenant(rt, ctx, async (tx) => {
    if (isPastPeriod(value.period, rt.clock.now(), await coopTimezone(tx, scope.coopId)))
      throw new AppError("BAD_INPUT", "This production window is in the past", {
        fields: { period: ["This production window is in the past"] },
      });
    return loadInstance(tx, scope.coopId, value.period, value.allowBackup);
  });
  await onStage?.("fair");
  const fair = fairShare(instance);
  await onStage?.("optimal");
  const optimal = await optimalPlan(instance, fair, options);
  for (const plan of [fair, optimal]) {
    const problems = checkPlan(instance, plan.batches);
    if (problems.length) throw new Error(`allocation broke a rule: ${problems.join("; ")}`);
  }
  const summary: RunSummary = { fair: summarise(instance, fair), optimal: summarise(instance, optimal) };
  await onStage?.("storing");
  return withTenant(rt, ctx, async (tx) => {
    const [run] = await tx
      .insert(schema.allocationRuns)
      .values({
        coopId: scope.coopId,
        period: value.period,
        allowBackup: value.allowBackup,
        inputs: instance,
        summary,
        runByUserId: scope.userId,
      })
      .returning({ id: schema.allocationRuns.id });
    await writePlan(tx, scope.coopId, run!.id, instance, fair);
    await writePlan(tx, scope.coopId, run!.id, instance, optimal);
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.run.created",
      subjectType: "allocation_run",
      subjectId: run!.id,
      data: {
        period: value.period,
        allowBackup: value.allowBackup,
        requests: instance.requests.length,
        fairUnits: summary.fair.totalUnits,
        optimalUnits: summary.optimal.totalUnits,
        solverStatus: summary.optimal.solver?.status ?? null,
        mipGap: summary.optimal.solver?.mipGap ?? null,
      },
    });
    return { runId: run!.id };
  });
}

export interface RunListItem {
  id: string;
  period: string;
  status: string;
  allowBackup: boolean;
  lockedMethod: string | null;
  createdAt: Date;
  fairUnits: number;
  optimalUnits: number;
}

export async function listAllocationRuns(
  rt: Runtime,
  ctx: TenantContext,
  filter: { period?: string } = {},
): Promise<RunListItem[]> {
  const scope = requireAdmin(ctx);
  const rows = await withTenant(rt, ctx, (tx) =>
    tx
      .select({
        id: schema.allocationRuns.id,
        period: schema.allocationRuns.period,
        status: schema.allocationRuns.status,
        allowBackup: schema.allocationRuns.allowBackup,
        lockedMethod: schema.allocationRuns.lockedMethod,
        createdAt: schema.allocationRuns.createdAt,
        summary: schema.allocationRuns.summary,
      })
      .from(schema.allocationRuns)
      .where(
        and(
          eq(schema.allocationRuns.coopId, scope.coopId),
          filter.period ? eq(schema.allocationRuns.period, filter.period) : undefined,
        ),
      )
      .orderBy(desc(schema.allocationRuns.createdAt), desc(schema.allocationRuns.id))
      .limit(50),
  );
  return rows.map(({ summary, ...r }) => {
    const s = summary as RunSummary;
    return { ...r, fairUnits: s.fair.totalUnits, optimalUnits: s.optimal.totalUnits };
  });
}

export interface PlanView {
  method: Method;
  summary: PlanSummary;
  outcomes: (Omit<RequestOutcome, "parts"> & { parts: ExplanationPart[] })[];
  batches: (Batch & { factoryName: string; creatorName: string; capability: string; isAdjusted: boolean })[];
  utilisation: FactoryUtilisation[];
}

export interface RunView {
  id: string;
  period: string;
  status: string;
  allowBackup: boolean;
  lockedMethod: Method | null;
  lockedAt: Date | null;
  createdAt: Date;
  plans: Record<Method, PlanView>;
}

async function readRun(tx: Tx, coopId: string, runId: string) {
  const [run] = await tx
    .select()
    .from(schema.allocationRuns)
    .where(and(eq(schema.allocationRuns.id, runId), eq(schema.allocationRuns.coopId, coopId)));
  if (!run) throw new AppError("NOT_FOUND", "Not found");
  return { ...run, inputs: run.inputs as AllocationInstance, summary: run.summary as RunSummary };
}

async function readBatches(tx: Tx, runId: string, method: Method) {
  return tx
    .select({
      requestId: schema.allocations.requestId,
      factoryId: schema.allocations.factoryId,
      units: schema.allocations.units,
      isAdjusted: schema.allocations.isAdjusted,
      capability: schema.allocations.capability,
    })
    .from(schema.allocations)
    .where(and(eq(schema.allocations.runId, runId), eq(schema.allocations.method, method)))
    .orderBy(asc(schema.allocations.requestId), asc(schema.allocations.factoryId));
}

export async function getAllocationRun(rt: Runtime, ctx: TenantContext, unverifiedRunId: string): Promise<RunView> {
  const scope = requireAdmin(ctx);
  return withTenant(rt, ctx, async (tx) => {
    const run = await readRun(tx, scope.coopId, unverifiedRunId);
    const factories = new Map(run.inputs.factories.map((f) => [f.id, f]));
    const requests = new Map(run.inputs.requests.map((r) => [r.id, r]));
    const plans = {} as Record<Method, PlanView>;
    for (const method of METHODS) {
      const rows = (await readBatches(tx, run.id, method)).filter((b) => b.units > 0);
      const outcomes = await tx
        .select()
        .from(schema.allocationOutcomes)
        .where(and(eq(schema.allocationOutcomes.runId, run.id), eq(schema.allocationOutcomes.method, method)));
      const byRequest = new Map(outcomes.map((o) => [o.requestId, o]));
      plans[method] = {
        method,
        summary: run.summary[method],
        outcomes: run.inputs.requests
          .filter((r) => byRequest.has(r.id))
          .map((r) => {
            const o = byRequest.get(r.id)!;
            return {
              requestId: r.id,
              creatorId: r.creatorId,
              creatorName: r.creatorName,
              capability: r.capability,
              requested: o.requestedUnits,
              allocated: o.allocatedUnits,
              fairShare: o.fairShare,
              boundBy: o.boundBy as RequestOutcome["boundBy"],
              parts: (o.explanation as { parts: ExplanationPart[] }).parts,
            };
          }),
        batches: rows.map((b) => ({
          ...b,
          factoryName: factories.get(b.factoryId)?.name ?? b.factoryId,
          creatorName: requests.get(b.requestId)?.creatorName ?? "",
        })),
        utilisation: utilisationOf(run.inputs, { method, batches: rows, fairShares: {}, dropped: [] }),
      };
    }
    return {
      id: run.id,
      period: run.period,
      status: run.status,
      allowBackup: run.allowBackup,
      lockedMethod: run.lockedMethod as Method | null,
      lockedAt: run.lockedAt,
      createdAt: run.createdAt,
      plans,
    };
  });
}

/**
 * Locks one plan of a draft run; the window's previous locked run is superseded. The operators of the
 * factories with batches are emailed (outbox, same transaction); returns how many emails were queued.
 */
export async function lockAllocationRun(
  rt: Runtime,
  ctx: TenantContext,
  input: { runId: string; method: Method },
  options: { appUrl?: string } = {},
): Promise<{ emailsQueued: number }> {
  const scope = requireAdmin(ctx);
  const value = parseInput(LockRunSchema, input);
  return withTenant(rt, ctx, async (tx) => {
    const run = await readRun(tx, scope.coopId, value.runId);
    if (run.status !== "draft")
      throw new AppError("CONFLICT", "Only a draft run can be locked; run the allocation again");
    const previous = await tx
      .update(schema.allocationRuns)
      .set({ status: "superseded" })
      .where(
        and(
          eq(schema.allocationRuns.coopId, scope.coopId),
          eq(schema.allocationRuns.period, run.period),
          eq(schema.allocationRuns.status, "locked"),
          ne(schema.allocationRuns.id, run.id),
        ),
      )
      .returning({ id: schema.allocationRuns.id });
    for (const p of previous) {
      await tx.update(schema.allocations).set({ isLocked: false }).where(eq(schema.allocations.runId, p.id));
      await tx
        .update(schema.allocationOutcomes)
        .set({ isLocked: false })
        .where(eq(schema.allocationOutcomes.runId, p.id));
    }
    await tx
      .update(schema.allocationRuns)
      .set({ status: "locked", lockedMethod: value.method, lockedAt: rt.clock.now(), lockedByUserId: scope.userId })
      .where(eq(schema.allocationRuns.id, run.id));
    await tx
      .update(schema.allocations)
      .set({ isLocked: true })
      .where(and(eq(schema.allocations.runId, run.id), eq(schema.allocations.method, value.method)));
    await tx
      .update(schema.allocationOutcomes)
      .set({ isLocked: true })
      .where(and(eq(schema.allocationOutcomes.runId, run.id), eq(schema.allocationOutcomes.method, value.method)));
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.run.locked",
      subjectType: "allocation_run",
      subjectId: run.id,
      data: {
        period: run.period,
        method: value.method,
        units: run.summary[value.method].totalUnits,
        superseded: previous.map((p) => p.id),
      },
    });
    // Drops made from the window's allocations follow the newly locked plan's dates.
    await reviseDropShipBy(tx, rt.clock.now(), scope, { periods: [run.period] });
    const emailsQueued = await queueRunLockedEmails(tx, {
      coopId: scope.coopId,
      runId: run.id,
      method: value.method,
      period: run.period,
      appUrl: options.appUrl ?? "http://localhost:3000",
    });
    return { emailsQueued };
  });
}

/** An admin changes one batch of a draft plan by hand; the result must still keep every rule. */
export async function adjustAllocation(rt: Runtime, ctx: TenantContext, input: AdjustAllocationFields) {
  const scope = requireAdmin(ctx);
  const value = parseInput(AdjustAllocationSchema, input);
  await withTenant(rt, ctx, async (tx) => {
    const run = await readRun(tx, scope.coopId, value.runId);
    if (run.status !== "draft")
      throw new AppError("CONFLICT", "A locked run cannot be changed; run the allocation again");
    const request = run.inputs.requests.find((r) => r.id === value.requestId);
    if (!request || !run.inputs.factories.some((f) => f.id === value.factoryId))
      throw new AppError("NOT_FOUND", "Not found");
    const current = await readBatches(tx, run.id, value.method);
    const before = current.find((b) => b.requestId === value.requestId && b.factoryId === value.factoryId)?.units ?? 0;
    const batches: Batch[] = current
      .filter((b) => !(b.requestId === value.requestId && b.factoryId === value.factoryId))
      .map(({ requestId, factoryId, units }) => ({ requestId, factoryId, units }));
    if (value.units > 0) batches.push({ requestId: value.requestId, factoryId: value.factoryId, units: value.units });
    const problems = checkPlan(run.inputs, batches);
    if (problems.length)
      throw new AppError("BAD_INPUT", `This change breaks a rule: ${problems[0]}`, {
        fields: { units: [`This change breaks a rule: ${problems[0]}`] },
      });
    await tx
      .insert(schema.allocations)
      .values({
        coopId: scope.coopId,
        runId: run.id,
        method: value.method,
        requestId: request.id,
        creatorId: request.creatorId,
        factoryId: value.factoryId,
        capability: request.capability,
        period: run.period,
        units: value.units,
        isAdjusted: true,
      })
      .onConflictDoUpdate({
        target: [
          schema.allocations.runId,
          schema.allocations.method,
          schema.allocations.requestId,
          schema.allocations.factoryId,
        ],
        set: { units: value.units, isAdjusted: true },
      });
    const summary = run.summary[value.method];
    const plan: Plan = { method: value.method, batches, fairShares: summary.fairShares, dropped: summary.dropped };
    for (const o of explainPlan(run.inputs, plan))
      await tx
        .update(schema.allocationOutcomes)
        .set({ allocatedUnits: o.allocated, boundBy: o.boundBy, explanation: { parts: o.parts } })
        .where(
          and(
            eq(schema.allocationOutcomes.runId, run.id),
            eq(schema.allocationOutcomes.method, value.method),
            eq(schema.allocationOutcomes.requestId, o.requestId),
          ),
        );
    const totalUnits = batches.reduce((s, b) => s + b.units, 0);
    await tx
      .update(schema.allocationRuns)
      .set({ summary: { ...run.summary, [value.method]: { ...summary, totalUnits } } })
      .where(eq(schema.allocationRuns.id, run.id));
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.allocation.adjusted",
      subjectType: "allocation_run",
      subjectId: run.id,
      data: { method: value.method, requestId: request.id, factoryId: value.factoryId, from: before, to: value.units },
    });
  });
}
