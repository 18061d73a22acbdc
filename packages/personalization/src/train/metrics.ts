/**
 * Offline ranking metrics on the held-out split, and the popularity baseline they are compared with.
 *
 * - AUC: the probability that a random positive scores above a random negative, ties counting ½
 *   (Mann–Whitney U with mid-ranks).
 * - NDCG@k per exposure list (binary relevance, gain 1 / log2(rank + 1)), averaged over the lists that
 *   have at least one positive (a list without one has no ideal ranking). Equal scores are ordered by a
 *   tie key, as the storefront orders them — never in the model's favour by accident.
 */
import type { TrainingExample } from "../types.js";
import { InsufficientDataError } from "./split.js";

/** AUC with ties handled by mid-ranks. Throws when a class is missing (AUC is undefined). */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`${n} scores but ${labels.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const midRank = (start + end) / 2 + 1; // 1-based ranks start+1 … end+1
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        positiveRankSum += midRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) throw new Error("AUC needs at least one positive and one negative");
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface RankedItem {
  score: number;
  label: number;
  /** Orders equal scores (ascending). */
  tieKey: string;
}

/** NDCG@k of one list, or null when it has no positive. */
export function ndcgAtK(items: readonly RankedItem[], k: number): number | null {
  const positives = items.filter((item) => item.label === 1).length;
  if (positives === 0) return null;
  const ranked = [...items].sort(
    (a, b) => b.score - a.score || (a.tieKey < b.tieKey ? -1 : a.tieKey > b.tieKey ? 1 : 0),
  );
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if (ranked[i]!.label === 1) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, positives); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

/** Mean NDCG@k over the lists with at least one positive (null when there is none). */
export function meanNdcgAtK(lists: Iterable<readonly RankedItem[]>, k: number): { mean: number; lists: number } | null {
  let sum = 0;
  let count = 0;
  for (const list of lists) {
    const value = ndcgAtK(list, k);
    if (value === null) continue;
    sum += value;
    count++;
  }
  return count === 0 ? null : { mean: sum / count, lists: count };
}

/**
 * The popularity baseline: a product's score is its number of positive examples in the training
 * split (0 for a product never bought there); on equal counts products are ordered by product id.
 */
export function popularityScorer(train: readonly TrainingExample[]): (example: TrainingExample) => number {
  const counts = new Map<string, number>();
  for (const e of train) if (e.label === 1) counts.set(e.productId, (counts.get(e.productId) ?? 0) + 1);
  return (example) => counts.get(example.productId) ?? 0;
}

export interface RankingMetrics {
  auc: number;
  ndcg5: number;
}

/** Examples grouped by list, in first-seen order. */
export function groupByList<T extends { listId: string }>(examples: readonly T[]): T[][] {
  const lists = new Map<string, T[]>();
  for (const e of examples) {
    const list = lists.get(e.listId);
    if (list) list.push(e);
    else lists.set(e.listId, [e]);
  }
  return [...lists.values()];
}

/** AUC and mean NDCG@5 of a scorer on examples, equal scores ordered by `tieKey`. */
export function evaluateScores(
  examples: readonly TrainingExample[],
  scores: ArrayLike<number>,
  tieKey: (example: TrainingExample) => string,
): RankingMetrics {
  const index = new Map(examples.map((e, i) => [e, i] as const));
  const ndcg = meanNdcgAtK(
    groupByList(examples).map((list) =>
      list.map((e) => ({ score: scores[index.get(e)!]!, label: e.label, tieKey: tieKey(e) })),
    ),
    5,
  );
  if (!ndcg)
    throw new InsufficientDataError("no exposure list in the evaluation split has a positive: NDCG@5 is undefined");
  const labels = examples.map((e) => e.label);
  if (!labels.includes(0))
    throw new InsufficientDataError("every offer in the evaluation split was taken: AUC is undefined");
  return { auc: auc(scores, labels), ndcg5: ndcg.mean };
}
