import { z } from "zod";

/**
 * The structured terms of a subscription tier: what the rule engine, the order page and the
 * templates read. Browser-safe (zod only). Money in minor units (cents), tax-inclusive where the
 * jurisdiction requires it (the engine checks `taxInclusive`).
 */
export const IntervalSchema = z.enum(["week", "month", "year"]);
export type Interval = z.infer<typeof IntervalSchema>;

export const CancellationMethodSchema = z.enum(["online", "email", "phone", "post"]);

export const TermsSchema = z.object({
  productDescription: z.string().trim().min(3).max(500),
  price: z.object({
    amountMinor: z.number().int().nonnegative(),
    currency: z.enum(["EUR", "GBP", "USD"]),
    taxInclusive: z.boolean(),
  }),
  interval: IntervalSchema,
  intervalCount: z.number().int().min(1).max(12).default(1),
  renewal: z.object({
    automatic: z.boolean(),
    /** After the minimum term: "indefinite" (cancellable with noticeDays) or renewing for the same term. */
    afterMinimumTerm: z.enum(["indefinite", "same-term"]),
    /** Notice the member must give to stop the next renewal. */
    noticeDays: z.number().int().min(0).max(365),
  }),
  /** 0 = no minimum term. */
  minimumTermMonths: z.number().int().min(0).max(60),
  trial: z
    .object({
      days: z.number().int().min(1).max(365),
      /** Price charged during the trial (0 for a free trial). */
      priceMinor: z.number().int().nonnegative(),
    })
    .nullable(),
  cancellation: z.object({
    methods: z.array(CancellationMethodSchema).min(1),
    url: z.string().trim().min(1),
    /** Retention ("save") offers shown in the cancel flow. */
    saveOffers: z.number().int().min(0).max(5),
    /** Actions a signed-in member needs from the account page to cancel. */
    steps: z.number().int().min(1).max(10),
  }),
  withdrawal: z.object({
    right: z.boolean(),
    periodDays: z.number().int().min(0).max(365),
    /** The member may ask for the service to start inside the withdrawal period (CRD art 8(8)). */
    serviceStartsImmediately: z.boolean(),
    /** A reason the product is exempt from withdrawal (CRD art 16), disclosed before the contract. */
    exemptReason: z.string().trim().min(3).nullable(),
    instructionsUrl: z.string().trim().min(1),
    functionUrl: z.string().trim().min(1),
    refundDays: z.number().int().min(0).max(90),
    /** UK DMCC (future): renewal cooling-off period offered on each qualifying renewal. */
    renewalCoolingOff: z.boolean().default(false),
  }),
  trader: z.object({
    name: z.string().trim().min(2),
    address: z.string().trim().min(5),
    email: z.email(),
  }),
  /** An announced reduction: the prior price shown and the lowest price of the 30 days before it. */
  discount: z
    .object({
      priorPriceShownMinor: z.number().int().nonnegative(),
      lowest30DaysMinor: z.number().int().nonnegative(),
    })
    .nullable()
    .default(null),
});
export type Terms = z.output<typeof TermsSchema>;
export type TermsInput = z.input<typeof TermsSchema>;

/** Canonical JSON (sorted keys) so equal terms always hash alike. */
export function canonicalTermsJson(terms: Terms): string {
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort);
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, sort((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  return JSON.stringify(sort(terms));
}

/** Fields whose change needs a new terms version (any change does; these are called out in diffs). */
export const MATERIAL_FIELDS = ["price", "interval", "intervalCount", "renewal", "trial", "minimumTermMonths"] as const;
