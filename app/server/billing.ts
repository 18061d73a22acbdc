import {
  applyFinalActions,
  createStripeClient,
  listPendingWebhookEvents,
  processWebhookEvent,
  reconcileAll,
  WEBHOOK_MAX_ATTEMPTS,
  type Stripe,
} from "@kiln/billing";
import type { Config } from "@kiln/core";
import type { Runtime } from "@kiln/db";
import type { Jobs } from "@kiln/jobs";
import { stripeClientOptions } from "@kiln/stripe-emulator";
import { outboxNotifier } from "./jobs";
import { registerNoticeWorkers } from "./notices";

/** Billing's queues (issue 5): one job per stored webhook event, and a sweep for events whose job was lost. */
export const BILLING_QUEUES = {
  webhook: "billing-webhook",
  webhookSweep: "billing-webhook-sweep",
  reconcile: "billing-reconcile",
  finalAction: "billing-final-action",
} as const;

/**
 * The process's one Stripe client: the real API with STRIPE_SECRET_KEY, otherwise the local emulator
 * (its URL when this process started it, else the configured port on loopback, for the worker).
 */
export function createStripeForConfig(config: Config, emulatorUrl?: string): Stripe {
  if (config.stripeSecretKey) return createStripeClient({ secretKey: config.stripeSecretKey });
  return createStripeClient({
    emulator: stripeClientOptions(emulatorUrl ?? `http://127.0.0.1:${config.stripeEmulatorPort}`),
  });
}

/**
 * Webhook processing on pg-boss: each attempt counts on the stored event; a failure is retried with
 * backoff and, after WEBHOOK_MAX_ATTEMPTS, dead-lettered (billing_webhook_events.dead_lettered_at).
 */
export async function registerBillingWorkers(
  jobs: Jobs,
  rt: Runtime,
  stripe: Stripe,
  config: Pick<Config, "appUrl">,
): Promise<void> {
  const options = { appUrl: config.appUrl };
  const notifyOutbox = outboxNotifier(jobs);
  await jobs.register<{ eventId: string }>(
    BILLING_QUEUES.webhook,
    async (job) => {
      const result = await processWebhookEvent(rt, stripe, job.data.eventId, options);
      // A processed event may have queued a member notice (dunning): deliver it now, not at the next minute.
      if (result === "processed") notifyOutbox();
    },
    { retryLimit: WEBHOOK_MAX_ATTEMPTS, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
  );
  await jobs.register(BILLING_QUEUES.webhookSweep, async () => {
    for (const id of await listPendingWebhookEvents(rt, 300))
      await processWebhookEvent(rt, stripe, id, options).catch((error: unknown) =>
        console.error(`[kiln] billing: webhook event ${id} failed`, error instanceof Error ? error.message : error),
      );
  });
  await jobs.schedule(BILLING_QUEUES.webhookSweep, "*/5 * * * *");
  // Reconciliation (issue 5 §7): every co-op with a connected account, hourly; "run now" on the admin screen.
  await jobs.register(BILLING_QUEUES.reconcile, async () => {
    await reconcileAll(rt, stripe, options);
  });
  await jobs.schedule(BILLING_QUEUES.reconcile, "17 * * * *");
  // Dunning's final action after the grace period, per co-op policy (docs/decisions/018): claims
  // with a lease and skip-locked rows, so overlapping runs and retries act once per subscription.
  await jobs.register(BILLING_QUEUES.finalAction, async () => {
    const results = await applyFinalActions(rt, stripe, options);
    for (const r of results)
      if (r.outcome === "failed")
        console.error(`[kiln] billing: final action ${r.action} on ${r.subscriptionId} failed: ${r.error}`);
    if (results.some((r) => r.outcome === "applied" || r.outcome === "already_applied")) notifyOutbox();
  });
  await jobs.schedule(BILLING_QUEUES.finalAction, "*/10 * * * *");
  // Notices and price changes (issue 6 item 3, issue 5 item 5): they need this Stripe client too.
  await registerNoticeWorkers(jobs, rt, stripe, config);
}

/** Queues processing of a stored event right after the webhook response; errors only logged. */
export function webhookEnqueuer(jobs: Jobs): (stripeEventId: string) => void {
  return (eventId) => {
    jobs
      .send(BILLING_QUEUES.webhook, { eventId }, { singletonKey: eventId })
      .catch((error: unknown) => console.error("[kiln] could not queue webhook processing", error));
  };
}
