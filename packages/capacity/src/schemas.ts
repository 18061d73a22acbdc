import { z } from "zod";

/**
 * Input schemas of the capacity pool, with human messages (German in app/app/i18n/messages-de.ts).
 * Browser-safe (zod only): forms, actions and the API share them.
 */

const WholeUnits = (what: string) =>
  z
    .number({ error: `Enter the ${what} as a number` })
    .int({ error: `Enter the ${what} as a whole number` })
    .min(0, { error: `The ${what} cannot be negative` })
    .max(1_000_000, { error: `The ${what} can be at most 1,000,000` });

export const CapabilitySchema = z
  .string({ error: "Enter a capability" })
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, {
    error: "A capability is a short name in lower case, digits and dashes, e.g. screenprint",
  });

export const PeriodSchema = z
  .string({ error: "Choose a production window" })
  .regex(/^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/, { error: "A production window is an ISO week like 2026-W49" });

export const QuarterSchema = z
  .string({ error: "Choose a quarter" })
  .regex(/^\d{4}-Q[1-4]$/, { error: "A quarter looks like 2026-Q4" });

const Checkbox = z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()).default(false);

export const FactorySchema = z.object({
  name: z.string({ error: "Enter the factory's name" }).trim().min(1, { error: "Enter the factory's name" }).max(120),
  location: z
    .string({ error: "Enter where the factory is" })
    .trim()
    .min(1, { error: "Enter where the factory is" })
    .max(200),
  capabilities: z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(CapabilitySchema).min(1, { error: "Name at least one capability" }).max(20),
  ),
  leadTimeDays: WholeUnits("lead time").max(365, { error: "The lead time can be at most 365 days" }),
  costPerUnitCents: WholeUnits("cost per unit"),
  isBackup: Checkbox,
  isActive: Checkbox,
});
export type FactoryFields = z.input<typeof FactorySchema>;

export const FactoryActiveSchema = z.object({
  factoryId: z.uuid({ error: "Unknown factory" }),
  isActive: z.preprocess((v) => v === true || v === "true", z.boolean()),
});

export const WindowSchema = z.object({
  factoryId: z.uuid({ error: "Choose a factory" }),
  capability: CapabilitySchema,
  period: PeriodSchema,
  units: WholeUnits("capacity"),
});
export type WindowFields = z.input<typeof WindowSchema>;

export const QuarterWindowsSchema = z.object({
  factoryId: z.uuid({ error: "Choose a factory" }),
  capability: CapabilitySchema,
  quarter: QuarterSchema,
  units: WholeUnits("capacity per week"),
});
export type QuarterWindowsFields = z.input<typeof QuarterWindowsSchema>;

export const CapacityRequestSchema = z
  .object({
    capability: CapabilitySchema,
    period: PeriodSchema,
    units: WholeUnits("units").min(1, { error: "Ask for at least 1 unit" }),
    minBatch: WholeUnits("minimum batch").min(1, { error: "The minimum batch is at least 1" }).default(1),
    preferredFactoryIds: z
      .preprocess(
        (v): unknown[] => (v === undefined || v === "" ? [] : Array.isArray(v) ? (v as unknown[]) : [v]),
        z.array(z.uuid({ error: "Unknown factory" })),
      )
      .default([]),
    latestShipDate: z
      .preprocess(
        (v) => (v === "" ? undefined : v),
        z.iso.date({ error: "Enter the latest ship date as a date (YYYY-MM-DD)" }).optional(),
      )
      .nullable(),
  })
  .refine((r) => r.minBatch <= r.units, {
    path: ["minBatch"],
    error: "The minimum batch cannot be larger than the units you ask for",
  });
export type CapacityRequestFields = z.input<typeof CapacityRequestSchema>;

export const RunAllocationSchema = z.object({ period: PeriodSchema, allowBackup: Checkbox });
export type RunAllocationFields = z.input<typeof RunAllocationSchema>;

export const MethodSchema = z.enum(["fair", "optimal"], { error: "Choose the fair or the optimal plan" });

export const LockRunSchema = z.object({ runId: z.uuid({ error: "Unknown run" }), method: MethodSchema });

export const AdjustAllocationSchema = z.object({
  runId: z.uuid({ error: "Unknown run" }),
  method: MethodSchema,
  requestId: z.uuid({ error: "Unknown request" }),
  factoryId: z.uuid({ error: "Choose a factory" }),
  units: WholeUnits("units"),
});
export type AdjustAllocationFields = z.input<typeof AdjustAllocationSchema>;

export const CreatorWeightSchema = z.object({
  creatorId: z.uuid({ error: "Unknown creator" }),
  weight: z
    .number({ error: "Enter the weight as a number" })
    .positive({ error: "A weight is above 0" })
    .max(100, { error: "A weight can be at most 100" }),
});

export const MarkBatchSchema = z.object({
  allocationId: z.uuid({ error: "Unknown batch" }),
  step: z.enum(["started", "shipped"], { error: "Choose started or shipped" }),
});

export const CapacitySettingsSchema = z.object({
  offshoreLeadTimeDays: WholeUnits("offshore lead time")
    .min(1, { error: "The offshore lead time is at least 1 day" })
    .max(365, { error: "The offshore lead time can be at most 365 days" }),
});
export type CapacitySettingsFields = z.input<typeof CapacitySettingsSchema>;

/** An allocation run request: `background` forces a pg-boss job even for a small window. */
export const RunRequestSchema = RunAllocationSchema.extend({ background: Checkbox });
