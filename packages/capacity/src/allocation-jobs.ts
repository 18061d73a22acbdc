import { and, count, desc, eq } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError, parseInput, isAppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import type { OptimalOptions } from "./optimal";
import { requireAdmin } from "./pool";
import { runAllocation, STAGE_PROGRESS } from "./runs";
import { RunRequestSchema, type RunAllocationFields } from "./schemas";

/**
 * Long allocation runs as pg-boss jobs (issue 7). A window with at least BACKGROUND_RUN_MIN_REQUESTS
 * open requests (or when the admin asks) is computed by the worker: an allocation_jobs row records
 * its stage and percent for the screen, which polls it, and the draft run it produced. Smaller
 * windows keep the synchronous path (the run page opens at once).
 */

/** The queue the worker listens on (also in @kiln/jobs QUEUES). */
export const ALLOCATION_QUEUE = "capacity-allocation";

/** From this many open requests in the window, a run goes to the background worker. */
export const BACKGROUND_RUN_MIN_REQUESTS = 100;

export type StartedAllocation = { kind: "run"; runId: string } | { kind: "job"; jobId: string };

export interface AllocationJob {
  id: string;
  period: string;
  allowBackup: boolean;
  status: "queued" | "running" | "done" | "failed";
  stage: string;
  progress: number;
  runId: string | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const jobColumns = {
  id: schema.allocationJobs.id,
  period: schema.allocationJobs.period,
  allowBackup: schema.allocationJobs.allowBackup,
  status: schema.allocationJobs.status,
  stage: schema.allocationJobs.stage,
  progress: schema.allocationJobs.progress,
  runId: schema.allocationJobs.runId,
  error: schema.allocationJobs.error,
  createdAt: schema.allocationJobs.createdAt,
  updatedAt: schema.allocationJobs.updatedAt,
};

/**
 * Starts a run: synchronously for a small window, else as a job handed to `send` (called after the
 * job row commits; on the embedded database a pg-boss send must not run inside a transaction).
 */
export async function startAllocation(
  rt: Runtime,
  ctx: TenantContext,
  input: RunAllocationFields & { background?: unknown },
  send: ((jobId: string) => Promise<unknown>) | null,
  options: OptimalOptions = {},
): Promise<StartedAllocation> {
  const scope = requireAdmin(ctx);
  const value = parseInput(RunRequestSchema, input);
  const [open] = await withTenant(rt, ctx, (tx) =>
    tx
      .select({ n: count() })
      .from(schema.capacityRequests)
      .where(
        and(
          eq(schema.capacityRequests.coopId, scope.coopId),
          eq(schema.capacityRequests.period, value.period),
          eq(schema.capacityRequests.status, "open"),
        ),
      ),
  );
  const isLong = value.background || (open?.n ?? 0) >= BACKGROUND_RUN_MIN_REQUESTS;
  if (!isLong || !send) {
    const { runId } = await runAllocation(rt, ctx, value, options);
    return { kind: "run", runId };
  }
  const job = await withTenant(rt, ctx, async (tx) => {
    const [row] = await tx
      .insert(schema.allocationJobs)
      .values({
        coopId: scope.coopId,
        period: value.period,
        allowBackup: value.allowBackup,
        requestedByUserId: scope.userId,
      })
      .returning({ id: schema.allocationJobs.id });
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.run.queued",
      subjectType: "allocation_job",
      subjectId: row!.id,
      data: { period: value.period, allowBackup: value.allowBackup, requests: open?.n ?? 0 },
    });
    return row!;
  });
  try {
    await send(job.id);
  } catch (error) {
    await withTenant(rt, ctx, (tx) =>
      tx
        .update(schema.allocationJobs)
        .set({ status: "failed", error: "The job could not be queued; run the allocation again" })
        .where(eq(schema.allocationJobs.id, job.id)),
    );
    throw error;
  }
  return { kind: "job", jobId: job.id };
}

/**
 * The worker's side: computes the job's run as the admin who asked (if they still are one), recording
 * each stage. Domain errors (a window now in the past, the role gone) fail the job with their message;
 * anything else fails it and is rethrown so pg-boss retries.
 */
export async function processAllocationJob(
  rt: Runtime,
  jobId: string,
  options: OptimalOptions = {},
): Promise<AllocationJob | null> {
  const job = await withSystem(rt, "capacity-allocation-job", async (tx) => {
    const [row] = await tx.select().from(schema.allocationJobs).where(eq(schema.allocationJobs.id, jobId));
    if (!row || row.status === "done") return null;
    const [role] = await tx
      .select({ id: schema.roleAssignments.id })
      .from(schema.roleAssignments)
      .where(
        and(
          eq(schema.roleAssignments.userId, row.requestedByUserId),
          eq(schema.roleAssignments.coopId, row.coopId),
          eq(schema.roleAssignments.role, "coop_admin"),
        ),
      );
    return { ...row, isStillAdmin: Boolean(role) };
  });
  if (!job) return null;
  const ctx: TenantContext = { userId: job.requestedByUserId, coopId: job.coopId, role: "coop_admin" };
  const update = (set: Partial<typeof schema.allocationJobs.$inferInsert>) =>
    withSystem(rt, "capacity-allocation-job", (tx) =>
      tx
        .update(schema.allocationJobs)
        .set({ ...set, updatedAt: rt.clock.now() })
        .where(eq(schema.allocationJobs.id, job.id))
        .returning(jobColumns),
    ).then((rows) => rows[0] as AllocationJob);
  if (!job.isStillAdmin) return update({ status: "failed", error: "Whoever started this run is no longer an admin" });
  await update({ status: "running", error: null });
  try {
    const { runId } = await runAllocation(
      rt,
      ctx,
      { period: job.period, allowBackup: job.allowBackup },
      {
        ...options,
        onStage: async (stage) => {
          await update({ stage, progress: STAGE_PROGRESS[stage] });
        },
      },
    );
    return update({ status: "done", stage: "done", progress: 100, runId });
  } catch (error) {
    const failed = await update({
      status: "failed",
      error: isAppError(error) ? error.message : "The allocation failed; the worker will try again",
    });
    if (!isAppError(error)) throw error;
    return failed;
  }
}

/** One job of the admin's co-op (another co-op's is NOT_FOUND). */
export async function getAllocationJob(
  rt: Runtime,
  ctx: TenantContext,
  unverifiedJobId: string,
): Promise<AllocationJob> {
  const scope = requireAdmin(ctx);
  if (!/^[0-9a-f-]{36}$/i.test(unverifiedJobId)) throw new AppError("NOT_FOUND", "Not found");
  const [row] = await withTenant(rt, ctx, (tx) =>
    tx
      .select(jobColumns)
      .from(schema.allocationJobs)
      .where(and(eq(schema.allocationJobs.id, unverifiedJobId), eq(schema.allocationJobs.coopId, scope.coopId))),
  );
  if (!row) throw new AppError("NOT_FOUND", "Not found");
  return row as AllocationJob;
}

/** The co-op's latest jobs (newest first), for the pool screen's status list. */
export async function listAllocationJobs(rt: Runtime, ctx: TenantContext, limit = 5): Promise<AllocationJob[]> {
  const scope = requireAdmin(ctx);
  const rows = await withTenant(rt, ctx, (tx) =>
    tx
      .select(jobColumns)
      .from(schema.allocationJobs)
      .where(eq(schema.allocationJobs.coopId, scope.coopId))
      .orderBy(desc(schema.allocationJobs.createdAt), desc(schema.allocationJobs.id))
      .limit(limit),
  );
  return rows as AllocationJob[];
}
