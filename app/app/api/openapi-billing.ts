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
