import { describe, expect, it } from "vitest";
import { ARMS, assignArm, assignmentPoint, DEFAULT_ARM_WEIGHTS, experimentKey, type Arm } from "@kiln/personalization";

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
