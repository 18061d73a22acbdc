import { and, asc, eq, isNull, lt, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { isInTransaction, schema, withSystem, type Runtime } from "@kiln/db";
import { applyAccountState } from "./connect";
import { applyDisputeState } from "./disputes";
import { queuePaymentFailedNotice } from "./dunning";
import { liftUnpaidWhenPaid } from "./final-action";
import { upsertSubscriptionFromStripe } from "./subscription-state";

export type WebhookEndpoint = "platform" | "connect";

/** Stripe's default tolerance for the signed timestamp (stripe-node DEFAULT_TOLERANCE). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
/** Attempts before an event is dead-lettered (the job queue retries in between). */
export const WEBHOOK_MAX_ATTEMPTS = 5;

export type ReceiveResult =
  | { ok: false; status: 400; reason: "signature" }
  | { ok: true; status: 200; stripeEventId: string; duplicate: boolean };

/**
 * Step 1 of webhook handling, for the route: verify the signature on the raw body (300 s tolerance),
 * store the event once by its id with the raw body, and return at once. A bad signature or a stale
 * timestamp stores nothing. Processing happens in a job (`processWebhookEvent`).
 */
export async function receiveWebhook(
  rt: Runtime,
  stripe: Stripe,
  input: { endpoint: WebhookEndpoint; rawBody: string; signature: string | null; secret: string },
): Promise<ReceiveResult> {
  let event: Stripe.Event;
  try {
    if (!input.signature) throw new Error("no signature");
    event = stripe.webhooks.constructEvent(input.rawBody, input.signature, input.secret, WEBHOOK_TOLERANCE_SECONDS);
  } catch {
    return { ok: false, status: 400, reason: "signature" };
  }
  if (isInTransaction()) throw new Error("receiveWebhook runs on its own, not inside withTenant/withSystem");
  // One statement, one round-trip (docs/decisions/011): kiln_store_webhook_event runs as kiln_system
  // (SECURITY DEFINER), so RLS applies as in withSystem; autocommit makes it durable before the 2xx.
  const [stored] = await rt.database.sql<{ inserted: boolean }[]>`select kiln_store_webhook_event(
    ${event.id}, ${input.endpoint}, ${event.type}, ${event.account ?? null}, ${event.created},
    ${input.rawBody}, ${rt.clock.now().toISOString()}
  ) as inserted`;
  return { ok: true, status: 200, stripeEventId: event.id, duplicate: stored?.inserted !== true };
}

export interface ProcessOptions {
  maxAttempts?: number;
  /** Test seam: runs before the event is applied (a thrown error is a processing crash). */
  beforeApply?: (event: Stripe.Event) => void | Promise<void>;
  /** Kiln's public origin: member notices (dunning) link to it; without it none are queued. */
  appUrl?: string;
}

export type ProcessResult = "processed" | "ignored" | "skipped" | "failed" | "dead_lettered";

function subscriptionIdOf(event: Stripe.Event): string | null {
  const object = event.data.object as { object?: string; id?: string; parent?: Stripe.Invoice.Parent | null };
  if (object.object === "subscription") return object.id ?? null;
  if (object.object === "invoice") {
    const sub = object.parent?.subscription_details?.subscription;
    return typeof sub === "string" ? sub : (sub?.id ?? null);
  }
  return null;
}

/**
 * Applies one stored event, idempotently and whatever the arrival order: the object is re-fetched
 * from Stripe and its current state written (so a duplicate or a late, older event changes nothing
 * that Stripe does not say now). Unknown types are marked processed and change nothing. A failure
 * is recorded and rethrown (the job retries); after `maxAttempts` the event is dead-lettered.
 */
export async function processWebhookEvent(
  rt: Runtime,
  stripe: Stripe,
  stripeEventId: string,
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  const maxAttempts = options.maxAttempts ?? WEBHOOK_MAX_ATTEMPTS;
  const row = await withSystem(rt, "billing-webhook-claim", async (tx) => {
    const [updated] = await tx
      .update(schema.billingWebhookEvents)
      .set({ attempts: sql`${schema.billingWebhookEvents.attempts} + 1` })
      .where(
        and(
          eq(schema.billingWebhookEvents.stripeEventId, stripeEventId),
          isNull(schema.billingWebhookEvents.processedAt),
          isNull(schema.billingWebhookEvents.deadLetteredAt),
        ),
      )
      .returning();
    return updated;
  });
  if (!row) return "skipped";
  const event = JSON.parse(row.payload) as Stripe.Event;
  try {
    await options.beforeApply?.(event);
    const outcome = await applyEvent(rt, stripe, event, options);
    await withSystem(rt, "billing-webhook-done", (tx) =>
      tx
        .update(schema.billingWebhookEvents)
        .set({ processedAt: sql`kiln_now()`, lastError: null, coopId: outcome.coopId })
        .where(eq(schema.billingWebhookEvents.id, row.id)),
    );
    return outcome.applied ? "processed" : "ignored";
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const dead = row.attempts >= maxAttempts;
    await withSystem(rt, "billing-webhook-failed", (tx) =>
      tx
        .update(schema.billingWebhookEvents)
        .set({ lastError: message.slice(0, 2000), ...(dead ? { deadLetteredAt: sql`kiln_now()` } : {}) })
        .where(eq(schema.billingWebhookEvents.id, row.id)),
    );
    if (dead) return "dead_lettered";
    throw error;
  }
}

async function applyEvent(rt: Runtime, stripe: Stripe, event: Stripe.Event, options: ProcessOptions) {
  const account = event.account;
  if (event.type === "account.updated" || event.type === "account.application.deauthorized") {
    const id = account ?? (event.data.object as { id: string }).id;
    const fresh = await stripe.accounts.retrieve(id);
    const row = await withSystem(rt, "billing-webhook-account", (tx) => applyAccountState(tx, fresh, event.created));
    return { applied: row !== null, coopId: row?.coopId ?? null };
  }
  if (account && event.type.startsWith("charge.dispute.")) {
    // Disputes (issue 5 §7): re-fetched, so a late `created` after `closed` changes nothing.
    const id = (event.data.object as { id: string }).id;
    const dispute = await stripe.disputes.retrieve(id, {}, { stripeAccount: account });
    const chargeId = typeof dispute.charge === "string" ? dispute.charge : dispute.charge.id;
    const charge = await stripe.charges.retrieve(chargeId, {}, { stripeAccount: account });
    const row = await withSystem(rt, "billing-webhook-dispute", (tx) =>
      applyDisputeState(tx, account, dispute, charge, event, { now: rt.clock.now(), appUrl: options.appUrl }),
    );
    return { applied: row !== null, coopId: row?.coopId ?? null };
  }
  const subscriptionId = account ? subscriptionIdOf(event) : null;
  if (account && subscriptionId) {
    const fetched = await stripe.subscriptions.retrieve(
      subscriptionId,
      { expand: ["latest_invoice"] },
      { stripeAccount: account },
    );
    // Marked unpaid after the grace period and paid since (hosted invoice page): collection resumes.
    const sub = await liftUnpaidWhenPaid(stripe, account, fetched);
    const row = await withSystem(rt, "billing-webhook-subscription", async (tx) => {
      const written = await upsertSubscriptionFromStripe(tx, account, sub, { id: event.id, created: event.created });
      // Dunning: the member is told in the same transaction, once per event.
      // Not for a subscription already ended (a late event after the final action told the member).
      if (written && written.status !== "canceled" && event.type === "invoice.payment_failed" && options.appUrl)
        await queuePaymentFailedNotice(tx, written, event, { appUrl: options.appUrl, now: rt.clock.now() });
      return written;
    });
    return { applied: row !== null, coopId: row?.coopId ?? null };
  }
  return { applied: false, coopId: null };
}

/**
 * Stored events not yet processed (a lost job, a crash between storing and queueing): the sweep job
 * processes those older than `olderThanSeconds`, oldest first.
 */
export async function listPendingWebhookEvents(rt: Runtime, olderThanSeconds = 60, limit = 100): Promise<string[]> {
  const cutoff = new Date(rt.clock.now().getTime() - olderThanSeconds * 1000);
  const rows = await withSystem(rt, "billing-webhook-pending", (tx) =>
    tx
      .select({ id: schema.billingWebhookEvents.stripeEventId })
      .from(schema.billingWebhookEvents)
      .where(
        and(
          isNull(schema.billingWebhookEvents.processedAt),
          isNull(schema.billingWebhookEvents.deadLetteredAt),
          lt(schema.billingWebhookEvents.receivedAt, cutoff),
        ),
      )
      .orderBy(asc(schema.billingWebhookEvents.receivedAt))
      .limit(limit),
  );
  return rows.map((r) => r.id);
}
