import type { z } from "zod";
import {
  AdjustAllocationSchema,
  CapacityRequestSchema,
  CapacitySettingsSchema,
  CreatorWeightSchema,
  FactorySchema,
  MarkBatchSchema,
  MethodSchema,
  QuarterWindowsSchema,
  RunRequestSchema,
  WindowSchema,
} from "@kiln/capacity/schemas";
import { capacityResponseComponents } from "./capacity-responses";

/** The capacity pool's part of the OpenAPI document (issue 7): its request bodies and paths. */

export function registerCapacitySchemas(registry: z.core.$ZodRegistry<{ id: string }>) {
  registry.add(FactorySchema, { id: "CapacityFactoryInput" });
  registry.add(WindowSchema, { id: "CapacityWindowInput" });
  registry.add(CapacityRequestSchema, { id: "CapacityRequestInput" });
  registry.add(RunRequestSchema, { id: "CapacityRunInput" });
  registry.add(MethodSchema, { id: "CapacityMethod" });
  registry.add(CreatorWeightSchema, { id: "CapacityWeightInput" });
  registry.add(QuarterWindowsSchema, { id: "CapacityQuarterInput" });
  registry.add(CapacitySettingsSchema, { id: "CapacitySettingsInput" });
  registry.add(AdjustAllocationSchema.omit({ runId: true }), { id: "CapacityAdjustmentInput" });
  registry.add(MarkBatchSchema.pick({ step: true }), { id: "CapacityBatchStepInput" });
  for (const [schema, id] of capacityResponseComponents) registry.add(schema, { id });
}

type Helpers = {
  ref: (id: string) => { $ref: string };
  errors: (...statuses: number[]) => Record<string, unknown>;
  secured: (scope: string) => unknown[];
};

const object = (description: string, properties: Record<string, unknown>) => ({
  description,
  content: { "application/json": { schema: { type: "object", properties } } },
});
const body = (schema: unknown) => ({ required: true, content: { "application/json": { schema } } });
const coop = { name: "coopSlug", in: "path", required: true, schema: { type: "string" } };
const creator = { name: "creatorSlug", in: "path", required: true, schema: { type: "string" } };
const run = { name: "runId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const job = { name: "jobId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const factory = { name: "factoryId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const batch = { name: "allocationId", in: "path", required: true, schema: { type: "string", format: "uuid" } };
const period = {
  name: "period",
  in: "query",
  required: false,
  description: "An ISO week like 2026-W49 (the co-op's time zone); all windows when absent",
  schema: { type: "string" },
};
const array = { type: "array", items: { type: "object" } };

export function capacityPaths({ ref, errors, secured }: Helpers) {
  const list = (id: string) => ({ type: "array", items: ref(id) });
  return {
    "/coops/{coopSlug}/capacity/factories": {
      get: {
        operationId: "listCapacityFactories",
        summary: "The co-op's factories (co-op admins)",
        security: secured("capacity:read"),
        parameters: [coop],
        responses: { "200": object("The factories", { factories: list("CapacityFactory") }), ...errors(401, 403, 404) },
      },
      post: {
        operationId: "createCapacityFactory",
        summary: "Register a factory (name, location, capabilities, lead time, cost per unit, backup, active)",
        security: secured("capacity:write"),
        parameters: [coop],
        requestBody: body(ref("CapacityFactoryInput")),
        responses: { "201": object("The factory", { factory: ref("CapacityFactory") }), ...errors(400, 401, 403, 404) },
      },
    },
    "/coops/{coopSlug}/capacity/windows": {
      get: {
        operationId: "listCapacityWindows",
        summary: "Capacity per factory, capability and production window",
        security: secured("capacity:read"),
        parameters: [coop, period],
        responses: { "200": object("The windows", { windows: list("CapacityWindow") }), ...errors(400, 401, 403, 404) },
      },
      put: {
        operationId: "setCapacityWindow",
        summary: "Set one window's capacity (not in the past; the factory must have the capability)",
        security: secured("capacity:write"),
        parameters: [coop],
        requestBody: body(ref("CapacityWindowInput")),
        responses: { "204": { description: "Saved" }, ...errors(400, 401, 403, 404) },
      },
    },
    "/coops/{coopSlug}/capacity/requests": {
      get: {
        operationId: "listCoopCapacityRequests",
        summary: "Every creator's capacity requests (co-op admins)",
        security: secured("capacity:read"),
        parameters: [coop, period],
        responses: {
          "200": object("The requests", { requests: list("CapacityRequest") }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    "/coops/{coopSlug}/capacity/runs": {
      get: {
        operationId: "listAllocationRuns",
        summary: "Allocation runs, newest first",
        security: secured("capacity:read"),
        parameters: [coop],
        responses: { "200": object("The runs", { runs: list("AllocationRunListItem") }), ...errors(401, 403, 404) },
      },
      post: {
        operationId: "runAllocation",
        summary: "Compute the weighted fair share and the optimal plan (HiGHS) for a window, as a draft run",
        security: secured("capacity:write"),
        parameters: [coop],
        requestBody: body(ref("CapacityRunInput")),
        description:
          "A window with 100 or more open requests (or `background: true`) is computed by the worker: 202 with a job to poll.",
        responses: {
          "201": object("The new run", { runId: { type: "string", format: "uuid" } }),
          "202": object("Queued as a background job", { jobId: { type: "string", format: "uuid" } }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    "/coops/{coopSlug}/capacity/runs/{runId}": {
      get: {
        operationId: "getAllocationRun",
        summary: "A run with both plans: batches, per-creator outcomes with explanations, utilisation, MIP gap",
        security: secured("capacity:read"),
        parameters: [coop, run],
        responses: { "200": object("The run", { run: ref("AllocationRun") }), ...errors(401, 403, 404) },
      },
    },
    "/coops/{coopSlug}/capacity/runs/{runId}/lock": {
      post: {
        operationId: "lockAllocationRun",
        summary: "Lock one plan of a draft run; the window's previous locked run is superseded",
        security: secured("capacity:write"),
        parameters: [coop, run],
        requestBody: body({ type: "object", required: ["method"], properties: { method: ref("CapacityMethod") } }),
        responses: { "204": { description: "Locked" }, ...errors(400, 401, 403, 404) },
      },
    },
    "/coops/{coopSlug}/capacity/runs/{runId}/adjustments": {
      post: {
        operationId: "adjustAllocation",
        summary: "Set one batch of a draft plan by hand (audited; the plan must still keep every rule)",
        security: secured("capacity:write"),
        parameters: [coop, run],
        requestBody: body(ref("CapacityAdjustmentInput")),
        responses: { "204": { description: "Adjusted" }, ...errors(400, 401, 403, 404) },
      },
    },
    "/coops/{coopSlug}/capacity/windows/quarter": {
      put: {
        operationId: "setQuarterWindows",
        summary: "Bulk entry: the same capacity for every week of a quarter that has not ended yet",
        security: secured("capacity:write"),
        parameters: [coop],
        requestBody: body(ref("CapacityQuarterInput")),
        responses: {
          "200": object("The weeks set", { periods: { type: "array", items: { type: "string" } } }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    "/coops/{coopSlug}/capacity/weights": {
      get: {
        operationId: "listCapacityWeights",
        summary: "The co-op's weight policy: each creator's allocation weight (1 = equal)",
        security: secured("capacity:read"),
        parameters: [coop],
        responses: { "200": object("The weights", { weights: array }), ...errors(401, 403, 404) },
      },
      put: {
        operationId: "setCapacityWeight",
        summary: "Set one creator's weight (applies to the next run)",
        security: secured("capacity:write"),
        parameters: [coop],
        requestBody: body(ref("CapacityWeightInput")),
        responses: { "204": { description: "Saved" }, ...errors(400, 401, 403, 404) },
      },
    },
    "/coops/{coopSlug}/capacity/settings": {
      get: {
        operationId: "getCapacitySettings",
        summary: "The offshore lead-time baseline (Kiln's default of 42 days until the co-op sets one)",
        security: secured("capacity:read"),
        parameters: [coop],
        responses: { "200": object("The settings", { settings: { type: "object" } }), ...errors(401, 403, 404) },
      },
      put: {
        operationId: "setCapacitySettings",
        summary: "Set the offshore lead-time baseline in days",
        security: secured("capacity:write"),
        parameters: [coop],
        requestBody: body(ref("CapacitySettingsInput")),
        responses: { "204": { description: "Saved" }, ...errors(400, 401, 403, 404) },
      },
    },
    "/coops/{coopSlug}/capacity/lead-times": {
      get: {
        operationId: "getCapacityLeadTimes",
        summary:
          "Per factory and creator, over shipped batches: on-time rate, mean and variance of the lead time, delay vs promised, delta vs offshore",
        security: secured("capacity:read"),
        parameters: [coop],
        responses: {
          "200": object("The report", { leadTimes: ref("CapacityLeadTimeReport") }),
          ...errors(401, 403, 404),
        },
      },
    },
    "/coops/{coopSlug}/capacity/flags": {
      get: {
        operationId: "listFlaggedAllocations",
        summary: "Locked batches flagged after capacity changed (window reduced, factory paused), with revised ship-by",
        security: secured("capacity:read"),
        parameters: [coop],
        responses: { "200": object("The flagged batches", { flagged: array }), ...errors(401, 403, 404) },
      },
    },
    "/coops/{coopSlug}/capacity/jobs/{jobId}": {
      get: {
        operationId: "getAllocationJob",
        summary: "A background allocation run: status, stage, percent and the draft run once done",
        security: secured("capacity:read"),
        parameters: [coop, job],
        responses: { "200": object("The job", { job: { type: "object" } }), ...errors(401, 403, 404) },
      },
    },
    "/factories/{factoryId}/work": {
      get: {
        operationId: "listFactoryWork",
        summary: "A factory operator's locked batches, with progress and re-planning flags",
        security: secured("capacity:read"),
        parameters: [factory],
        responses: { "200": object("The batches", { work: list("FactoryWorkItem") }), ...errors(401, 403, 404) },
      },
    },
    "/factories/{factoryId}/work/{allocationId}": {
      post: {
        operationId: "markFactoryBatch",
        summary: "Mark a batch: production started, then shipped (each once, in that order)",
        security: secured("capacity:write"),
        parameters: [factory, batch],
        requestBody: body(ref("CapacityBatchStepInput")),
        responses: { "204": { description: "Marked" }, ...errors(400, 401, 403, 404) },
      },
    },
    "/creators/{creatorSlug}/capacity/requests": {
      get: {
        operationId: "listCreatorCapacityRequests",
        summary: "The creator's own capacity requests",
        security: secured("capacity:read"),
        parameters: [creator, period],
        responses: {
          "200": object("The requests", { requests: list("CapacityRequest") }),
          ...errors(400, 401, 403, 404),
        },
      },
      post: {
        operationId: "createCapacityRequest",
        summary: "Ask for capacity: capability, window, units, minimum batch, preferred factories, latest ship date",
        security: secured("capacity:write"),
        parameters: [creator],
        requestBody: body(ref("CapacityRequestInput")),
        responses: { "201": object("The request", { request: ref("CapacityRequest") }), ...errors(400, 401, 403, 404) },
      },
    },
    "/creators/{creatorSlug}/capacity/allocations": {
      get: {
        operationId: "listCreatorAllocations",
        summary: "The creator's locked allocations, each with a plain-language explanation",
        security: secured("capacity:read"),
        parameters: [creator],
        responses: {
          "200": object("The allocations", { allocations: list("CreatorAllocation") }),
          ...errors(401, 403, 404),
        },
      },
    },
  };
}
