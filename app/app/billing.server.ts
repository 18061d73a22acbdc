import { receiveWebhook, type Stripe, type WebhookEndpoint } from "@kiln/billing";
import { data, type AppLoadContext } from "@remix-run/node";
import { isAppErrorLike, notFound, statusOf } from "./errors.server";

/** Billing's long-lived parts, made once per process by server/main.ts (never per request). */
export interface BillingServices {
  stripe: Stripe;
  /** Queues processing of a stored event (pg-boss); never throws — the sweep job catches lost ones. */
  onWebhookStored: (stripeEventId: string) => void;
}

/**
 * The two Stripe webhook endpoints (decision 010): the raw body is read before anything parses it,
 * verified with that endpoint's own secret, stored once, and acknowledged; a job processes it.
 * 400 (nothing stored) for a bad signature or a stale timestamp. No secret reaches a response or a log.
 */
export async function handleStripeWebhook(request: Request, context: AppLoadContext, endpoint: WebhookEndpoint) {
  if (request.method !== "POST") return new Response(null, { status: 405, headers: { Allow: "POST" } });
  const billing = context.billing;
  if (!billing)
    return Response.json({ error: { code: "UNAVAILABLE", message: "Billing is not configured" } }, { status: 503 });
  const rawBody = await request.text();
  const result = await receiveWebhook(context.rt, billing.stripe, {
    endpoint,
    rawBody,
    signature: request.headers.get("Stripe-Signature"),
    secret: endpoint === "connect" ? context.config.stripeConnectWebhookSecret : context.config.stripeWebhookSecret,
  });
  if (!result.ok)
    return Response.json({ error: { code: "BAD_SIGNATURE", message: "Invalid or stale signature" } }, { status: 400 });
  billing.onWebhookStored(result.stripeEventId);
  return Response.json({ received: true, duplicate: result.duplicate });
}

/** Billing's services for a page that talks to Stripe; a 503 page when this process has none. */
export function requireBilling(context: Pick<AppLoadContext, "billing">): BillingServices {
  if (!context.billing) throw data({ message: "Billing is not configured" }, { status: 503 });
  return context.billing;
}

/**
 * A domain error of a billing form as `{ formError }` with the error's status (NOT_FOUND stays a
 * 404 page); anything else goes to the error boundary.
 */
export function billingFormError(error: unknown) {
  if (!isAppErrorLike(error)) throw error;
  if (error.code === "NOT_FOUND") notFound(error.message);
  return data({ formError: error.message, code: error.code }, { status: statusOf(error) });
}

/** For loaders: a NOT_FOUND domain error becomes the 404 page; anything else is rethrown. */
export function throwAsPage(error: unknown): never {
  if (isAppErrorLike(error) && error.code === "NOT_FOUND") notFound(error.message);
  throw error;
}
