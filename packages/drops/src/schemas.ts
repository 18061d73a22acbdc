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

export const ProductSchema = z.object({
  title: z.string().trim().min(1, { error: "Enter a title" }).max(120),
  description: z.string().trim().max(5000).default(""),
  priceMinor: Whole("price", 0, 10_000_000),
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
  isPublished: z.boolean().default(false),
});
export type ProductInput = z.input<typeof ProductSchema>;

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
