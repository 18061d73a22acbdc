/**
 * "Train now" (issue 9 §3): a co-op admin asks for a new model version; the pg-boss queue
 * `QUEUES.personalizationTrain` ("personalization.train") carries the request to the worker, whose
 * handler (train-job.ts) trains on the co-op's examples and registers the result as a candidate.
 */
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { withTenant, type Runtime, type TenantContext } from "@kiln/db";
import type { TrainJobData } from "./train-job.js";

/** What "train now" sends: the co-op and who asked (train-job.ts TrainJobDataSchema). */
export type TrainRequest = TrainJobData & { coopId: string };

export async function requestTraining(
  rt: Runtime,
  ctx: TenantContext,
  send: ((data: TrainRequest) => Promise<unknown>) | null,
): Promise<{ queued: true }> {
  if (ctx.role !== "coop_admin" || !ctx.coopId || !ctx.userId) throw new AppError("NOT_FOUND", "Not found");
  if (!send) throw new AppError("CONFLICT", "No job worker is running here: training cannot be queued");
  const data: TrainRequest = { coopId: ctx.coopId, requestedBy: ctx.userId };
  await send(data);
  await withTenant(rt, ctx, (tx) =>
    appendAudit(tx, rt.clock.now(), {
      coopId: data.coopId,
      actorUserId: ctx.userId,
      action: "personalization.training.requested",
      subjectType: "coop",
      subjectId: data.coopId,
    }),
  );
  return { queued: true };
}
