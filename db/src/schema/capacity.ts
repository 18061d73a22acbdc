import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import {
  coopAdminPolicy,
  coopReadPolicy,
  factoryOperatorReadPolicy,
  factoryOperatorWritePolicy,
  ownCreatorPolicy,
  systemPolicy,
} from "./rls";
import { coops, creators, factories } from "./tenancy";
import { coopRef } from "./tenant-keys";

/**
 * The co-op's microfactory pool (issue 7): capacity per factory, capability and production window,
 * creators' requests, and allocation runs. A production window is an ISO week ("2026-W49") in the
 * co-op's time zone. Admins write capacity and runs; creators write their own requests and read
 * their own allocations; a factory operator reads only their factory's windows and allocations.
 */

/** Units of one capability a factory can make in one production window. */
export const capacityWindows = pgTable(
  "capacity_windows",
  {
    id: id(),
    coopId: coopRef(),
    factoryId: uuid()
      .notNull()
      .references(() => factories.id, { onDelete: "cascade" }),
    capability: text().notNull(),
    /** ISO week, e.g. "2026-W49". */
    period: text().notNull(),
    units: integer().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("capacity_windows_factory_capability_period_key").on(t.factoryId, t.capability, t.period),
    index("capacity_windows_coop_period_idx").on(t.coopId, t.period),
    check("capacity_windows_units_nonnegative", sql`${t.units} >= 0`),
    check("capacity_windows_period_iso_week", sql`${t.period} ~ '^[0-9]{4}-W[0-9]{2}$'`),
    systemPolicy("capacity_windows"),
    coopAdminPolicy("capacity_windows"),
    coopReadPolicy("capacity_windows", ["creator_owner", "creator_staff"]),
    factoryOperatorReadPolicy("capacity_windows"),
  ],
);

/** A creator asks for units of a capability in a window. */
export const capacityRequests = pgTable(
  "capacity_requests",
  {
    id: id(),
    coopId: coopRef(),
    creatorId: uuid()
      .notNull()
      .references(() => creators.id, { onDelete: "cascade" }),
    capability: text().notNull(),
    period: text().notNull(),
    units: integer().notNull(),
    /** Smallest batch worth making at one factory: a request is split only into batches this large. */
    minBatch: integer().notNull().default(1),
    preferredFactoryIds: uuid()
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** With each factory's lead time, decides which factories qualify. */
    latestShipDate: date({ mode: "string" }),
    status: text().notNull().default("open"),
    createdByUserId: uuid(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("capacity_requests_coop_period_idx").on(t.coopId, t.period),
    index("capacity_requests_creator_idx").on(t.creatorId),
    check("capacity_requests_units_positive", sql`${t.units} > 0`),
    check("capacity_requests_min_batch", sql`${t.minBatch} >= 1 and ${t.minBatch} <= ${t.units}`),
    check("capacity_requests_status", sql`${t.status} in ('open', 'withdrawn')`),
    systemPolicy("capacity_requests"),
    coopAdminPolicy("capacity_requests"),
    ownCreatorPolicy("capacity_requests", "all"),
  ],
);

/**
 * One allocation run of a co-op's window: both plans (fair share and optimal) side by side, with
 * the inputs they were computed from. Locking picks one plan; the previous locked run is superseded.
 */
export const allocationRuns = pgTable(
  "allocation_runs",
  {
    id: id(),
    coopId: coopRef(),
    period: text().notNull(),
    allowBackup: boolean().notNull().default(false),
    status: text().notNull().default("draft"),
    /** The instance both plans were computed from (factories, windows, requests, weights). */
    inputs: jsonb().notNull(),
    /** Per method: totals, objective, solver status, MIP gap, timings, factory utilisation. */
    summary: jsonb().notNull(),
    lockedMethod: text(),
    lockedAt: ts(),
    lockedByUserId: uuid(),
    runByUserId: uuid(),
    createdAt: createdAt(),
  },
  (t) => [
    index("allocation_runs_coop_period_idx").on(t.coopId, t.period),
    check("allocation_runs_status", sql`${t.status} in ('draft', 'locked', 'superseded')`),
    check("allocation_runs_locked_method", sql`${t.lockedMethod} is null or ${t.lockedMethod} in ('fair', 'optimal')`),
    systemPolicy("allocation_runs"),
    coopAdminPolicy("allocation_runs"),
  ],
);

/** Units of one request assigned to one factory in one plan of a run (a batch). */
export const allocations = pgTable(
  "allocations",
  {
    id: id(),
    coopId: coopRef(),
    runId: uuid()
      .notNull()
      .references(() => allocationRuns.id, { onDelete: "cascade" }),
    method: text().notNull(),
    requestId: uuid()
      .notNull()
      .references(() => capacityRequests.id, { onDelete: "cascade" }),
    creatorId: uuid()
      .notNull()
      .references(() => creators.id, { onDelete: "cascade" }),
    factoryId: uuid()
      .notNull()
      .references(() => factories.id, { onDelete: "cascade" }),
    capability: text().notNull(),
    period: text().notNull(),
    units: integer().notNull(),
    /** Changed by an admin after the run (audited). */
    isAdjusted: boolean().notNull().default(false),
    /** Part of the locked plan (what drops consume and factories make); cleared when superseded. */
    isLocked: boolean().notNull().default(false),
    /** Capacity changed after locking (window cut, factory paused): this batch needs re-planning. */
    flaggedAt: ts(),
    flagReason: text(),
    /** The earliest ship-by date the co-op's remaining capacity still allows (null: none found). */
    revisedShipBy: date({ mode: "string" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check(
      "allocations_flag_reason",
      sql`${t.flagReason} is null or ${t.flagReason} in ('window_reduced', 'factory_paused')`,
    ),
    uniqueIndex("allocations_run_method_request_factory_key").on(t.runId, t.method, t.requestId, t.factoryId),
    index("allocations_creator_idx").on(t.creatorId, t.capability, t.period),
    index("allocations_factory_idx").on(t.factoryId, t.period),
    check("allocations_units_nonnegative", sql`${t.units} >= 0`),
    check("allocations_method", sql`${t.method} in ('fair', 'optimal')`),
    systemPolicy("allocations"),
    coopAdminPolicy("allocations"),
    ownCreatorPolicy("allocations", "select"),
    factoryOperatorReadPolicy("allocations"),
  ],
);

/** What one request got in one plan of a run, and why (a plain-language explanation). */
export const allocationOutcomes = pgTable(
  "allocation_outcomes",
  {
    id: id(),
    coopId: coopRef(),
    runId: uuid()
      .notNull()
      .references(() => allocationRuns.id, { onDelete: "cascade" }),
    method: text().notNull(),
    requestId: uuid()
      .notNull()
      .references(() => capacityRequests.id, { onDelete: "cascade" }),
    creatorId: uuid()
      .notNull()
      .references(() => creators.id, { onDelete: "cascade" }),
    requestedUnits: integer().notNull(),
    allocatedUnits: integer().notNull(),
    /** The weighted fair share the creator was entitled to (units, may be fractional). */
    fairShare: doublePrecision().notNull(),
    /** What bound the result: capacity, request, min_batch, eligibility, none. */
    boundBy: text().notNull(),
    /** Structured explanation (message keys and numbers), rendered in the reader's language. */
    explanation: jsonb().notNull(),
    /** Part of the locked plan: what the creator is shown as their allocation. */
    isLocked: boolean().notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("allocation_outcomes_run_method_request_key").on(t.runId, t.method, t.requestId),
    index("allocation_outcomes_creator_idx").on(t.creatorId),
    systemPolicy("allocation_outcomes"),
    coopAdminPolicy("allocation_outcomes"),
    ownCreatorPolicy("allocation_outcomes", "select"),
  ],
);

/**
 * Progress of one locked batch at its factory: the operator marks production started and shipped.
 * Kept beside the allocation (operators may write this, never the allocation itself); the promised
 * ship date is the window start + the factory's lead time, the actual one is shipped_at.
 */
export const batchProgress = pgTable(
  "batch_progress",
  {
    allocationId: uuid()
      .primaryKey()
      .references(() => allocations.id, { onDelete: "cascade" }),
    coopId: coopRef(),
    factoryId: uuid()
      .notNull()
      .references(() => factories.id, { onDelete: "cascade" }),
    creatorId: uuid()
      .notNull()
      .references(() => creators.id, { onDelete: "cascade" }),
    startedAt: ts(),
    shippedAt: ts(),
    updatedByUserId: uuid(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("batch_progress_factory_idx").on(t.factoryId),
    check("batch_progress_shipped_after_start", sql`${t.shippedAt} is null or ${t.startedAt} is not null`),
    systemPolicy("batch_progress"),
    coopAdminPolicy("batch_progress"),
    factoryOperatorWritePolicy("batch_progress"),
    ownCreatorPolicy("batch_progress", "select"),
  ],
);

/** The co-op's capacity settings: the offshore lead time its factories are compared with. */
export const capacitySettings = pgTable(
  "capacity_settings",
  {
    coopId: uuid()
      .primaryKey()
      .references(() => coops.id, { onDelete: "cascade" }),
    /** Days from order to shipment when producing offshore (the baseline of the lead-time delta). */
    offshoreLeadTimeDays: integer().notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("capacity_settings_offshore_days", sql`${t.offshoreLeadTimeDays} between 1 and 365`),
    systemPolicy("capacity_settings"),
    coopAdminPolicy("capacity_settings"),
  ],
);

/**
 * A long allocation run, computed by the pg-boss worker: its progress (stage and percent) for the
 * admin's screen, and the draft run it produced.
 */
export const allocationJobs = pgTable(
  "allocation_jobs",
  {
    id: id(),
    coopId: coopRef(),
    period: text().notNull(),
    allowBackup: boolean().notNull().default(false),
    status: text().notNull().default("queued"),
    stage: text().notNull().default("queued"),
    progress: integer().notNull().default(0),
    runId: uuid().references(() => allocationRuns.id, { onDelete: "set null" }),
    error: text(),
    requestedByUserId: uuid().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("allocation_jobs_coop_idx").on(t.coopId, t.createdAt),
    check("allocation_jobs_status", sql`${t.status} in ('queued', 'running', 'done', 'failed')`),
    check("allocation_jobs_progress", sql`${t.progress} between 0 and 100`),
    systemPolicy("allocation_jobs"),
    coopAdminPolicy("allocation_jobs"),
  ],
);
