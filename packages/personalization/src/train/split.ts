/**
 * The time-based split: train on exposures shown before a cutoff, evaluate on those shown at or after it.
 *
 * The unit is the exposure list (`listId`): a list is ranked as a whole, so it never straddles the
 * cutoff (its time is its earliest `shownAt`). Without an explicit cutoff the last quarter of the lists
 * in time order is held out. Nothing else is separated: the same member may appear on both sides, as
 * they will when the model serves them next week. This is leak-free only because each example's
 * features describe what was known at its `shownAt` (the example loader's contract) — the model never
 * sees a test-period fact through a feature, and the popularity baseline counts training labels only.
 */
import type { TrainingExample } from "../types.js";

export const DEFAULT_TEST_FRACTION = 0.25;

/** The data cannot make a model worth evaluating (too few exposures, one class only, …). */
export class InsufficientDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InsufficientDataError";
  }
}

export interface TimeSplit<T extends TrainingExample = TrainingExample> {
  train: T[];
  test: T[];
  cutoff: Date;
  /** Earliest and latest `shownAt` over all examples. */
  from: Date;
  to: Date;
}

/** Splits examples by time. Throws when either side is empty (too little data to evaluate). */
export function splitByTime<T extends TrainingExample>(
  examples: readonly T[],
  options: { cutoff?: Date; testFraction?: number } = {},
): TimeSplit<T> {
  if (examples.length === 0) throw new InsufficientDataError("no training examples");
  const listTime = new Map<string, number>();
  let from = Infinity;
  let to = -Infinity;
  for (const e of examples) {
    const t = e.shownAt.getTime();
    if (!Number.isFinite(t)) throw new Error(`example of list ${e.listId} has an invalid shownAt`);
    listTime.set(e.listId, Math.min(listTime.get(e.listId) ?? Infinity, t));
    from = Math.min(from, t);
    to = Math.max(to, t);
  }
  let cutoff: number;
  if (options.cutoff) {
    cutoff = options.cutoff.getTime();
  } else {
    const fraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
    if (!(fraction > 0 && fraction < 1)) throw new Error("testFraction must be between 0 and 1");
    const times = [...listTime.values()].sort((a, b) => a - b);
    cutoff = times[Math.min(times.length - 1, Math.floor(times.length * (1 - fraction)))]!;
  }
  const train: T[] = [];
  const test: T[] = [];
  for (const e of examples) (listTime.get(e.listId)! < cutoff ? train : test).push(e);
  const when = new Date(cutoff).toISOString();
  if (train.length === 0)
    throw new InsufficientDataError(`no exposures before the cutoff ${when}: nothing to train on`);
  if (test.length === 0)
    throw new InsufficientDataError(`no exposures at or after the cutoff ${when}: nothing to evaluate on`);
  return { train, test, cutoff: new Date(cutoff), from: new Date(from), to: new Date(to) };
}
