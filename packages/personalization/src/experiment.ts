import { createHash } from "node:crypto";
import { ARMS, type Arm } from "./types";

/**
 * Deterministic assignment of members to the experiment's arms (issue 9 §7): the arm is a pure
 * function of the experiment key and the member id, so every process, every request and a later
 * analysis agree without storing an assignment table. Weights are relative (they need not sum to 1).
 */

export type ArmWeights = Readonly<Record<Arm, number>>;

/** Default split: on-device 45 %, server 45 %, holdout (no personalisation) 10 %. */
export const DEFAULT_ARM_WEIGHTS: ArmWeights = Object.freeze({ device: 45, server: 45, holdout: 10 });

/**
 * The experiment key of a co-op's offer ranker at an experiment version (decision 021): changing it
 * re-shuffles every member. Version 1 keeps the original key, so exposures recorded before versions
 * existed stay in version 1.
 */
export const experimentKey = (coopId: string, version = 1) =>
  version === 1 ? `offer-ranker/1:${coopId}` : `offer-ranker/1:${coopId}:v${version}`;

export function checkArmWeights(weights: ArmWeights): ArmWeights {
  const values = ARMS.map((arm) => weights[arm]);
  if (!values.every((w) => Number.isFinite(w) && w >= 0)) throw new Error("arm weights must be finite and ≥ 0");
  if (values.reduce((a, b) => a + b, 0) <= 0) throw new Error("at least one arm weight must be positive");
  return weights;
}

/** A uniform number in [0, 1) from sha256(key ":" memberId) (its first 52 bits). */
export function assignmentPoint(key: string, memberId: string): number {
  const digest = createHash("sha256").update(`${key}:${memberId}`).digest();
  const high = digest.readUInt32BE(0); // 32 bits
  const low = digest.readUInt32BE(4) >>> 12; // 20 more bits
  return (high * 2 ** 20 + low) / 2 ** 52;
}

/** The member's arm: the point falls into the arms' cumulative weight intervals in ARMS order. */
export function assignArm(key: string, memberId: string, weights: ArmWeights = DEFAULT_ARM_WEIGHTS): Arm {
  checkArmWeights(weights);
  const total = ARMS.reduce((sum, arm) => sum + weights[arm], 0);
  const point = assignmentPoint(key, memberId) * total;
  let upper = 0;
  for (const arm of ARMS) {
    upper += weights[arm];
    if (point < upper && weights[arm] > 0) return arm;
  }
  // Rounding at the very top: the last arm with weight.
  return [...ARMS].reverse().find((arm) => weights[arm] > 0)!;
}
