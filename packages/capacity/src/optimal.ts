import { Worker } from "node:worker_threads";
import {
  byFixedOrder,
  capacityMap,
  checkPlan,
  eligibleFactories,
  totalsOf,
  windowKey,
  type AllocationInstance,
  type Batch,
  type Plan,
  type SolverReport,
} from "./instance";

/**
 * The optimal plan: a mixed-integer program solved by HiGHS (wasm) in a worker thread.
 *
 *   maximise   Σ x[r,f] · (1 − ε·penalty[r,f])
 *   subject to Σ_f x[r,f] ≤ units[r]                       (never more than asked)
 *              Σ_f x[r,f] ≥ floor[r]                       (fair shares as floors)
 *              Σ_r x[r,f] ≤ capacity[f, capability]        (never more than a window holds)
 *              minBatch[r]·y[r,f] ≤ x[r,f] ≤ U[r,f]·y[r,f]  (a batch is 0 or ≥ the minimum; y binary)
 *              x integer, only for eligible (request, factory) pairs
 *
 * The floors are the fair-share plan's totals, which that plan satisfies, so the program is always
 * feasible and its objective is never below the fair plan's; the fair plan is also handed to HiGHS
 * as its starting incumbent, so a time limit still leaves a valid plan and a gap to report. The penalty prefers preferred, primary,
 * cheaper and faster factories; ε = 1/(Σ capacity + 1) keeps the whole penalty below one unit, so it
 * never trades a unit away.
 */

export interface OptimalOptions {
  /** Seconds HiGHS may run (the worker is stopped a little later regardless). */
  timeLimitSeconds?: number;
  /** Relative MIP gap at which HiGHS may stop. */
  mipRelGap?: number;
}

export interface OptimalModel {
  lp: string;
  /** Column name → (request, factory), and the batch switch's column when a minimum applies. */
  columns: Map<string, { requestId: string; factoryId: string; switch: string | null }>;
  variables: number;
  constraints: number;
}

const num = (value: number) => (Number.isInteger(value) ? String(value) : value.toPrecision(12));

export function buildOptimalModel(instance: AllocationInstance, floors: ReadonlyMap<string, number>): OptimalModel {
  const capacity = capacityMap(instance);
  const requests = [...instance.requests].sort(byFixedOrder);
  const factoryIndex = new Map(instance.factories.map((f, i) => [f.id, i]));
  const totalCapacity = [...capacity.values()].reduce((s, u) => s + u, 0);
  const epsilon = 1 / (totalCapacity + 1);
  const maxCost = Math.max(1, ...instance.factories.map((f) => f.costPerUnitCents));
  const maxLead = Math.max(1, ...instance.factories.map((f) => f.leadTimeDays));

  const objective: string[] = [];
  const rows: string[] = [];
  const bounds: string[] = [];
  const generals: string[] = [];
  const binaries: string[] = [];
  const columns = new Map<string, { requestId: string; factoryId: string; switch: string | null }>();
  const perWindow = new Map<string, string[]>();

  requests.forEach((r, ri) => {
    const preferred = new Set(r.preferredFactoryIds);
    const options = eligibleFactories(instance, r, capacity).filter((f) => instance.allowBackup || !f.isBackup);
    const xs: string[] = [];
    for (const f of options) {
      const x = `x${ri}_${factoryIndex.get(f.id)}`;
      const cap = capacity.get(windowKey(f.id, r.capability)) ?? 0;
      const upper = Math.min(r.units, cap);
      if (upper < r.minBatch) continue;
      const penalty =
        0.4 * Number(f.isBackup) +
        0.3 * (f.costPerUnitCents / maxCost) +
        0.2 * (f.leadTimeDays / maxLead) +
        0.1 * Number(!preferred.has(f.id));
      objective.push(`${num(1 - epsilon * penalty)} ${x}`);
      columns.set(x, {
        requestId: r.id,
        factoryId: f.id,
        switch: r.minBatch > 1 ? `y${ri}_${factoryIndex.get(f.id)}` : null,
      });
      xs.push(x);
      generals.push(x);
      bounds.push(`0 <= ${x} <= ${upper}`);
      if (r.minBatch > 1) {
        const y = `y${ri}_${factoryIndex.get(f.id)}`;
        binaries.push(y);
        rows.push(`lo${ri}_${factoryIndex.get(f.id)}: ${x} - ${r.minBatch} ${y} >= 0`);
        rows.push(`hi${ri}_${factoryIndex.get(f.id)}: ${x} - ${upper} ${y} <= 0`);
      }
      const key = windowKey(f.id, r.capability);
      perWindow.set(key, [...(perWindow.get(key) ?? []), x]);
    }
    if (xs.length === 0) return;
    rows.push(`d${ri}: ${xs.join(" + ")} <= ${r.units}`);
    const floor = floors.get(r.id) ?? 0;
    if (floor > 0) rows.push(`f${ri}: ${xs.join(" + ")} >= ${floor}`);
  });
  [...perWindow.keys()].sort().forEach((key, wi) => {
    rows.push(`k${wi}: ${perWindow.get(key)!.join(" + ")} <= ${capacity.get(key) ?? 0}`);
  });

  const lp = [
    "Maximize",
    ` obj: ${objective.length ? objective.join(" + ") : "0 zero"}`,
    "Subject To",
    ...(rows.length ? rows.map((r) => ` ${r}`) : [" c0: zero >= 0"]),
    "Bounds",
    ...bounds.map((b) => ` ${b}`),
    ...(objective.length ? [] : [" zero = 0"]),
    ...(generals.length ? ["General", ` ${generals.join(" ")}`] : []),
    ...(binaries.length ? ["Binary", ` ${binaries.join(" ")}`] : []),
    "End",
    "",
  ].join("\n");
  return { lp, columns, variables: generals.length + binaries.length, constraints: rows.length };
}

/** A starting solution (column name → value) from a feasible plan: HiGHS then has an incumbent at once. */
export function startFrom(model: OptimalModel, batches: readonly Batch[]): Record<string, number> {
  const units = new Map(batches.map((b) => [`${b.requestId}\u0000${b.factoryId}`, b.units]));
  const start: Record<string, number> = {};
  for (const [name, c] of model.columns) {
    const value = units.get(`${c.requestId}\u0000${c.factoryId}`) ?? 0;
    start[name] = value;
    if (c.switch) start[c.switch] = value > 0 ? 1 : 0;
  }
  return start;
}

export interface HighsRun {
  status: string;
  hasSolution: boolean;
  objective: number;
  mipGap: number | null;
  values: Record<string, number>;
  seconds: number;
}

/**
 * One solver worker per process, loaded once and reused (loading the wasm module costs more than many
 * solves). Solves queue one after another. If a solve overruns its time limit by five seconds, the
 * worker is stopped and the next solve starts a fresh one.
 */
let solver: { worker: Worker; queue: Promise<unknown> } | null = null;
let nextId = 0;

function solverWorker() {
  if (!solver) {
    const worker = new Worker(new URL("./highs-worker.mjs", import.meta.url));
    worker.unref();
    const current = { worker, queue: Promise.resolve() as Promise<unknown> };
    worker.on("error", () => {
      if (solver === current) solver = null;
    });
    worker.on("exit", () => {
      if (solver === current) solver = null;
    });
    solver = current;
  }
  return solver;
}

/** Solves LP-format text with HiGHS in the solver worker thread, from an optional starting solution. */
export function solveLpInWorker(
  lp: string,
  options: Required<OptimalOptions>,
  start?: Record<string, number>,
): Promise<HighsRun> {
  const current = solverWorker();
  const solve = () =>
    new Promise<HighsRun>((resolve, reject) => {
      const id = ++nextId;
      const { worker } = current;
      const done = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("exit", onExit);
      };
      const onMessage = (
        message: { id: number; ok: true; run: HighsRun } | { id: number; ok: false; error: string },
      ) => {
        if (message.id !== id) return;
        done();
        if (message.ok) resolve(message.run);
        else reject(new Error(message.error));
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`the solver worker exited (code ${code})`));
      };
      const timer = setTimeout(
        () => {
          done();
          if (solver === current) solver = null;
          void worker.terminate();
          reject(new Error(`HiGHS did not stop within ${options.timeLimitSeconds + 5} s`));
        },
        (options.timeLimitSeconds + 5) * 1000,
      );
      worker.on("message", onMessage);
      worker.once("exit", onExit);
      worker.postMessage({
        id,
        lp,
        start,
        options: { time_limit: options.timeLimitSeconds, mip_rel_gap: options.mipRelGap },
      });
    });
  const result = current.queue.then(solve, solve);
  current.queue = result.catch(() => undefined);
  return result;
}

/**
 * The optimal plan, with the fair plan's totals as floors. If HiGHS finds no solution in time (or
 * fails), the fair plan is returned with the solver report saying so: never an error page.
 */
export async function optimalPlan(
  instance: AllocationInstance,
  fair: Plan,
  options: OptimalOptions = {},
): Promise<Plan> {
  const settings = { timeLimitSeconds: options.timeLimitSeconds ?? 20, mipRelGap: options.mipRelGap ?? 1e-4 };
  const floors = totalsOf(fair.batches);
  const model = buildOptimalModel(instance, floors);
  const fallback = (status: string, message: string, seconds = 0): Plan => ({
    ...fair,
    method: "optimal",
    solver: {
      status,
      objective: [...floors.values()].reduce((s, u) => s + u, 0),
      mipGap: null,
      solveSeconds: seconds,
      variables: model.variables,
      constraints: model.constraints,
      message,
    },
  });
  if (model.columns.size === 0) return fallback("Empty", "No request can be made at any factory in this window.");
  let run: HighsRun;
  try {
    run = await solveLpInWorker(model.lp, settings, startFrom(model, fair.batches));
  } catch (error) {
    return fallback("Fallback", `The solver failed (${(error as Error).message}); the fair plan is kept.`);
  }
  if (!run.hasSolution)
    return fallback(
      "Fallback",
      `HiGHS ended with "${run.status}" and no solution; the fair plan is kept.`,
      run.seconds,
    );
  const batches = toBatches(model, run.values, instance);
  const problems = checkPlan(instance, batches);
  if (problems.length > 0)
    return fallback("Fallback", `HiGHS's solution broke a rule (${problems[0]}); the fair plan is kept.`, run.seconds);
  const report: SolverReport = {
    status: run.status,
    objective: batches.reduce((s, b) => s + b.units, 0),
    mipGap: run.mipGap,
    solveSeconds: run.seconds,
    variables: model.variables,
    constraints: model.constraints,
  };
  return { method: "optimal", batches, fairShares: fair.fairShares, dropped: fair.dropped, solver: report };
}

function toBatches(model: OptimalModel, values: Record<string, number>, instance: AllocationInstance): Batch[] {
  const order = new Map([...instance.requests].sort(byFixedOrder).map((r, i) => [r.id, i]));
  const batches: Batch[] = [];
  for (const [name, { requestId, factoryId }] of model.columns) {
    const units = Math.round(values[name] ?? 0);
    if (units > 0) batches.push({ requestId, factoryId, units });
  }
  return batches.sort(
    (a, b) =>
      order.get(a.requestId)! - order.get(b.requestId)! ||
      (a.factoryId < b.factoryId ? -1 : a.factoryId > b.factoryId ? 1 : 0),
  );
}
