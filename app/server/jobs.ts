import { writeAllCheckpoints } from "@kiln/audit";
import { deleteExpiredAuthRows } from "@kiln/auth";
import { processAllocationJob } from "@kiln/capacity";
import { eraseExpiredConsentData, rereviewLiveTiers } from "@kiln/compliance";
import { runDropHoldJob } from "@kiln/drops";
import type { Config } from "@kiln/core";
import type { Runtime } from "@kiln/db";
import type { TrainRequest } from "@kiln/personalization";
import { createJobs, QUEUES, type Jobs } from "@kiln/jobs";
import { deliverOutbox, type MailTransport } from "@kiln/mail";
import { createTrainJobHandler, TRAIN_SCHEDULE } from "@kiln/personalization/train-job";
import { renderOrderPage } from "../app/compliance.server";
import { createStripeForConfig } from "./billing";

/** Compliance (issue 4): daily re-review of live tiers when rules change, and consent retention. */
const COMPLIANCE_QUEUES = {
  rereview: "compliance-rereview",
  consentRetention: "compliance-consent-retention",
} as const;

/**
 * The background work of this issue, registered on pg-boss: email outbox delivery (every minute and
 * on demand after an action queues mail), hourly signed audit checkpoints and a nightly clean-up of
 * expired sessions and tokens. Used by the web process
 * (embedded default, KILN_INLINE_WORKER) and by server/worker.ts.
 */
export async function startWorkers(rt: Runtime, config: Config, transport: MailTransport): Promise<Jobs> {
  const jobs = createJobs(rt.database);
  await jobs.start();
  await jobs.register(QUEUES.emailOutbox, async () => {
    // Drain what is due; the cron tick picks up anything left (and retries) a minute later.
    for (let round = 0; round < 20; round++) {
      const result = await deliverOutbox(rt, transport, { batchSize: 20 });
      if (result.sent.length + result.retried.length + result.failed.length < 20) break;
    }
  });
  await jobs.register(QUEUES.auditCheckpoint, async () => {
    const outcomes = await writeAllCheckpoints(rt, { dir: config.checkpointDir, key: config.auditCheckpointKey });
    for (const outcome of outcomes) {
      if ("error" in outcome) console.error(`[kiln] audit checkpoint for co-op ${outcome.coopId}: ${outcome.error}`);
    }
  });
  await jobs.register(QUEUES.authCleanup, async () => {
    await deleteExpiredAuthRows(rt);
  });
  // Capacity (issue 7): long allocation runs; the job row records stage and percent for the screen.
  await jobs.register<{ jobId: string }>(
    QUEUES.capacityAllocation,
    async (job) => {
      await processAllocationJob(rt, job.data.jobId);
    },
    { retryLimit: 1, expireInSeconds: 30 * 60 },
  );
  // Drops (issue 8): held units go back to stock within a minute of their hold passing, their
  // authorisations are cancelled (member told), captures cut short by a crash are finished, and
  // units that came back are offered to the waitlist.
  const dropsStripe = createStripeForConfig(config);
  await jobs.register(QUEUES.dropsExpireHolds, async () => {
    await runDropHoldJob(rt, dropsStripe, { appUrl: config.appUrl });
  });
  await jobs.register(COMPLIANCE_QUEUES.rereview, async () => {
    const { requeued, unreadable } = await rereviewLiveTiers(rt, renderOrderPage);
    if (requeued.length) console.info(`[kiln] compliance: ${requeued.length} terms version(s) back in review`);
    if (unreadable.length)
      console.error(`[kiln] compliance: stored terms unreadable, sent back to review: ${unreadable.join(", ")}`);
  });
  await jobs.register(COMPLIANCE_QUEUES.consentRetention, async () => {
    await eraseExpiredConsentData(rt);
  });
  // Personalised offers (issue 9): train every co-op's offer ranker weekly, or one co-op on demand
  // from its admin screen; registers candidates only — a co-op admin activates (decision 015).
  await jobs.register(QUEUES.personalizationTrain, createTrainJobHandler(rt), {
    retryLimit: 0,
    expireInSeconds: 60 * 60,
  });
  await jobs.schedule(QUEUES.personalizationTrain, TRAIN_SCHEDULE);
  await jobs.schedule(COMPLIANCE_QUEUES.rereview, "5 0 * * *");
  await jobs.schedule(COMPLIANCE_QUEUES.consentRetention, "35 3 * * *");
  await jobs.schedule(QUEUES.emailOutbox, "* * * * *");
  await jobs.schedule(QUEUES.authCleanup, "17 3 * * *");
  await jobs.schedule(QUEUES.dropsExpireHolds, "* * * * *");
  await jobs.schedule(QUEUES.auditCheckpoint, "0 * * * *");
  return jobs;
}

/** For a web process whose worker runs elsewhere: enough pg-boss to send jobs, no workers or cron. */
export async function startSender(rt: Runtime): Promise<Jobs> {
  const jobs = createJobs(rt.database, { supervise: false, schedule: false });
  await jobs.start();
  return jobs;
}

/** Hands a capacity allocation job to the worker (null without pg-boss: runs stay synchronous). */
export function allocationJobSender(jobs: Jobs | null): ((jobId: string) => Promise<unknown>) | null {
  if (!jobs) return null;
  return (jobId) => jobs.send(QUEUES.capacityAllocation, { jobId });
}

/** Hands a co-op's offer-ranker training to the worker (issue 9 §3); null without pg-boss. */
export function trainJobSender(jobs: Jobs | null): ((data: TrainRequest) => Promise<unknown>) | null {
  if (!jobs) return null;
  return (data) =>
    jobs.send(QUEUES.personalizationTrain, { ...data }, { singletonKey: data.coopId, singletonSeconds: 60 });
}

/** Queues an outbox delivery now; one per second at most (pg-boss singleton), errors only logged. */
export function outboxNotifier(jobs: Jobs | null): () => void {
  if (!jobs) return () => {};
  return () => {
    jobs
      .send(QUEUES.emailOutbox, {}, { singletonKey: "now", singletonSeconds: 1 })
      .catch((error: unknown) => console.error("[kiln] could not queue outbox delivery", error));
  };
}
