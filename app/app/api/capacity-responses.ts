import { z } from "zod";

/**
 * The capacity API's response bodies (issue 7 §8) as zod schemas: registered as OpenAPI components
 * (openapi-capacity.ts) and checked against real responses in app/app/routes/capacity-openapi.test.ts,
 * so the document describes what the endpoints return. Dates are ISO strings in JSON.
 */

const Id = z.uuid();
const Units = z.int().min(0);
const IsoWeek = z.string().regex(/^\d{4}-W\d{2}$/);
const Day = z.iso.date();
const Timestamp = z.iso.datetime({ offset: true });
const Method = z.enum(["fair", "optimal"]);
const BoundBy = z.enum(["request", "capacity", "min_batch", "eligibility"]);

export const CapacityFactoryResponse = z.object({
  id: Id,
  name: z.string(),
  location: z.string(),
  capabilities: z.array(z.string()),
  leadTimeDays: Units,
  costPerUnitCents: Units,
  isBackup: z.boolean(),
  isActive: z.boolean(),
});

export const CapacityWindowResponse = z.object({
  id: Id,
  factoryId: Id,
  factoryName: z.string(),
  capability: z.string(),
  period: IsoWeek,
  units: Units,
});

export const CapacityRequestResponse = z.object({
  id: Id,
  creatorId: Id,
  creatorName: z.string(),
  capability: z.string(),
  period: IsoWeek,
  units: Units,
  minBatch: Units,
  preferredFactoryIds: z.array(Id),
  latestShipDate: Day.nullable(),
  status: z.string(),
  createdAt: Timestamp,
});

export const ExplanationPartResponse = z.object({
  code: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});

const SolverReport = z.object({
  status: z.string(),
  objective: z.number(),
  mipGap: z.number().nullable(),
  solveSeconds: z.number(),
  variables: z.int(),
  constraints: z.int(),
  message: z.string().optional(),
});

export const AllocationPlanResponse = z.object({
  method: Method,
  summary: z.object({
    totalUnits: Units,
    requestedUnits: Units,
    fairShares: z.record(z.string(), z.number()),
    dropped: z.array(z.string()),
    solver: SolverReport.nullable(),
  }),
  outcomes: z.array(
    z.object({
      requestId: Id,
      creatorId: Id,
      creatorName: z.string(),
      capability: z.string(),
      requested: Units,
      allocated: Units,
      fairShare: z.number(),
      boundBy: BoundBy,
      parts: z.array(ExplanationPartResponse),
      explanation: z.string(),
    }),
  ),
  batches: z.array(
    z.object({
      requestId: Id,
      factoryId: Id,
      units: Units,
      factoryName: z.string(),
      creatorName: z.string(),
      capability: z.string(),
      isAdjusted: z.boolean(),
    }),
  ),
  utilisation: z.array(
    z.object({
      factoryId: Id,
      factoryName: z.string(),
      capability: z.string(),
      capacity: Units,
      allocated: Units,
      utilisation: z.number().min(0).max(1),
    }),
  ),
});

export const AllocationRunResponse = z.object({
  id: Id,
  period: IsoWeek,
  status: z.enum(["draft", "locked", "superseded"]),
  allowBackup: z.boolean(),
  lockedMethod: Method.nullable(),
  lockedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  plans: z.object({ fair: AllocationPlanResponse, optimal: AllocationPlanResponse }),
});

export const AllocationRunListItemResponse = z.object({
  id: Id,
  period: IsoWeek,
  status: z.string(),
  allowBackup: z.boolean(),
  lockedMethod: Method.nullable(),
  createdAt: Timestamp,
  fairUnits: Units,
  optimalUnits: Units,
});

const LockedBatch = z.object({
  factoryId: Id,
  factoryName: z.string(),
  units: Units,
  shipBy: Day,
  flagReason: z.string().nullable(),
  revisedShipBy: Day.nullable(),
});

export const CreatorAllocationResponse = z.object({
  requestId: Id,
  capability: z.string(),
  period: IsoWeek,
  requested: Units,
  allocated: Units,
  fairShare: z.number(),
  boundBy: BoundBy,
  parts: z.array(ExplanationPartResponse),
  explanation: z.string(),
  batches: z.array(LockedBatch),
});

const LeadTimeStats = z.object({
  id: Id,
  name: z.string(),
  shipped: Units,
  onTime: Units,
  onTimeRate: z.number().min(0).max(1),
  meanDays: z.number(),
  varianceDays: z.number().min(0),
  meanPromisedDays: z.number(),
  meanDelayDays: z.number(),
  deltaVsOffshoreDays: z.number(),
});

export const LeadTimeReportResponse = z.object({
  offshoreLeadTimeDays: z.int().min(1),
  isDefaultBaseline: z.boolean(),
  factories: z.array(LeadTimeStats),
  creators: z.array(LeadTimeStats),
  batches: z.array(
    z.object({
      allocationId: Id,
      factoryName: z.string(),
      creatorName: z.string(),
      period: IsoWeek,
      units: Units,
      promisedShipBy: Day,
      shippedOn: Day,
      promisedDays: Units,
      actualDays: z.int(),
      lateDays: z.int(),
    }),
  ),
});

export const FactoryWorkItemResponse = z.object({
  allocationId: Id,
  period: IsoWeek,
  capability: z.string(),
  creatorName: z.string(),
  units: Units,
  shipBy: Day,
  startedAt: Timestamp.nullable(),
  shippedAt: Timestamp.nullable(),
  flagReason: z.string().nullable(),
  revisedShipBy: Day.nullable(),
});

/** Component id → schema, registered by registerCapacitySchemas. */
export const capacityResponseComponents = [
  [CapacityFactoryResponse, "CapacityFactory"],
  [CapacityWindowResponse, "CapacityWindow"],
  [CapacityRequestResponse, "CapacityRequest"],
  [AllocationRunListItemResponse, "AllocationRunListItem"],
  [AllocationRunResponse, "AllocationRun"],
  [CreatorAllocationResponse, "CreatorAllocation"],
  [LeadTimeReportResponse, "CapacityLeadTimeReport"],
  [FactoryWorkItemResponse, "FactoryWorkItem"],
] as const;
