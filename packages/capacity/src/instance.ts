import { addDays } from "./periods";

/**
 * The input of an allocation run for one production window: plain data, so the solvers are pure
 * functions and a run's inputs can be stored and replayed exactly.
 */
export interface FactoryInput {
  id: string;
  name: string;
  location: string;
  isBackup: boolean;
  isActive: boolean;
  leadTimeDays: number;
  costPerUnitCents: number;
}

export interface WindowInput {
  factoryId: string;
  capability: string;
  units: number;
}

export interface RequestInput {
  id: string;
  creatorId: string;
  creatorName: string;
  capability: string;
  units: number;
  minBatch: number;
  /** From the co-op's policy; 1 for everyone by default. */
  weight: number;
  preferredFactoryIds: string[];
  /** "YYYY-MM-DD" or null (no deadline). */
  latestShipDate: string | null;
  /** ISO timestamp; with the id, the fixed order every tie is broken in. */
  submittedAt: string;
}

export interface AllocationInstance {
  period: string;
  /** Monday of the window ("YYYY-MM-DD"): a factory ships a batch `leadTimeDays` after it. */
  windowStart: string;
  /** Backup factories fill demand that primary capacity left unmet. */
  allowBackup: boolean;
  factories: FactoryInput[];
  windows: WindowInput[];
  requests: RequestInput[];
}

export type Method = "fair" | "optimal";

/** Units of one request made at one factory. */
export interface Batch {
  requestId: string;
  factoryId: string;
  units: number;
}

export interface SolverReport {
  /** HiGHS's model status, e.g. "Optimal", "Time limit reached"; "Fallback" when the fair plan was kept. */
  status: string;
  objective: number;
  /** Relative MIP gap HiGHS reports (0 = proven optimal); null when it did not solve. */
  mipGap: number | null;
  solveSeconds: number;
  variables: number;
  constraints: number;
  message?: string;
}

export interface Plan {
  method: Method;
  /** Sorted by request (fixed order), then factory id. */
  batches: Batch[];
  /** Weighted max-min fair share of primary capacity per request (continuous units). */
  fairShares: Record<string, number>;
  /** Requests the minimum-batch rule dropped from the fair share, in the order it dropped them. */
  dropped: string[];
  solver?: SolverReport;
}

/** The fixed order: earliest submitted first, then by id. */
export const byFixedOrder = (a: RequestInput, b: RequestInput) =>
  a.submittedAt < b.submittedAt ? -1 : a.submittedAt > b.submittedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

export const windowKey = (factoryId: string, capability: string) => `${factoryId}\u0000${capability}`;

export type IneligibleReason = "no_window" | "paused" | "too_slow";

/** Whether a factory can make a request in this window, and if not, why. */
export function eligibility(
  instance: AllocationInstance,
  request: RequestInput,
  factory: FactoryInput,
  capacity: ReadonlyMap<string, number>,
): IneligibleReason | null {
  if (!((capacity.get(windowKey(factory.id, request.capability)) ?? 0) > 0)) return "no_window";
  if (!factory.isActive) return "paused";
  if (request.latestShipDate && addDays(instance.windowStart, factory.leadTimeDays) > request.latestShipDate)
    return "too_slow";
  return null;
}

export function capacityMap(instance: AllocationInstance): Map<string, number> {
  const map = new Map<string, number>();
  for (const w of instance.windows) {
    const key = windowKey(w.factoryId, w.capability);
    map.set(key, (map.get(key) ?? 0) + w.units);
  }
  return map;
}

/**
 * Factories a request may use, best first: preferred ones, then primary before backup, cheaper,
 * faster, then by name and id (a total order, so placement is deterministic).
 */
export function eligibleFactories(
  instance: AllocationInstance,
  request: RequestInput,
  capacity: ReadonlyMap<string, number>,
): FactoryInput[] {
  const preferred = new Set(request.preferredFactoryIds);
  return instance.factories
    .filter((f) => eligibility(instance, request, f, capacity) === null)
    .sort(
      (a, b) =>
        Number(preferred.has(b.id)) - Number(preferred.has(a.id)) ||
        Number(a.isBackup) - Number(b.isBackup) ||
        a.costPerUnitCents - b.costPerUnitCents ||
        a.leadTimeDays - b.leadTimeDays ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
}

/** Units per request in a set of batches. */
export function totalsOf(batches: readonly Batch[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const b of batches) totals.set(b.requestId, (totals.get(b.requestId) ?? 0) + b.units);
  return totals;
}

/** Every way a plan can break the rules; empty when it is valid. Used by tests and before storing. */
export function checkPlan(instance: AllocationInstance, batches: readonly Batch[]): string[] {
  const problems: string[] = [];
  const capacity = capacityMap(instance);
  const requests = new Map(instance.requests.map((r) => [r.id, r]));
  const factories = new Map(instance.factories.map((f) => [f.id, f]));
  const used = new Map<string, number>();
  for (const b of batches) {
    const r = requests.get(b.requestId);
    const f = factories.get(b.factoryId);
    if (!r || !f) {
      problems.push(`batch of unknown request or factory (${b.requestId} @ ${b.factoryId})`);
      continue;
    }
    if (!Number.isInteger(b.units) || b.units < 0) problems.push(`${r.id} @ ${f.id}: ${b.units} is not a whole number`);
    if (b.units > 0 && b.units < r.minBatch)
      problems.push(`${r.id} @ ${f.id}: batch ${b.units} below minimum ${r.minBatch}`);
    if (b.units > 0 && eligibility(instance, r, f, capacity) !== null)
      problems.push(`${r.id} @ ${f.id}: factory not eligible (${eligibility(instance, r, f, capacity)})`);
    if (b.units > 0 && f.isBackup && !instance.allowBackup) problems.push(`${r.id} @ ${f.id}: backup not allowed`);
    const key = windowKey(f.id, r.capability);
    used.set(key, (used.get(key) ?? 0) + b.units);
  }
  for (const [key, units] of used)
    if (units > (capacity.get(key) ?? 0)) problems.push(`window ${key.replace("\u0000", "/")} over capacity`);
  for (const [id, units] of totalsOf(batches)) {
    const r = requests.get(id);
    if (r && units > r.units) problems.push(`${id}: ${units} allocated, ${r.units} requested`);
  }
  return problems;
}
