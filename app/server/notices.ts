import type { Stripe } from "@kiln/billing";
import type { Config } from "@kiln/core";
import type { Runtime } from "@kiln/db";
import { QUEUES, type Jobs } from "@kiln/jobs";
import { applyDuePriceChanges, applyPendingCancellations, performDueRefunds, runNoticeSweep } from "@kiln/rights";

/**
 * Legally timed notices and price changes (issue 6 item 3, issue 5 item 5), on pg-boss: every minute
 * the notice sweep plans what is missing and sends what is due (one transaction per notice, so a
 * crash or a retry never sends twice), and the price-change job applies announced changes at their
 * period boundary on Stripe. Every five minutes the rights sweep retries the Stripe side of
 * cancellations a crash or an outage left unapplied and pays refunds that are due (goods: once the
 * order is marked returned).
 */
export async function registerNoticeWorkers(
  jobs: Jobs,
  rt: Runtime,
  stripe: Stripe,
  config: Pick<Config, "appUrl">,
): Promise<void> {
  await jobs.register(QUEUES.rightsNotices, async () => {
    const r = await runNoticeSweep(rt, { appUrl: config.appUrl });
    if (r.failed.length) console.error(`[kiln] notices: ${r.failed.length} notice(s) failed to render`);
  });
  await jobs.register(QUEUES.priceChanges, async () => {
    await applyDuePriceChanges(rt, stripe);
  });
  await jobs.register(QUEUES.rightsSweep, async () => {
    const applied = await applyPendingCancellations(rt, stripe);
    const refunded = await performDueRefunds(rt, stripe);
    if (applied + refunded)
      console.info(`[kiln] rights: ${applied} cancellation(s) applied, ${refunded} refund(s) paid`);
  });
  await jobs.schedule(QUEUES.rightsNotices, "* * * * *");
  await jobs.schedule(QUEUES.rightsSweep, "*/5 * * * *");
  await jobs.schedule(QUEUES.priceChanges, "*/5 * * * *");
}
