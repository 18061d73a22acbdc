import { describe, expect, it } from "vitest";
import { explainPlan, renderExplanation } from "./explain";
import { fairShare, waterFill, wholeUnits } from "./fair-share";
import { byFixedOrder, checkPlan, totalsOf, type AllocationInstance, type RequestInput } from "./instance";
import { randomInstance } from "./random-instance";

const factory = (id: string, extra: Partial<AllocationInstance["factories"][number]> = {}) => ({
  id,
  name: id.toUpperCase(),
  location: "",
  isBackup: false,
  isActive: true,
  leadTimeDays: 5,
  costPerUnitCents: 100,
  ...extra,
});
let seq = 0;
const request = (id: string, units: number, extra: Partial<RequestInput> = {}): RequestInput => ({
  id,
  creatorId: `creator-${id}`,
  creatorName: id.toUpperCase(),
  capability: "screenprint",
  units,
  minBatch: 1,
  weight: 1,
  preferredFactoryIds: [],
  latestShipDate: null,
  submittedAt: `2026-11-01T10:00:${String(seq++ % 60).padStart(2, "0")}.000Z`,
  ...extra,
});
const instance = (over: Partial<AllocationInstance>): AllocationInstance => ({
  period: "2026-W49",
  windowStart: "2026-11-30",
  allowBackup: false,
  factories: [factory("f1"), factory("f2")],
  windows: [
    { factoryId: "f1", capability: "screenprint", units: 100 },
    { factoryId: "f2", capability: "screenprint", units: 50 },
  ],
  requests: [],
  ...over,
});
const totals = (i: AllocationInstance) => Object.fromEntries(totalsOf(fairShare(i).batches));

describe("water-filling", () => {
  it("gives the worked example: F1 100 + F2 50; A 80, B 60, C 20 → C 20, B 60, A 70", () => {
    const worked = instance({ requests: [request("a", 80), request("b", 60), request("c", 20)] });
    const plan = fairShare(worked);
    expect(Object.fromEntries(totalsOf(plan.batches))).toEqual({ a: 70, b: 60, c: 20 });
    expect(checkPlan(worked, plan.batches)).toEqual([]);
    const [a, b, c] = explainPlan(worked, plan);
    expect(c!.boundBy).toBe("request");
    expect(b!.boundBy).toBe("request");
    expect(a!.boundBy).toBe("capacity");
    expect(renderExplanation(a!.parts)).toContain("You got 70 of the 80 screenprint units");
    expect(renderExplanation(a!.parts)).toContain("primary capacity for screenprint was 150 units for 3 requests");
    expect(renderExplanation(c!.parts)).toContain("Your whole request fit.");
  });

  it("splits in proportion to weight", () => {
    expect(
      waterFill(
        [
          { demand: 100, weight: 2 },
          { demand: 100, weight: 1 },
        ],
        90,
      ),
    ).toEqual([60, 30]);
    expect(totals(instance({ requests: [request("a", 200, { weight: 2 }), request("b", 200)] }))).toEqual({
      a: 100,
      b: 50,
    });
  });

  it("rounds to whole units by largest remainder, in the fixed order on ties", () => {
    expect(wholeUnits([10 / 3, 10 / 3, 10 / 3], [10, 10, 10], 10)).toEqual([4, 3, 3]);
    expect(
      totals(
        instance({
          windows: [{ factoryId: "f1", capability: "screenprint", units: 10 }],
          requests: [request("x", 10), request("y", 10), request("z", 10)],
        }),
      ),
    ).toEqual({ x: 4, y: 3, z: 3 });
  });
});

describe("the minimum-batch rule", () => {
  const one = [{ factoryId: "f1", capability: "screenprint", units: 90 }];
  it("drops the request with the largest minimum batch per weight first, then water-fills the rest", () => {
    // Equal shares would be 30 each; b (min 40) and c (min 35) cannot be met. b goes first (40 > 35);
    // then a and c share 90 → 45 each, and c's 45 ≥ 35 is met.
    const i = instance({
      windows: one,
      requests: [request("a", 90), request("b", 90, { minBatch: 40 }), request("c", 90, { minBatch: 35 })],
    });
    const plan = fairShare(i);
    expect(plan.dropped).toEqual(["b"]);
    expect(Object.fromEntries(totalsOf(plan.batches))).toEqual({ a: 45, c: 45 });
    const b = explainPlan(i, plan).find((o) => o.requestId === "b")!;
    expect(b.boundBy).toBe("min_batch");
    expect(renderExplanation(b.parts)).toContain("below your minimum batch of 40");
  });

  it("weighs the minimum batch by weight, and breaks ties by later submission", () => {
    // b: 40/2 = 20 per weight < c: 35/1 → c is dropped although its minimum is smaller.
    const i = instance({
      windows: one,
      requests: [request("a", 90), request("b", 90, { minBatch: 40, weight: 2 }), request("c", 90, { minBatch: 35 })],
    });
    expect(fairShare(i).dropped).toEqual(["c"]);
    const tie = instance({
      windows: one,
      requests: [request("p", 90, { minBatch: 50 }), request("q", 90, { minBatch: 50 }), request("r", 90)],
    });
    // Shares 30 each: p and q (min 50) tie, q was submitted later → dropped first; then p's 45 < 50.
    expect(fairShare(tie).dropped).toEqual(["q", "p"]);
    expect(totals(tie)).toEqual({ r: 90 });
  });

  it("gives a dropped request capacity left over after everyone else is satisfied", () => {
    const i = instance({
      windows: one,
      requests: [request("a", 20), request("b", 60, { minBatch: 60 }), request("c", 20)],
    });
    // Shares: 20, 50, 20 → b (50 < 60) dropped; a and c take 40; 50 left ≥ 60? no → b gets nothing.
    expect(totals(i)).toEqual({ a: 20, c: 20 });
    const roomy = instance({
      windows: [{ factoryId: "f1", capability: "screenprint", units: 100 }],
      requests: [request("a", 30), request("b", 60, { minBatch: 60 }), request("c", 30)],
    });
    // Shares 30/40/30 → b dropped; a and c take 60; 40 left < 60 → nothing. With 130: shares fit.
    expect(totals(roomy)).toEqual({ a: 30, c: 30 });
  });

  it("never splits a request into a batch below its minimum", () => {
    const i = instance({ requests: [request("a", 120, { minBatch: 60 }), request("b", 30)] });
    const plan = fairShare(i);
    expect(checkPlan(i, plan.batches)).toEqual([]);
    for (const b of plan.batches.filter((x) => x.requestId === "a")) expect(b.units).toBeGreaterThanOrEqual(60);
  });
});

describe("eligibility and backup", () => {
  it("keeps a request away from factories that cannot ship in time, paused ones, and backups unless allowed", () => {
    const i = instance({
      factories: [
        factory("f1", { leadTimeDays: 10 }),
        factory("f2", { isActive: false }),
        factory("f3", { isBackup: true }),
      ],
      windows: [
        { factoryId: "f1", capability: "screenprint", units: 100 },
        { factoryId: "f2", capability: "screenprint", units: 100 },
        { factoryId: "f3", capability: "screenprint", units: 100 },
      ],
      requests: [request("late", 50, { latestShipDate: "2026-12-05" }), request("any", 150)],
    });
    const plan = fairShare(i);
    expect(Object.fromEntries(totalsOf(plan.batches))).toEqual({ any: 100 });
    const late = explainPlan(i, plan).find((o) => o.requestId === "late")!;
    expect(late.boundBy).toBe("eligibility");
    expect(renderExplanation(late.parts)).toContain("Eligibility bound you");
    expect(renderExplanation(late.parts)).toContain("These factories cannot ship by your latest ship date: F1.");
    expect(renderExplanation(late.parts)).toContain("These factories are paused: F2.");
    const withBackup = fairShare({ ...i, allowBackup: true });
    expect(Object.fromEntries(totalsOf(withBackup.batches))).toEqual({ any: 150, late: 50 });
    expect(checkPlan({ ...i, allowBackup: true }, withBackup.batches)).toEqual([]);
  });

  it("places a request at its preferred factory first, then cheaper ones", () => {
    const i = instance({
      factories: [factory("f1", { costPerUnitCents: 100 }), factory("f2", { costPerUnitCents: 900 })],
      requests: [request("pref", 60, { preferredFactoryIds: ["f2"] }), request("plain", 60)],
    });
    const batches = fairShare(i).batches.map((b) => [b.requestId, b.factoryId, b.units]);
    // pref: all 50 of the dearer f2 it prefers, the rest at f1; plain: cheaper f1.
    expect(batches.sort()).toEqual([
      ["plain", "f1", 60],
      ["pref", "f1", 10],
      ["pref", "f2", 50],
    ]);
    const noPreference = fairShare({ ...i, requests: [request("pref", 60), request("plain", 60)] });
    expect(noPreference.batches.map((b) => [b.requestId, b.factoryId, b.units]).sort()).toEqual([
      ["plain", "f1", 40],
      ["plain", "f2", 20],
      ["pref", "f1", 60],
    ]);
  });
});

describe("properties over seeded random instances", () => {
  const seeds = Array.from({ length: 60 }, (_, i) => i + 1);
  it.each(seeds)("seed %i: within capacity, requests, minimum batches and eligibility; deterministic", (seed) => {
    const i = randomInstance(seed, {
      creators: 25,
      factories: 6,
      maxMinBatch: 40,
      deadlines: true,
      weights: true,
      allowBackup: seed % 2 === 0,
    });
    const plan = fairShare(i);
    expect(checkPlan(i, plan.batches)).toEqual([]);
    // Same input → same output, also when the requests arrive in another order.
    const shuffled = { ...i, requests: [...i.requests].reverse(), factories: [...i.factories].reverse() };
    expect(fairShare(shuffled)).toEqual(plan);
  });

  it.each(seeds)("seed %i: one pooled window, no minimum batches → weighted max-min fair", (seed) => {
    const base = randomInstance(seed, { creators: 30, factories: 1, capabilities: ["screenprint"], weights: true });
    const i: AllocationInstance = {
      ...base,
      factories: [factory("f1")],
      windows: [{ factoryId: "f1", capability: "screenprint", units: 200 + seed * 17 }],
    };
    const got = totalsOf(fairShare(i).batches);
    const level = (id: string) => (got.get(id) ?? 0) / i.requests.find((r) => r.id === id)!.weight;
    const used = [...got.values()].reduce((s, u) => s + u, 0);
    const demand = i.requests.reduce((s, r) => s + r.units, 0);
    expect(used).toBe(Math.min(demand, i.windows[0]!.units)); // no capacity left idle
    // Nobody short of their request sits clearly below anybody else's level (±1 unit of rounding).
    for (const r of i.requests) {
      if ((got.get(r.id) ?? 0) >= r.units) continue;
      for (const o of i.requests)
        expect(level(r.id)).toBeGreaterThanOrEqual(level(o.id) - 1 / r.weight - 1 / o.weight - 1e-9);
    }
  });

  it.each(seeds.slice(0, 30))(
    "seed %i: the drops follow the documented rule, in order, and the rest is water-filled max-min fair",
    (seed) => {
      const base = randomInstance(seed + 500, {
        creators: 14,
        factories: 1,
        capabilities: ["screenprint"],
        maxMinBatch: 90,
        weights: true,
      });
      const capacity = 250;
      const i: AllocationInstance = {
        ...base,
        factories: [factory("f1")],
        windows: [{ factoryId: "f1", capability: "screenprint", units: capacity }],
      };
      const plan = fairShare(i);
      // Replay the rule forward: water-fill; among the requests below their minimum batch, the one with the
      // largest minimum per unit of weight goes (ties: later submitted, then larger id); repeat.
      let active = [...i.requests];
      const expectedDrops: string[] = [];
      for (;;) {
        const shares = waterFill(
          active.map((r) => ({ demand: r.units, weight: r.weight })),
          capacity,
        );
        const below = active.filter((r, k) => shares[k]! < r.minBatch - 1e-9);
        if (below.length === 0) {
          // Kept requests: their water-filled share in whole units (±1 for rounding), never below the minimum.
          const got = totalsOf(plan.batches);
          active.forEach((r, k) => {
            expect(Math.abs((got.get(r.id) ?? 0) - shares[k]!)).toBeLessThan(1 + 1e-9);
            expect(got.get(r.id) ?? 0).toBeGreaterThanOrEqual(r.minBatch);
          });
          break;
        }
        const victim = [...below].sort(
          (a, b) => b.minBatch / b.weight - a.minBatch / a.weight || byFixedOrder(b, a),
        )[0]!;
        expectedDrops.push(victim.id);
        active = active.filter((r) => r !== victim);
      }
      expect(plan.dropped).toEqual(expectedDrops);
    },
  );

  it.each(seeds.slice(0, 30))(
    "seed %i: every dropped request could not reach its minimum when it was dropped",
    (seed) => {
      const base = randomInstance(seed, { creators: 12, factories: 1, capabilities: ["screenprint"], maxMinBatch: 80 });
      const i: AllocationInstance = {
        ...base,
        factories: [factory("f1")],
        windows: [{ factoryId: "f1", capability: "screenprint", units: 300 }],
      };
      const plan = fairShare(i);
      let active = i.requests.filter((r) => !plan.dropped.includes(r.id));
      for (const id of [...plan.dropped].reverse()) {
        // Put back in reverse order: at its drop, water-filling among active + it left it below its minimum.
        const r = i.requests.find((x) => x.id === id)!;
        active = [...active, r];
        const shares = waterFill(
          active.map((x) => ({ demand: x.units, weight: x.weight })),
          300,
        );
        expect(shares[active.length - 1]!).toBeLessThan(r.minBatch);
      }
      // And everyone kept reaches their minimum.
      const got = totalsOf(plan.batches);
      for (const r of i.requests.filter((x) => !plan.dropped.includes(x.id)))
        expect(got.get(r.id) ?? 0).toBeGreaterThanOrEqual(r.minBatch);
    },
  );
});
