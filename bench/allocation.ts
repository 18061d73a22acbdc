/**
 * Capacity allocation (issue 7): 500 creators × 20 factories × 12 production windows, generated from a
 * fixed seed (the same instance every run). Per window, measured in the same run and interleaved:
 *
 * - the weighted max-min fair share (pure TypeScript);
 * - Kiln's optimal plan end to end: building the LP text, a worker thread loading HiGHS (wasm) and
 *   solving, parsing and checking the result (`optimalPlan`);
 * - raw HiGHS solving the same LP text with the same starting solution (the fair plan) in this thread,
 *   with an already loaded module: the reference.
 *
 * Reported as ratios: Kiln end-to-end ÷ raw HiGHS (goal ≤ 1.3), fair-share time ÷ raw HiGHS, optimal
 * units ÷ fair units, and HiGHS's MIP gap. Absolute times are context only.
 */
import {
  buildOptimalModel,
  checkPlan,
  fairShare,
  loadRawHighs,
  optimalPlan,
  randomInstance,
  startFrom,
  totalsOf,
  type AllocationInstance,
} from "../packages/capacity/src/index";
import { defineBench, environment, summarise, type Measurement, type Ratio } from "./lib";

const SOLVER = { timeLimitSeconds: 30, mipRelGap: 1e-4 };

const sum = (xs: Iterable<number>) => [...xs].reduce((s, x) => s + x, 0);

async function time<T>(fn: () => Promise<T> | T): Promise<{ value: T; ns: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ns: Number(process.hrtime.bigint() - start) };
}

export default defineBench({
  name: "allocation",
  description:
    "Capacity allocation on 500 creators × 20 factories × 12 weekly windows (seeded): weighted fair share, " +
    "Kiln's optimal plan end to end (LP build + worker + HiGHS + checks) and raw HiGHS on the same LP text.",
  async run({ quick, signal }) {
    const windows = quick ? 3 : 12;
    const creators = 500;
    const factories = 20;
    const raw = await loadRawHighs();
    const fairNs: number[] = [];
    const kilnNs: number[] = [];
    const rawNs: number[] = [];
    const gaps: number[] = [];
    const statuses: string[] = [];
    let fairUnits = 0;
    let optimalUnits = 0;
    let requested = 0;
    let variables = 0;

    for (let w = 0; w < windows && !signal.aborted; w++) {
      const instance: AllocationInstance = {
        ...randomInstance(1000 + w, {
          creators,
          factories,
          maxMinBatch: 30,
          deadlines: true,
          weights: true,
          allowBackup: true,
        }),
        period: `2027-W${String(w + 10).padStart(2, "0")}`,
      };
      const fair = await time(() => fairShare(instance));
      fairNs.push(fair.ns);
      const model = buildOptimalModel(instance, totalsOf(fair.value.batches));
      const start = startFrom(model, fair.value.batches);
      // Alternate which side goes first, so warm caches and load bursts hit both alike.
      const runKiln = async () => {
        const r = await time(() => optimalPlan(instance, fair.value, SOLVER));
        kilnNs.push(r.ns);
        return r.value;
      };
      const runRaw = async () => {
        const r = await time(() => raw.solve(model.lp, SOLVER, start));
        rawNs.push(r.ns);
        return r.value;
      };
      let plan;
      if (w % 2 === 0) {
        plan = await runKiln();
        await runRaw();
      } else {
        await runRaw();
        plan = await runKiln();
      }
      const problems = checkPlan(instance, plan.batches);
      if (problems.length) throw new Error(`window ${w}: optimal plan broke a rule: ${problems[0]}`);
      if (plan.solver?.mipGap !== null && plan.solver?.mipGap !== undefined) gaps.push(plan.solver.mipGap);
      statuses.push(plan.solver?.status ?? "?");
      fairUnits += sum(totalsOf(fair.value.batches).values());
      optimalUnits += sum(totalsOf(plan.batches).values());
      requested += sum(instance.requests.map((r) => r.units));
      variables += plan.solver?.variables ?? 0;
      console.log(
        `  window ${w + 1}/${windows}: fair ${(fair.ns / 1e6).toFixed(1)} ms, Kiln ${(kilnNs.at(-1)! / 1e6).toFixed(0)} ms, ` +
          `raw ${(rawNs.at(-1)! / 1e6).toFixed(0)} ms, ${plan.solver?.status}, gap ${plan.solver?.mipGap ?? "n/a"}`,
      );
    }

    const measurements: Measurement[] = [
      summarise("fair-share", "weighted fair share (one window)", fairNs, sum(fairNs)),
      summarise("optimal.kiln", "Kiln optimal plan end to end (one window)", kilnNs, sum(kilnNs)),
      summarise("optimal.raw", "raw HiGHS on the same LP text (one window)", rawNs, sum(rawNs)),
    ];
    const ratios: Ratio[] = [
      {
        label: "Kiln end-to-end ÷ raw HiGHS (total over windows)",
        value: sum(kilnNs) / sum(rawNs),
        meaning: "goal ≤ 1.3: LP build, worker thread, wasm load, parsing and checks add this much",
      },
      {
        label: "Kiln end-to-end ÷ raw HiGHS, after the first window",
        value: sum(kilnNs.slice(1)) / Math.max(1, sum(rawNs.slice(1))),
        meaning: "the same without the one-time worker start and wasm compile",
      },
      {
        label: "fair share ÷ raw HiGHS (total over windows)",
        value: sum(fairNs) / sum(rawNs),
        meaning: "< 1: the fair share is this fraction of one HiGHS solve",
      },
      {
        label: "optimal units ÷ fair units",
        value: optimalUnits / Math.max(1, fairUnits),
        meaning: "≥ 1 by construction (fair shares are floors): what optimisation adds",
      },
      {
        label: "largest MIP gap, in millionths",
        value: gaps.length ? Math.max(...gaps) * 1e6 : Number.NaN,
        meaning: "relative gap HiGHS reported × 10⁶ (0 = proven optimal; the limit 1e-4 is 100)",
      },
    ];
    return {
      environment: { ...environment(), windows, creators, factories, timeLimitSeconds: SOLVER.timeLimitSeconds },
      measurements,
      ratios,
      notes: [
        `Units: requested ${requested}, fair ${fairUnits}, optimal ${optimalUnits} over ${windows} windows.`,
        `HiGHS statuses: ${[...new Set(statuses)].join(", ")}; ${Math.round(variables / Math.max(1, windows))} variables per window on average.`,
        "Kiln solves in one long-lived worker thread (HiGHS's wasm module is loaded once, on the first solve, which this total includes); raw HiGHS uses a module loaded before timing.",
        "Both solvers start from the fair plan as incumbent, so the MIP only has to improve on it.",
      ],
    };
  },
});
