import { describe, expect, it } from "vitest";
import {
  ARMS,
  ArmWeightsInputSchema,
  assignArm,
  assignmentPoint,
  DEFAULT_ARM_WEIGHTS,
  experimentKey,
  MIN_HOLDOUT_PERCENT,
  type Arm,
} from "@kiln/personalization";

const ids = Array.from({ length: 10_000 }, (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`);

function split(key: string, weights = DEFAULT_ARM_WEIGHTS) {
  const counts: Record<Arm, number> = { device: 0, server: 0, holdout: 0 };
  for (const id of ids) counts[assignArm(key, id, weights)]++;
  return counts;
}

describe("experiment assignment", () => {
  it("is deterministic: the same key and member always give the same arm", () => {
    const key = experimentKey("c0ffee00-0000-4000-8000-000000000001");
    const first = ids.slice(0, 500).map((id) => assignArm(key, id));
    const again = ids.slice(0, 500).map((id) => assignArm(key, id));
    expect(again).toEqual(first);
    expect(new Set(first)).toEqual(new Set(ARMS));
  });

  it("gives the default 45/45/10 split over 10k members (within 1.5 points)", () => {
    const counts = split(experimentKey("c0ffee00-0000-4000-8000-000000000002"));
    expect(Math.abs(counts.device / ids.length - 0.45)).toBeLessThan(0.015);
    expect(Math.abs(counts.server / ids.length - 0.45)).toBeLessThan(0.015);
    expect(Math.abs(counts.holdout / ids.length - 0.1)).toBeLessThan(0.015);
  });

  it("follows configured weights, and an arm with weight 0 gets nobody", () => {
    const counts = split("custom", { device: 1, server: 0, holdout: 3 });
    expect(counts.server).toBe(0);
    expect(Math.abs(counts.holdout / ids.length - 0.75)).toBeLessThan(0.015);
    expect(split("only-server", { device: 0, server: 1, holdout: 0 }).server).toBe(ids.length);
    expect(() => assignArm("k", ids[0]!, { device: 0, server: 0, holdout: 0 })).toThrow(/positive/);
    expect(() => assignArm("k", ids[0]!, { device: -1, server: 1, holdout: 0 })).toThrow(/≥ 0/);
  });

  it("another experiment key re-shuffles members independently", () => {
    const a = ids.map((id) => assignArm("key-a", id));
    const b = ids.map((id) => assignArm("key-b", id));
    const same = a.filter((arm, i) => arm === b[i]).length / ids.length;
    // Independent draws agree with probability .45² + .45² + .1² = 0.415.
    expect(Math.abs(same - 0.415)).toBeLessThan(0.03);
  });

  it("maps members to points spread over [0, 1)", () => {
    const points = ids.map((id) => assignmentPoint("spread", id));
    expect(Math.min(...points)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...points)).toBeLessThan(1);
    const mean = points.reduce((s, p) => s + p, 0) / points.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
  });
});

describe("experiment versions and weight validation (decision 021)", () => {
  const coop = "c0ffee00-0000-4000-8000-000000000003";

  it("version 1 keeps the original key; every later version has its own key and re-assigns members", () => {
    expect(experimentKey(coop)).toBe(`offer-ranker/1:${coop}`);
    expect(experimentKey(coop, 1)).toBe(experimentKey(coop));
    expect(experimentKey(coop, 2)).toBe(`offer-ranker/1:${coop}:v2`);
    expect(new Set([1, 2, 3, 10].map((v) => experimentKey(coop, v))).size).toBe(4);
    const v1 = ids.map((id) => assignArm(experimentKey(coop, 1), id));
    const v2 = ids.map((id) => assignArm(experimentKey(coop, 2), id));
    const same = v1.filter((arm, i) => arm === v2[i]).length / ids.length;
    expect(Math.abs(same - 0.415)).toBeLessThan(0.03);
  });

  const problems = (input: Record<string, unknown>) => {
    const parsed = ArmWeightsInputSchema.safeParse(input);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("accepts whole percentages that add up to 100 with a personalised arm and a big enough holdout", () => {
    expect(problems({ device: 45, server: 45, holdout: 10 })).toEqual([]);
    expect(problems({ device: 0, server: 95, holdout: MIN_HOLDOUT_PERCENT })).toEqual([]);
    expect(problems({ device: 100, server: 0, holdout: 0, noHoldout: true })).toEqual([]);
  });

  it("refuses bad weights with a message naming the problem", () => {
    expect(problems({ device: 50, server: 45, holdout: 10 })).toEqual([
      "form: The three arms must add up to 100 % (they add up to 105 %)",
    ]);
    expect(problems({ device: 44.5, server: 45.5, holdout: 10 })).toEqual([
      "device: On device: enter a whole number from 0 to 100",
      "server: Server: enter a whole number from 0 to 100",
    ]);
    expect(problems({ device: -10, server: 100, holdout: 10 })[0]).toBe(
      "device: On device: enter a whole number from 0 to 100",
    );
    expect(problems({ device: 45, server: 45 })).toEqual(["holdout: Holdout: enter a whole number from 0 to 100"]);
    expect(problems({ device: 0, server: 0, holdout: 100 })).toEqual([
      "form: At least one personalised arm (on device or server) needs a share above 0 %",
    ]);
    expect(problems({ device: 50, server: 48, holdout: 2 })).toEqual([
      `holdout: A holdout under ${MIN_HOLDOUT_PERCENT} % is too small to measure uplift: use at least ${MIN_HOLDOUT_PERCENT} %, or 0 to stop measuring`,
    ]);
    // A 0 % holdout switches measurement off: only when confirmed.
    expect(problems({ device: 50, server: 50, holdout: 0 })).toEqual([
      "noHoldout: Without a holdout, uplift cannot be measured: confirm that you want no holdout",
    ]);
    expect(problems({ device: 50, server: 50, holdout: 0, noHoldout: false })).toHaveLength(1);
  });
});
