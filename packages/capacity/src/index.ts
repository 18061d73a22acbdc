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
