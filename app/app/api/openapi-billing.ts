import { z } from "zod";

/**
 * The Stripe webhook endpoints (issue 5 §7, decision 010) in the OpenAPI document. They take no
 * token or session: each request is authenticated by its Stripe-Signature (HMAC-SHA256 of
 * `timestamp.raw body` with that endpoint's own secret, 300 s tolerance), checked on the raw bytes.
 */
export const StripeEventSchema = z
  .object({
    id: z.string().meta({ description: "Stripe's event id (evt_…): the event is stored once by it" }),
    object: z.literal("event"),
    type: z.string().meta({ description: "e.g. customer.subscription.updated, charge.dispute.created" }),
    created: z.number().int().meta({ description: "Seconds since the epoch" }),
    account: z
      .string()
      .optional()
      .meta({ description: "The connected account (acct_…) of a Connect event; absent on platform events" }),
    api_version: z.string().nullable().optional(),
    livemode: z.boolean().optional(),
    data: z.object({ object: z.record(z.string(), z.unknown()), previous_attributes: z.unknown().optional() }),
  })
  .meta({ description: "A Stripe event exactly as Stripe signs and sends it (unknown fields are kept as sent)" });

export const WebhookAckSchema = z.object({
  received: z.literal(true),
  duplicate: z.boolean().meta({ description: "The event id was already stored (a redelivery); nothing changed" }),
});

export const billingComponents: Array<[z.ZodType, string]> = [
  [StripeEventSchema, "StripeEvent"],
  [WebhookAckSchema, "WebhookAck"],
];

interface Helpers {
  json: (id: string, description: string) => unknown;
  ref: (id: string) => unknown;
}

export function billingPaths({ json, ref }: Helpers) {
  const signature = {
    name: "Stripe-Signature",
    in: "header",
    required: true,
    description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` with the endpoint\'s webhook secret',
    schema: { type: "string" },
  };
  const operation = (operationId: string, summary: string, secret: string) => ({
    operationId,
    summary,
    description:
      `Verified with ${secret} on the raw body (300 s tolerance), stored once by event id, acknowledged; a job ` +
      "processes it (re-fetching the object from Stripe, so order and duplicates do not matter).",
    security: [],
    parameters: [signature],
    requestBody: { required: true, content: { "application/json": { schema: ref("StripeEvent") } } },
    responses: {
      "200": json("WebhookAck", "Stored (or already stored); processing is queued"),
      "400": json(
        "Error",
        "BAD_SIGNATURE: missing, wrong or stale signature, or a body that is not the signed one; nothing stored",
      ),
      "503": json("Error", "UNAVAILABLE: billing is not configured on this server"),
    },
  });
  return {
    "/webhooks/stripe": {
      post: operation(
        "receiveStripeWebhook",
        "Stripe events of the platform account (the co-op's own, application fees)",
        "STRIPE_WEBHOOK_SECRET",
      ),
    },
    "/webhooks/stripe-connect": {
      post: operation(
        "receiveStripeConnectWebhook",
        "Stripe events of creators' connected accounts (accounts, subscriptions, invoices, disputes)",
        "STRIPE_CONNECT_WEBHOOK_SECRET",
      ),
    },
  };
}

interface MemberHelpers extends Helpers {
  errors: (...statuses: number[]) => Record<string, unknown>;
  secured: (scope: string) => unknown[];
}

/**
 * The member's plan operations (issue 5 §8) under /me/subscriptions: the same package functions as
 * the account screens. Writes accept (change, cancel: require) an Idempotency-Key.
 */
export function memberBillingPaths({ json, ref, errors, secured }: MemberHelpers) {
  const id = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };
  const key = (required: boolean) => ({
    name: "Idempotency-Key",
    in: "header",
    required,
    description:
      "8–255 printable ASCII characters: a retry with the same key is the same operation" +
      (required ? "" : " (without it, each request is a new one)"),
    schema: { type: "string", minLength: 8, maxLength: 255 },
  });
  const unavailable = json("Error", "UNAVAILABLE: billing is not configured on this server");
  const conflict = (why: string) => json("Error", `CONFLICT: ${why}`);
  return {
    "/me/subscriptions": {
      get: {
        operationId: "listMySubscriptions",
        summary: "The caller's subscriptions across creators, newest first",
        security: secured("billing:read"),
        responses: { "200": json("SubscriptionList", "The subscriptions"), ...errors(401, 403) },
      },
    },
    "/me/subscriptions/{id}": {
      get: {
        operationId: "getMySubscription",
        summary: "One of the caller's subscriptions (another member's is 404)",
        security: secured("billing:read"),
        parameters: [id],
        responses: { "200": json("SubscriptionEnvelope", "The subscription"), ...errors(401, 403, 404) },
      },
    },
    "/me/subscriptions/{id}/change": {
      get: {
        operationId: "listPlanOptions",
        summary: "Tiers to change to, each with the disclosure and consents to show before ordering",
        security: secured("billing:read"),
        parameters: [id],
        responses: { "200": json("PlanOptions", "The options"), ...errors(401, 403, 404) },
      },
      post: {
        operationId: "changePlan",
        summary: "Change tier: upgrade now (prorated), downgrade at the end of the paid period",
        description:
          "The member must have been shown the option's disclosure (GET …/change) and ticked its consents; the " +
          "consent to the target terms is recorded exactly as on the change screen.",
        security: secured("billing:write"),
        parameters: [id, key(true)],
        requestBody: { required: true, content: { "application/json": { schema: ref("ChangePlanRequest") } } },
        responses: {
          "200": json("ChangePlanResponse", "Changed (or scheduled)"),
          ...errors(400, 401, 403, 404),
          "409": conflict("the terms changed since shown, a change is already scheduled, or the state forbids it"),
          "503": unavailable,
        },
      },
    },
    "/me/subscriptions/{id}/pause": {
      post: {
        operationId: "pauseSubscription",
        summary: "Pause collection (renewals voided); not entitled while paused",
        security: secured("billing:write"),
        parameters: [id, key(false)],
        responses: {
          "200": json("SubscriptionEnvelope", "Paused"),
          ...errors(400, 401, 403, 404),
          "409": conflict("only an active subscription can be paused"),
          "503": unavailable,
        },
      },
    },
    "/me/subscriptions/{id}/resume": {
      post: {
        operationId: "resumeSubscription",
        summary: "Resume a paused subscription; entitled again at once",
        security: secured("billing:write"),
        parameters: [id, key(false)],
        responses: {
          "200": json("SubscriptionEnvelope", "Resumed"),
          ...errors(400, 401, 403, 404),
          "409": conflict("the subscription is not paused"),
          "503": unavailable,
        },
      },
    },
    "/me/subscriptions/{id}/cancel": {
      post: {
        operationId: "cancelSubscription",
        summary: "Cancel at the end of the paid period (the § 312k cancellation: declaration, email, receipt)",
        security: secured("billing:write"),
        parameters: [id, key(true)],
        responses: {
          "200": json("CancelSubscriptionResponse", "Declaration recorded; the subscription ends at the period end"),
          ...errors(400, 401, 403, 404),
          "409": conflict("the subscription has already ended"),
          "503": unavailable,
        },
      },
    },
    "/me/subscriptions/{id}/card-update": {
      post: {
        operationId: "createCardUpdateSession",
        summary: "A Stripe billing portal session to replace the card (redirect the member to its url)",
        security: secured("billing:write"),
        parameters: [id],
        requestBody: { required: false, content: { "application/json": { schema: ref("CardUpdateRequest") } } },
        responses: {
          "201": json("CardUpdateResponse", "The portal session"),
          ...errors(400, 401, 403, 404),
          "409": conflict("the subscription has ended"),
          "503": unavailable,
        },
      },
    },
    "/me/subscriptions/{id}/invoices": {
      get: {
        operationId: "listSubscriptionInvoices",
        summary: "The subscription's invoices as Stripe has them, newest first",
        security: secured("billing:read"),
        parameters: [id],
        responses: { "200": json("InvoiceList", "The invoices"), ...errors(401, 403, 404), "503": unavailable },
      },
    },
  };
}
