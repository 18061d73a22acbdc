import { createHash } from "node:crypto";
import { z } from "zod";
import type { listMemberSubscriptions, MemberInvoice } from "@kiln/billing";
import { AppError } from "@kiln/core";

/**
 * The member's plan operations in the JSON API (issue 5 §8): the same package functions as the
 * account screens, these schemas for the bodies and the OpenAPI document. Amounts are integers in
 * minor units with their (upper-case) currency.
 */

const Id = z.uuid();
const Instant = z.iso.datetime({ offset: true });
const STATUSES = [
  "incomplete",
  "incomplete_expired",
  "trialing",
  "active",
  "past_due",
  "paused",
  "canceled",
  "unpaid",
] as const;

export const MemberSubscriptionSchema = z.object({
  id: Id,
  status: z.enum(STATUSES).meta({ description: "Kiln's state (`paused`: collection paused by the member)" }),
  isEntitled: z.boolean().meta({ description: "Whether the subscription gates its tier's benefits now" }),
  tier: z.object({ id: Id, name: z.string() }),
  creator: z.object({ slug: z.string(), displayName: z.string() }),
  price: z.object({
    amountMinor: z.number().int(),
    currency: z.string().regex(/^[A-Z]{3}$/),
    interval: z.enum(["month", "year"]),
  }),
  currentPeriodEnd: Instant.nullable(),
  cancelAtPeriodEnd: z.boolean(),
  pendingInvoiceUrl: z
    .string()
    .nullable()
    .meta({ description: "Stripe's hosted invoice page of an open first invoice (3-D Secure)" }),
  scheduledChange: z
    .object({ tierId: Id, tierName: z.string(), at: Instant })
    .nullable()
    .meta({ description: "A downgrade ordered for the period end" }),
});
export type ApiMemberSubscription = z.infer<typeof MemberSubscriptionSchema>;

export const SubscriptionListEnvelope = z.object({ subscriptions: z.array(MemberSubscriptionSchema) });
export const SubscriptionEnvelope = z.object({ subscription: MemberSubscriptionSchema });

const DisclosureSchema = z.object({
  text: z.string().meta({ description: "The jurisdiction's disclosure the member must be shown before ordering" }),
  buttonLabel: z.string().meta({ description: 'The order button\'s label (e.g. "zahlungspflichtig bestellen")' }),
  consents: z
    .array(z.object({ name: z.enum(["auto-renew", "express-start"]), label: z.string() }))
    .meta({ description: "Separate, unticked checkboxes; send the names the member ticked" }),
});

export const PlanOptionsEnvelope = z.object({
  canChange: z.boolean(),
  current: z.object({ tier: z.object({ id: Id, name: z.string(), rank: z.number().int() }) }),
  options: z.array(
    z.object({
      tier: z.object({ id: Id, name: z.string(), rank: z.number().int() }),
      termsVersionId: Id,
      direction: z.enum(["upgrade", "downgrade"]),
      price: z.object({
        amountMinor: z.number().int(),
        currency: z.string().regex(/^[A-Z]{3}$/),
        interval: z.enum(["month", "year"]),
      }),
      disclosure: DisclosureSchema,
    }),
  ),
});

export const ChangePlanRequestSchema = z
  .object({
    targetTierId: Id,
    termsVersionId: Id.meta({ description: "The target's terms version whose disclosure the member was shown" }),
    consents: z
      .array(z.enum(["auto-renew", "express-start"]))
      .default([])
      .meta({ description: "The consent checkboxes the member ticked (the auto-renew consent is required)" }),
    locale: z.enum(["en", "de"]).optional().meta({ description: "The language the disclosure was shown in" }),
  })
  .strict();

export const ChangePlanResponseSchema = z.object({
  subscription: MemberSubscriptionSchema,
  direction: z.enum(["upgrade", "downgrade"]).nullable().meta({ description: "null for a replayed request" }),
});

export const CancelResponseSchema = z.object({
  subscription: MemberSubscriptionSchema,
  declaration: z.object({
    receivedAt: Instant,
    statement: z.string().meta({ description: "The confirmation text (also emailed to the member)" }),
    receiptUrl: z.string().meta({ description: "The signed receipt (PDF and text)" }),
  }),
});

export const CardUpdateRequestSchema = z
  .object({ returnUrl: z.url().optional().meta({ description: "Where Stripe sends the member back (Kiln's origin)" }) })
  .strict();
export const CardUpdateResponseSchema = z.object({
  url: z.string().meta({ description: "Stripe billing portal session (short-lived): redirect the member to it" }),
});

export const MemberInvoiceSchema = z.object({
  id: z.string(),
  number: z.string().nullable(),
  amountDueMinor: z.number().int(),
  amountPaidMinor: z.number().int(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  status: z.enum(["draft", "open", "paid", "uncollectible", "void"]),
  hostedInvoiceUrl: z.string().nullable(),
  createdAt: Instant,
  periodStart: Instant.nullable(),
  periodEnd: Instant.nullable(),
});
export const InvoiceListEnvelope = z.object({ invoices: z.array(MemberInvoiceSchema) });

export const billingMemberComponents: Array<[z.ZodType, string]> = [
  [MemberSubscriptionSchema, "MemberSubscription"],
  [SubscriptionListEnvelope, "SubscriptionList"],
  [SubscriptionEnvelope, "SubscriptionEnvelope"],
  [PlanOptionsEnvelope, "PlanOptions"],
  [ChangePlanRequestSchema, "ChangePlanRequest"],
  [ChangePlanResponseSchema, "ChangePlanResponse"],
  [CancelResponseSchema, "CancelSubscriptionResponse"],
  [CardUpdateRequestSchema, "CardUpdateRequest"],
  [CardUpdateResponseSchema, "CardUpdateResponse"],
  [MemberInvoiceSchema, "MemberInvoice"],
  [InvoiceListEnvelope, "InvoiceList"],
];

type Listed = Awaited<ReturnType<typeof listMemberSubscriptions>>[number];

export function toApiSubscription(s: Listed): ApiMemberSubscription {
  return {
    id: s.id,
    status: s.status,
    isEntitled: s.isEntitled,
    tier: { id: s.tierId, name: s.tierName },
    creator: s.creator,
    price: {
      amountMinor: s.price.amountMinor,
      currency: s.price.currency.toUpperCase(),
      interval: s.price.interval as "month" | "year",
    },
    currentPeriodEnd: s.currentPeriodEnd?.toISOString() ?? null,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    pendingInvoiceUrl: s.pendingInvoiceUrl,
    scheduledChange: s.scheduledChange
      ? {
          tierId: s.scheduledChange.tierId,
          tierName: s.scheduledChange.tierName,
          at: s.scheduledChange.at.toISOString(),
        }
      : null,
  };
}

export const toApiInvoices = (invoices: MemberInvoice[]) => ({ invoices });

/** The path's subscription id; anything but a uuid is NOT_FOUND (like another member's). */
export function subscriptionIdParam(id: string | undefined): string {
  const parsed = Id.safeParse(id);
  if (!parsed.success) throw new AppError("NOT_FOUND", "Subscription not found");
  return parsed.data;
}

export const IdempotencyKeySchema = z
  .string({ error: "Send an Idempotency-Key header (8–255 printable ASCII characters)" })
  .min(8, { error: "An idempotency key has at least 8 characters" })
  .max(255, { error: "An idempotency key has at most 255 characters" })
  .regex(/^[\x21-\x7e]+$/, { error: "An idempotency key is printable ASCII" });

/**
 * The request id the package functions dedupe by, from the Idempotency-Key header: a UUID derived
 * from the caller and the key, so a retry with the same key is the same operation (and another
 * member's key can never collide). Without the header (`required: false`) each request is new.
 */
export function requestIdFrom(request: Request, userId: string, required: boolean): string {
  const header = request.headers.get("Idempotency-Key");
  if (header === null && !required) return crypto.randomUUID();
  const key = IdempotencyKeySchema.safeParse(header ?? undefined);
  if (!key.success)
    throw new AppError("BAD_INPUT", key.error.issues.map((i) => i.message).join("; "), {
      fields: { "Idempotency-Key": key.error.issues.map((i) => i.message) },
    });
  const h = createHash("sha256").update(`kiln-api-billing:${userId}:${key.data}`).digest("hex");
  // RFC 4122 layout (version 5-style name-based bits), so z.uuid() accepts it.
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The cancel declaration's submission key (rights package format) for an Idempotency-Key. */
export function cancelSubmissionFrom(requestId: string): string {
  return `api-${requestId.replaceAll("-", "")}`;
}
