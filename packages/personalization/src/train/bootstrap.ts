/**
 * How sure is "the model beats the baseline"? A seeded bootstrap over the held-out exposure lists:
 * resample lists with replacement, recompute both scorers' AUC and mean NDCG@5 on the resample, and
 * report the 2.5 % / 97.5 % percentiles of model − baseline. The seed makes the interval reproducible.
 */
import type { TrainingExample } from "../types.js";
import { groupByList, ndcgAtK } from "./metrics.js";
import { seededRandom } from "./random.js";

export interface DeltaInterval {
  /** Model minus baseline, 95 % bootstrap percentile interval. */
  low: number;
  high: number;
}

export interface BootstrapResult {
  resamples: number;
  auc: DeltaInterval;
  ndcg5: DeltaInterval;
}

interface Scored {
  example: TrainingExample;
  model: number;
  baseline: number;
}

export function bootstrapDeltas(
  scored: readonly Scored[],
  options: {
    seed: number;
    resamples?: number;
    modelTieKey: (e: TrainingExample) => string;
    baselineTieKey: (e: TrainingExample) => string;
  },
): BootstrapResult {
  const resamples = options.resamples ?? 200;
  // Example indices grouped by exposure list.
  const lists = groupByList(scored.map((s, index) => ({ index, listId: s.example.listId })));
  const ndcgOf = (list: Scored[], pick: "model" | "baseline", tieKey: (e: TrainingExample) => string) =>
    ndcgAtK(
      list.map((s) => ({ score: s[pick], label: s.example.label, tieKey: tieKey(s.example) })),
      5,
    );
  const perList = lists.map((entries) => {
    const list = entries.map(({ index }) => scored[index]!);
    return {
      model: ndcgOf(list, "model", options.modelTieKey),
      baseline: ndcgOf(list, "baseline", options.baselineTieKey),
    };
  });
  // Each resample is a multiplicity per list; AUC over a resample is then a weighted AUC over the
  // examples sorted once per scorer (O(n) per resample instead of a sort).
  const listOf = new Int32Array(scored.length);
  lists.forEach((list, l) => list.forEach(({ index }) => (listOf[index] = l)));
  const labels = scored.map((s) => s.example.label);
  const modelOrder = sortedOrder(scored.map((s) => s.model));
  const baselineOrder = sortedOrder(scored.map((s) => s.baseline));
  const random = seededRandom(options.seed);
  const aucDeltas: number[] = [];
  const ndcgDeltas: number[] = [];
  const multiplicity = new Float64Array(perList.length);
  for (let r = 0; r < resamples; r++) {
    multiplicity.fill(0);
    let ndcgSum = 0;
    let ndcgCount = 0;
    for (let i = 0; i < perList.length; i++) {
      const l = Math.floor(random() * perList.length);
      multiplicity[l]!++;
      const pick = perList[l]!;
      if (pick.model !== null && pick.baseline !== null) {
        ndcgSum += pick.model - pick.baseline;
        ndcgCount++;
      }
    }
    const weight = (i: number) => multiplicity[listOf[i]!]!;
    const modelAuc = weightedAuc(modelOrder, labels, weight);
    const baselineAuc = weightedAuc(baselineOrder, labels, weight);
    if (modelAuc === null || baselineAuc === null || ndcgCount === 0) continue; // degenerate resample
    aucDeltas.push(modelAuc - baselineAuc);
    ndcgDeltas.push(ndcgSum / ndcgCount);
  }
  const interval = (values: number[]): DeltaInterval => {
    if (values.length === 0) return { low: Number.NaN, high: Number.NaN };
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
    return { low: at(0.025), high: at(0.975) };
  };
  return { resamples: aucDeltas.length, auc: interval(aucDeltas), ndcg5: interval(ndcgDeltas) };
}

/** Indices sorted by score (ascending), with the tie groups' boundaries. */
function sortedOrder(scores: readonly number[]): { order: number[]; scores: readonly number[] } {
  return { order: Array.from(scores, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!), scores };
}

/** AUC (ties ½) where example i counts `weight(i)` times; null when a class has no weight. */
function weightedAuc(
  sorted: { order: number[]; scores: readonly number[] },
  labels: readonly number[],
  weight: (i: number) => number,
): number | null {
  const { order, scores } = sorted;
  let negativesBelow = 0;
  let pairs = 0;
  let positives = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    let groupPositives = 0;
    let groupNegatives = 0;
    for (let k = start; k <= end; k++) {
      const i = order[k]!;
      if (labels[i] === 1) groupPositives += weight(i);
      else groupNegatives += weight(i);
    }
    pairs += groupPositives * (negativesBelow + groupNegatives / 2);
    negativesBelow += groupNegatives;
    positives += groupPositives;
    start = end + 1;
  }
  if (positives === 0 || negativesBelow === 0) return null;
  return pairs / (positives * negativesBelow);
}
