import { z } from "zod";
import { CapabilitySchema, PeriodSchema } from "@kiln/capacity/schemas";

/**
 * Input schemas of drops and claims, with human messages. Browser-safe (zod only): forms, actions
 * and the API share them.
 */

const Whole = (what: string, min: number, max: number) =>
  z
    .number({ error: `Enter the ${what} as a number` })
    .int({ error: `Enter the ${what} as a whole number` })
    .min(min, { error: `The ${what} must be at least ${min}` })
    .max(max, { error: `The ${what} can be at most ${max}` });

const TAG = /^[a-z0-9-]{1,24}$/;
export const MAX_TAGS = 8;

/**
 * Lower-case style tags (products.tags, e.g. "pastel", "botanical"): a list, or the form's
 * comma-separated text. Trimmed, lower-cased, duplicates dropped; at most 8, each 1–24 of a–z, 0–9, -.
 */
export const TagsSchema = z.preprocess(
  (v) => (typeof v === "string" ? v.split(",") : (v ?? [])),
  z
    .array(z.string({ error: "A tag is text" }).trim().toLowerCase(), { error: "Enter tags separated by commas" })
    .transform((tags) => [...new Set(tags.filter(Boolean))])
    .superRefine((tags, ctx) => {
      const bad = tags.find((t) => !TAG.test(t));
      if (bad !== undefined)
        ctx.addIssue({
          code: "custom",
          message: `"${bad.slice(0, 40)}" is not a tag: use 1–24 lower-case letters, digits or dashes`,
        });
      if (tags.length > MAX_TAGS)
        ctx.addIssue({ code: "custom", message: `At most ${MAX_TAGS} tags (you entered ${tags.length})` });
    }),
);

export const ProductSchema = z.object({
  title: z.string().trim().min(1, { error: "Enter a title" }).max(120),
  description: z.string().trim().max(5000).default(""),
  priceMinor: Whole("price", 0, 10_000_000),
  deliveryMinor: Whole("delivery cost", 0, 1_000_000).default(0),
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/, { error: "A currency is a three-letter code like EUR" }),
  capability: CapabilitySchema,
  capacityUnitsPerItem: Whole("capacity units per item", 1, 1000).default(1),
  sku: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "A SKU is letters, digits, dots, dashes" }),
  withdrawalExemptionReason: z.string().trim().min(1).max(500).nullable().default(null),
  /** At most this many per member across all drops of the product, ever; null: no lifetime limit. */
  lifetimeLimit: Whole("lifetime limit", 1, 1000).nullable().default(null),
  /** A co-op-wide edition (collab) whose lifetime limit applies across its products. */
  editionId: z.uuid({ error: "Choose an edition" }).nullable().default(null),
  /** Style tags shown on the product page and used by the offer ranker (issue 9). */
  tags: TagsSchema.optional().transform((tags) => tags ?? []),
  isPublished: z.boolean().default(false),
});
export type ProductInput = z.input<typeof ProductSchema>;

/** What a creator may change on an existing product (capability, price and SKU are fixed once made). */
export const ProductUpdateSchema = z.object({
  title: z.string().trim().min(1, { error: "Enter a title" }).max(120).optional(),
  description: z.string().trim().max(5000).optional(),
  lifetimeLimit: Whole("lifetime limit", 1, 1000).nullable().optional(),
  editionId: z.uuid({ error: "Choose an edition" }).nullable().optional(),
  tags: TagsSchema.optional(),
});
export type ProductUpdateInput = z.input<typeof ProductUpdateSchema>;

/** A co-op-wide edition shared by several creators' products, with a per-member lifetime limit. */
export const EditionSchema = z.object({
  name: z.string().trim().min(1, { error: "Enter a name" }).max(120),
  lifetimeLimit: Whole("lifetime limit", 1, 1000),
});
export type EditionInput = z.input<typeof EditionSchema>;

export const DropSchema = z
  .object({
    productId: z.uuid({ error: "Choose a product" }),
    title: z.string().trim().min(1, { error: "Enter a title" }).max(120),
    quantity: Whole("quantity", 1, 1_000_000),
    period: PeriodSchema,
    opensAt: z.date({ error: "Choose when the drop opens" }),
    closesAt: z.date().nullable().default(null),
    tierIds: z.array(z.uuid()).max(20).default([]),
    earlyAccessTierIds: z.array(z.uuid()).max(20).default([]),
    earlyAccessAt: z.date().nullable().default(null),
    perMemberLimit: Whole("per-member limit", 1, 1000).default(1),
    holdMinutes: Whole("hold", 1, 120).default(10),
    bucketCount: Whole("number of stock buckets", 1, 64).default(1),
    /** A hot drop: a waiting room admits members in random order at opening (admission.ts). */
    isHot: z.boolean().default(false),
    isPublished: z.boolean().default(false),
  })
  .refine((d) => !d.closesAt || d.closesAt > d.opensAt, {
    error: "The drop must close after it opens",
    path: ["closesAt"],
  })
  .refine((d) => !d.earlyAccessAt || d.earlyAccessAt < d.opensAt, {
    error: "Early access must start before the drop opens",
    path: ["earlyAccessAt"],
  })
  .refine((d) => (d.earlyAccessAt === null) === (d.earlyAccessTierIds.length === 0), {
    error: "Early access needs both a start and at least one tier",
    path: ["earlyAccessTierIds"],
  });
export type DropInput = z.input<typeof DropSchema>;

export const ClaimSchema = z.object({
  dropId: z.uuid(),
  quantity: Whole("quantity", 1, 1000).default(1),
  idempotencyKey: z
    .string()
    .min(8, { error: "An idempotency key has at least 8 characters" })
    .max(255)
    .regex(/^[\x21-\x7e]+$/, { error: "An idempotency key is printable ASCII" }),
});
export type ClaimInput = z.input<typeof ClaimSchema>;

const Line = (what: string, max: number) =>
  z
    .string({ error: `Enter the ${what}` })
    .trim()
    .min(1, { error: `Enter the ${what}` })
    .max(max, { error: `The ${what} can be at most ${max} characters` });

/** The shipping address of a goods order; the country is an ISO 3166-1 alpha-2 code like DE. */
export const ShippingAddressSchema = z.object({
  name: Line("recipient's name", 120),
  line1: Line("street and number", 200),
  line2: z
    .string()
    .trim()
    .max(200)
    .nullish()
    .transform((v) => v || null),
  postalCode: Line("postal code", 20),
  city: Line("city", 100),
  country: z
    .string({ error: "Enter the country" })
    .trim()
    .regex(/^[A-Za-z]{2}$/, { error: "Enter the country as a two-letter code like DE" })
    .transform((v) => v.toUpperCase()),
});
export type ShippingAddressInput = z.input<typeof ShippingAddressSchema>;

/** The order button of a claim's order page: the card session, the address and what the page showed. */
export const PayForClaimSchema = z.object({
  claimId: z.uuid({ error: "Claim not found" }),
  /** The completed setup Checkout Session that saved the card on the creator's account. */
  checkoutSessionId: z.string().regex(/^cs_[A-Za-z0-9_]+$/, { error: "Add a card first" }),
  address: ShippingAddressSchema,
  disclosureText: z.string().min(20),
  buttonLabel: z.string().min(2).max(100),
  locale: z.enum(["en", "de"]),
  /** Where the bank's 3-D Secure page sends the member back to. */
  returnUrl: z.url(),
});
export type PayForClaimInput = z.input<typeof PayForClaimSchema>;

export const ORDER_MARKS = ["produced", "shipped", "delivered", "returned"] as const;
export const MarkOrderSchema = z.object({
  orderId: z.uuid({ error: "Order not found" }),
  status: z.enum(ORDER_MARKS, { error: "Choose produced, shipped, delivered or returned" }),
});
export type MarkOrderInput = z.input<typeof MarkOrderSchema>;
