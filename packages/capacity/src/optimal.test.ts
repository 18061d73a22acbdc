import { describe, expect, it } from "vitest";
import { fairShare } from "./fair-share";
import { checkPlan, totalsOf, type AllocationInstance } from "./instance";
import { buildOptimalModel, optimalPlan } from "./optimal";
import { randomInstance } from "./random-instance";

const sum = (plan: { batches: { units: number }[] }) => plan.batches.reduce((s, b) => s + b.units, 0);

const worked: AllocationInstance = {
  period: "2026-W49",
  windowStart: "2026-11-30",
  allowBackup: false,
  factories: [
    { id: "f1", name: "F1", location: "", isBackup: false, isActive: true, leadTimeDays: 5, costPerUnitCents: 200 },
    { id: "f2", name: "F2", location: "", isBackup: false, isActive: true, leadTimeDays: 5, costPerUnitCents: 100 },
  ],
  windows: [
    { factoryId: "f1", capability: "screenprint", units: 100 },
    { factoryId: "f2", capability: "screenprint", units: 50 },
  ],
  requests: ["a:80", "b:60", "c:20"].map((s, i) => {
    const [id = "", units = "0"] = s.split(":");
    return {
      id,
      creatorId: id,
      creatorName: id,
      capability: "screenprint",
      units: Number(units),
      minBatch: 1,
      weight: 1,
      preferredFactoryIds: [],
      latestShipDate: null,
      submittedAt: `2026-11-0${i + 1}T00:00:00.000Z`,
    };
  }),
};

describe("optimal plan (HiGHS in a worker)", () => {
  it("keeps the worked example's fair totals as floors and reports the gap", async () => {
    const fair = fairShare(worked);
    const plan = await optimalPlan(worked, fair);
    expect(plan.solver?.status).toBe("optimal");
    expect(plan.solver?.mipGap).toBeLessThanOrEqual(1e-4);
    expect(Object.fromEntries(totalsOf(plan.batches))).toEqual({ a: 70, b: 60, c: 20 });
    expect(checkPlan(worked, plan.batches)).toEqual([]);
  });

  it("finds units the greedy fair plan leaves on the table, and prefers primary then cheaper factories", async () => {
    // Both factories 60; a (min 50) and b (min 50) each want 70. Fair: shares 60/60 → whole batches
    // fit, 120 placed. A third request c (min 35) of 30… is not valid; use c with 10 units instead.
    const i: AllocationInstance = {
      ...worked,
      allowBackup: true,
      factories: [
        ...worked.factories,
        { id: "f3", name: "F3", location: "", isBackup: true, isActive: true, leadTimeDays: 5, costPerUnitCents: 1 },
      ],
      windows: [...worked.windows, { factoryId: "f3", capability: "screenprint", units: 500 }],
    };
    const plan = await optimalPlan(i, fairShare(i));
    expect(sum(plan)).toBe(160);
    // Primary capacity (150) is used in full before the backup takes the rest.
    const backup = plan.batches.filter((b) => b.factoryId === "f3").reduce((s, b) => s + b.units, 0);
    expect(backup).toBe(10);
  });

  it("writes LP text with integer batches and binary batch switches only where a minimum applies", () => {
    const model = buildOptimalModel(
      { ...worked, requests: worked.requests.map((r) => (r.id === "b" ? { ...r, minBatch: 30 } : r)) },
      new Map([["a", 10]]),
    );
    expect(model.lp).toMatch(/^Maximize/);
    expect(model.lp).toContain("General");
    // Only b (index 1) has a minimum batch above 1; the cheaper factory (f2, index 1) comes first.
    expect(model.lp).toMatch(/Binary\n y1_1 y1_0\n/);
    expect(model.lp).toContain("lo1_1: x1_1 - 30 y1_1 >= 0");
    expect(model.lp).toContain("f0: x0_1 + x0_0 >= 10");
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("seed %i: valid, never below the fair plan, deterministic", async (seed) => {
    const i = randomInstance(seed, {
      creators: 30,
      factories: 6,
      maxMinBatch: 40,
      deadlines: true,
      weights: true,
      allowBackup: seed % 2 === 1,
    });
    const fair = fairShare(i);
    const plan = await optimalPlan(i, fair, { timeLimitSeconds: 10 });
    expect(checkPlan(i, plan.batches)).toEqual([]);
    expect(sum(plan)).toBeGreaterThanOrEqual(sum(fair));
    // Fair shares are floors: nobody gets less than in the fair plan.
    const fairTotals = totalsOf(fair.batches);
    const optimalTotals = totalsOf(plan.batches);
    for (const [id, units] of fairTotals) expect(optimalTotals.get(id) ?? 0).toBeGreaterThanOrEqual(units);
    const again = await optimalPlan(i, fair, { timeLimitSeconds: 10 });
    expect(again.batches).toEqual(plan.batches);
  });

  it("returns the fair plan with a report, not an error, when nothing can be made", async () => {
    const empty = { ...worked, windows: [] };
    const plan = await optimalPlan(empty, fairShare(empty));
    expect(plan.batches).toEqual([]);
    expect(plan.solver?.status).toBe("Empty");
    expect(plan.solver?.message).toContain("No request can be made");
  });
});
