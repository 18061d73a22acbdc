/**
 * @kiln/capacity — server-only: the co-op's microfactory pool (factories, capacity windows,
 * requests), the fair-share and optimal (HiGHS) allocation, explanations, runs and locked
 * allocations. The pure solvers (fair-share, optimal, explain, instance, periods) take plain data;
 * the input schemas are browser-safe and also exported alone as "@kiln/capacity/schemas".
 */
export * from "./instance";
export * from "./periods";
export { fairShare, waterFill, wholeUnits } from "./fair-share";
export {
  buildOptimalModel,
  optimalPlan,
  solveLpInWorker,
  startFrom,
  type OptimalOptions,
  type HighsRun,
} from "./optimal";
export * from "./explain";
export * from "./schemas";
export { randomInstance, seededRandom, type RandomInstanceOptions } from "./random-instance";
export {
  listFactories,
  createFactory,
  updateFactory,
  setFactoryActive,
  setWindow,
  setQuarterWindows,
  listWindows,
  setCreatorWeight,
  listCreatorWeights,
  type Factory,
  type WindowRow,
} from "./pool";
export { createCapacityRequest, withdrawCapacityRequest, listCapacityRequests, type CapacityRequest } from "./requests";
export {
  runAllocation,
  listAllocationRuns,
  getAllocationRun,
  lockAllocationRun,
  adjustAllocation,
  METHODS,
  STAGE_PROGRESS,
  type RunStage,
  type RunView,
  type PlanView,
  type RunListItem,
  type PlanSummary,
} from "./runs";
export {
  getLockedAllocation,
  selectLockedAllocation,
  listCreatorAllocations,
  listFactoryWork,
  markBatch,
  exportFactoryWorkCsv,
  type LockedAllocation,
  type LockedBatch,
  type CreatorAllocation,
  type FactoryWorkItem,
} from "./allocations";
export { loadRawHighs } from "./raw-highs";
export { assertProductCapacity } from "./products";
export { reviseDropShipBy, type RevisedDrop } from "./drop-dates";
export {
  leadTimeStats,
  getLeadTimeReport,
  getCapacitySettings,
  setCapacitySettings,
  DEFAULT_OFFSHORE_LEAD_TIME_DAYS,
  type LeadTimeSample,
  type LeadTimeStats,
  type LeadTimeReport,
  type LeadTimeBatch,
  LEAD_TIME_BATCHES,
} from "./lead-times";
export { listFlaggedAllocations, type FlaggedAllocation, type FlagReason } from "./replan";
export { runLockedEmail } from "./notify";
export {
  ALLOCATION_QUEUE,
  BACKGROUND_RUN_MIN_REQUESTS,
  startAllocation,
  processAllocationJob,
  getAllocationJob,
  listAllocationJobs,
  type AllocationJob,
  type StartedAllocation,
} from "./allocation-jobs";
