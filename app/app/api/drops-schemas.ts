import { z } from "zod";
import type { Claim, DropView, Edition } from "@kiln/drops";

/**
 * The drops API (issue 8 §7): the claim request and the drop / claim bodies as zod schemas, registered
 * as OpenAPI components (openapi-drops.ts) and checked against real responses in tests/drops/api.test.ts.
 * Dates are ISO strings in JSON.
 */

const Id = z.uuid();
const Timestamp = z.iso.datetime({ offset: true });
const Minor = z.int().min(0).meta({ description: "An amount in the currency's minor unit (cents), tax included" });

/** POST /drops/{id}/claims. The idempotency key travels in the Idempotency-Key header. */
export const ClaimRequestSchema = z
  .object({
    quantity: z
      .number({ error: "Send the quantity as a number" })
      .int({ error: "The quantity is a whole number" })
      .min(1, { error: "The quantity must be at least 1" })
      .max(1000, { error: "The quantity can be at most 1000" })
      .default(1),
    admissionToken: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: "A hot drop's single-use admission token from its waiting room (required for hot drops)" }),
  })
  .strict();

export const IdempotencyKeySchema = z
  .string({ error: "Send an Idempotency-Key header (8–255 printable ASCII characters)" })
  .min(8, { error: "An idempotency key has at least 8 characters" })
  .max(255, { error: "An idempotency key has at most 255 characters" })
  .regex(/^[\x21-\x7e]+$/, { error: "An idempotency key is printable ASCII" });

export const GateTierResponse = z.object({
  id: Id,
  name: z.string(),
  rank: z.int(),
  isEarlyAccess: z
    .boolean()
    .meta({ description: "Members of this tier (or a higher one) may claim during early access" }),
  isHeld: z.boolean().meta({ description: "The caller qualifies for this tier now" }),
});

export const DropResponse = z.object({
  id: Id,
  creator: z.object({ slug: z.string(), displayName: z.string() }),
  title: z.string(),
  product: z.object({
    id: Id,
    title: z.string(),
    description: z.string(),
    priceMinor: Minor,
    deliveryMinor: Minor,
    currency: z.string().regex(/^[A-Z]{3}$/),
    lifetimeLimit: z.int().min(1).nullable().meta({ description: "Per member across all drops of the product, ever" }),
    edition: z
      .object({ id: Id, name: z.string(), lifetimeLimit: z.int().min(1) })
      .nullable()
      .meta({ description: "A co-op-wide edition (collab): its limit counts across every creator's products in it" }),
  }),
  opensAt: Timestamp,
  closesAt: Timestamp.nullable(),
  earlyAccessAt: Timestamp.nullable(),
  perMemberLimit: z.int().min(1),
  holdMinutes: z.int().min(1),
  shipBy: z.iso.date().nullable(),
  isHot: z.boolean().meta({ description: "Claims need an admission token from the drop's waiting room" }),
  remaining: z.int().min(0),
  gate: z.object({
    tiers: z.array(GateTierResponse).meta({ description: "The drop's tiers on sale, lowest rank first" }),
    isMemberOnly: z.boolean(),
    isEntitled: z.boolean().meta({ description: "The caller may claim by membership (the clock aside)" }),
    isEarlyAccess: z.boolean(),
  }),
});

export const ClaimResponse = z.object({
  id: Id,
  dropId: Id,
  quantity: z.int().min(1),
  status: z.enum(["reserved", "confirmed", "expired", "cancelled"]),
  isHeld: z.boolean().meta({ description: "Reserved and its hold has not passed: pay before expiresAt" }),
  expiresAt: Timestamp,
  createdAt: Timestamp,
  confirmedAt: Timestamp.nullable(),
  releasedAt: Timestamp.nullable(),
});

export const EditionResponse = z.object({
  id: Id,
  name: z.string(),
  lifetimeLimit: z.int().min(1).meta({ description: "Units one member may take across all its products, ever" }),
  createdAt: Timestamp,
});

export const DropEnvelope = z.object({ drop: DropResponse });
export const EditionEnvelope = z.object({ edition: EditionResponse });
export const EditionListEnvelope = z.object({ editions: z.array(EditionResponse) });
export const ClaimEnvelope = z.object({ claim: ClaimResponse });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toApiDrop(drop: DropView): z.infer<typeof DropResponse> {
  return {
    ...drop,
    opensAt: drop.opensAt.toISOString(),
    closesAt: iso(drop.closesAt),
    earlyAccessAt: iso(drop.earlyAccessAt),
  };
}

export function toApiClaim(claim: Claim, now: Date): z.infer<typeof ClaimResponse> {
  return {
    id: claim.id,
    dropId: claim.dropId,
    quantity: claim.quantity,
    status: claim.status,
    isHeld: claim.status === "reserved" && claim.expiresAt > now,
    expiresAt: claim.expiresAt.toISOString(),
    createdAt: claim.createdAt.toISOString(),
    confirmedAt: iso(claim.confirmedAt),
    releasedAt: iso(claim.releasedAt),
  };
}

export function toApiEdition(edition: Edition): z.infer<typeof EditionResponse> {
  return {
    id: edition.id,
    name: edition.name,
    lifetimeLimit: edition.lifetimeLimit,
    createdAt: edition.createdAt.toISOString(),
  };
}
