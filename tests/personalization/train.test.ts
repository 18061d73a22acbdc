/**
 * The offer ranker's trainer (issue 9 §3): determinism, recovery of known weights, the metrics on
 * hand-computed cases, the popularity baseline, the time split, and the ONNX export scored by
 * onnxruntime-node. No database: the trainer is pure.
 */
import { describe, expect, it } from "vitest";
import { FEATURE_COUNT, FEATURE_NAMES, readOnnxMetadata } from "@kiln/personalization";
import {
  auc,
  evaluateScores,
  fitLogistic,
  meanNdcgAtK,
  ndcgAtK,
  popularityScorer,
  predictLogistic,
  renderModelCardMarkdown,
  scoreWithOnnxRuntime,
  splitByTime,
  trainModel,
  verifyOnnxExport,
} from "../../packages/personalization/src/train/index";
import { seededRandom } from "../../packages/personalization/src/train/random";
import type { TrainingExample } from "../../packages/personalization/src/types";
import { createHash } from "node:crypto";
import { syntheticOfferWorld } from "./synthetic-offers";

const NOW = new Date("2026-11-30T10:00:00Z");

function example(
  overrides: Partial<TrainingExample> & Pick<TrainingExample, "listId" | "productId" | "label">,
): TrainingExample {
  return {
    memberId: "m1",
    offerId: `o-${overrides.productId}`,
    shownAt: new Date("2026-10-01T00:00:00Z"),
    features: new Array<number>(FEATURE_COUNT).fill(0),
    ...overrides,
  };
}

describe("metrics on hand-computed cases", () => {
  it("AUC counts ordered pairs and gives ties half", () => {
    // Pairs (pos, neg): (0.35, 0.1) ✓, (0.35, 0.4) ✗, (0.8, 0.1) ✓, (0.8, 0.4) ✓ → 3/4.
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    // Positives {0.5, 0.9}, negatives {0.5, 0.5}: 0.5 vs 0.5 twice → ½ + ½, 0.9 beats both → 2; 3/4.
    expect(auc([0.5, 0.5, 0.5, 0.9], [1, 0, 0, 1])).toBe(0.75);
    expect(auc([3, 3, 3, 3], [1, 0, 1, 0])).toBe(0.5);
    expect(auc([0.9, 0.8, 0.1], [0, 0, 1])).toBe(0);
    expect(() => auc([0.1, 0.2], [1, 1])).toThrow(/positive and one negative/);
  });

  it("NDCG@5 uses 1/log2(rank + 1) gains, the ideal order, and breaks ties by the tie key", () => {
    const items = [
      { score: 0.9, label: 0, tieKey: "a" },
      { score: 0.8, label: 1, tieKey: "b" },
      { score: 0.7, label: 0, tieKey: "c" },
      { score: 0.6, label: 1, tieKey: "d" },
      { score: 0.5, label: 0, tieKey: "e" },
      { score: 0.4, label: 1, tieKey: "f" }, // rank 6: outside the top 5
    ];
    // DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4).
    const expected = (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3) + 1 / 2);
    expect(ndcgAtK(items, 5)).toBeCloseTo(expected, 12);
    expect(ndcgAtK(items, 5)).toBeCloseTo(0.4982, 4);
    // All tied: the tie key orders them; the positive "a" first → 1, the positive "z" second → 1/log2(3).
    expect(
      ndcgAtK(
        [
          { score: 1, label: 1, tieKey: "a" },
          { score: 1, label: 0, tieKey: "b" },
        ],
        5,
      ),
    ).toBe(1);
    expect(
      ndcgAtK(
        [
          { score: 1, label: 0, tieKey: "a" },
          { score: 1, label: 1, tieKey: "z" },
        ],
        5,
      ),
    ).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgAtK([{ score: 1, label: 0, tieKey: "a" }], 5)).toBeNull();
    // Lists without a positive are left out of the mean.
    const mean = meanNdcgAtK([[{ score: 1, label: 1, tieKey: "a" }], [{ score: 1, label: 0, tieKey: "a" }], items], 5);
    expect(mean).toEqual({ mean: (1 + expected) / 2, lists: 2 });
  });

  it("the popularity baseline counts positives in the training split only, ties by product id", () => {
    const train = [
      example({ listId: "l1", productId: "p2", label: 1 }),
      example({ listId: "l1", productId: "p1", label: 0 }),
      example({ listId: "l2", productId: "p2", label: 1 }),
      example({ listId: "l2", productId: "p3", label: 1 }),
      example({ listId: "l2", productId: "p1", label: 0 }),
    ];
    const score = popularityScorer(train);
    expect([score(train[0]!), score(train[1]!), score(train[3]!)]).toEqual([2, 0, 1]);
    expect(score(example({ listId: "x", productId: "never-seen", label: 1 }))).toBe(0);
    // A test list: p1 (0 positives) and p4 (unseen, 0) tie — product id order puts p1 first.
    const test = [
      example({ listId: "t1", productId: "p4", label: 1 }),
      example({ listId: "t1", productId: "p1", label: 0 }),
      example({ listId: "t1", productId: "p2", label: 0 }),
    ];
    const metrics = evaluateScores(test, test.map(score), (e) => e.productId);
    // Order p2 (2), p1 (0), p4 (0): the positive is third → NDCG 1/log2(4) = 0.5; AUC: p4 ties p1, loses to p2 → 0.25.
    expect(metrics).toEqual({ auc: 0.25, ndcg5: 0.5 });
  });
});

describe("time split", () => {
  it("holds out the last quarter of lists by time, never splitting a list", () => {
    const examples: TrainingExample[] = [];
    for (let i = 0; i < 8; i++) {
      for (const productId of ["a", "b"]) {
        // The list's second row is shown a minute later: the list's time is its first row's.
        const shownAt = new Date(Date.UTC(2026, 9, 1 + i, 0, productId === "a" ? 0 : 1));
        examples.push(example({ listId: `l${i}`, productId, label: productId === "a" ? 1 : 0, shownAt }));
      }
    }
    const split = splitByTime(examples);
    expect(new Set(split.test.map((e) => e.listId))).toEqual(new Set(["l6", "l7"]));
    expect(split.train).toHaveLength(12);
    expect(split.cutoff.toISOString()).toBe("2026-10-07T00:00:00.000Z");
    expect(split.to.toISOString()).toBe("2026-10-08T00:01:00.000Z");
    const explicit = splitByTime(examples, { cutoff: new Date("2026-10-04T12:00:00Z") });
    expect(new Set(explicit.test.map((e) => e.listId))).toEqual(new Set(["l4", "l5", "l6", "l7"]));
    expect(() => splitByTime(examples, { cutoff: new Date("2026-01-01T00:00:00Z") })).toThrow(/nothing to train on/);
    expect(() => splitByTime([])).toThrow(/no training examples/);
  });
});

describe("logistic regression", () => {
  it("recovers known weights from data drawn from them", () => {
    const random = seededRandom(7);
    const truth = FEATURE_NAMES.map((_, j) => (j % 3 === 0 ? 1.5 : j % 3 === 1 ? -1 : 0.5) * (j < 12 ? 1 : 0.5));
    const bias = -1;
    const rows: number[][] = [];
    const labels: (0 | 1)[] = [];
    for (let i = 0; i < 40_000; i++) {
      // Mixed scales and binary columns: standardisation has to be folded back correctly.
      const row = FEATURE_NAMES.map((_, j) => (j % 4 === 0 ? (random() < 0.3 ? 1 : 0) : random() * (1 + j / 4)));
      rows.push(row);
      labels.push(random() < predictLogistic({ weights: truth, bias }, row) ? 1 : 0);
    }
    const fit = fitLogistic(rows, labels, { l2: 1e-3 });
    expect(fit.converged).toBe(true);
    fit.model.weights.forEach((w, j) => expect(Math.abs(w - truth[j]!), FEATURE_NAMES[j]).toBeLessThan(0.12));
    expect(Math.abs(fit.model.bias - bias)).toBeLessThan(0.25);
  });

  it("shrinks towards zero as the L2 strength grows, and reports its progress", () => {
    const examples = syntheticOfferWorld({ seed: 3, members: 80 });
    const rows = examples.map((e) => e.features);
    const labels = examples.map((e) => e.label);
    const progress: number[] = [];
    const weak = fitLogistic(rows, labels, { l2: 0.01 }, (p) => progress.push(p.iteration));
    const strong = fitLogistic(rows, labels, { l2: 1000 });
    const norm = (w: readonly number[]) => Math.hypot(...w.map((x, j) => x * weak.scales[j]!));
    expect(norm(strong.model.weights)).toBeLessThan(norm(weak.model.weights) / 2);
    expect(progress).toEqual(Array.from({ length: weak.iterations }, (_, i) => i + 1));
    expect(() =>
      fitLogistic(
        rows,
        labels.map(() => 0 as const),
      ),
    ).toThrow(/both positive and negative/);
  });
});

describe("trainModel", () => {
  const examples = syntheticOfferWorld({ seed: 11 });

  it("is deterministic: same seed and data (in any order) give identical weights and identical ONNX bytes", () => {
    const a = trainModel(examples, { seed: 42, now: NOW, scope: "test" });
    const shuffled = [...examples];
    const random = seededRandom(5);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const b = trainModel(shuffled, { seed: 42, now: NOW, scope: "test" });
    expect(b.model.weights).toEqual(a.model.weights);
    expect(b.model.bias).toBe(a.model.bias);
    expect(Buffer.from(b.onnx).equals(Buffer.from(a.onnx))).toBe(true);
    expect(b.card).toEqual(a.card);
    // Another seed: same fit (Newton has no randomness), another bootstrap and version.
    const c = trainModel(examples, { seed: 43, now: NOW, scope: "test" });
    expect(c.model.weights).toEqual(a.model.weights);
    expect(c.version).not.toBe(a.version);
  });

  it("beats the popularity baseline on synthetic data with latent tastes, and the card says so with its numbers", () => {
    const trained = trainModel(examples, { seed: 42, now: NOW, scope: "test" });
    const { model, baseline } = trained.metrics;
    expect(model.auc).toBeGreaterThan(baseline.auc + 0.03);
    expect(model.ndcg5).toBeGreaterThan(baseline.ndcg5 + 0.03);
    const card = trained.card;
    expect(card.metrics.model).toEqual(model);
    expect(card.metrics.baseline).toEqual(baseline);
    expect(card.metrics.beatsBaseline).toEqual({ auc: true, ndcg5: true });
    expect(card.metrics.delta.bootstrap.auc.low).toBeGreaterThan(0);
    const { bootstrap } = card.metrics.delta;
    expect(bootstrap.resamples).toBe(200);
    expect(bootstrap.auc.low).toBeLessThanOrEqual(card.metrics.delta.auc);
    expect(bootstrap.auc.high).toBeGreaterThanOrEqual(card.metrics.delta.auc);
    expect(bootstrap.ndcg5.low).toBeLessThanOrEqual(card.metrics.delta.ndcg5);
    expect(bootstrap.ndcg5.high).toBeGreaterThanOrEqual(card.metrics.delta.ndcg5);
    expect(card.featureSpec).toEqual({ version: "offer-features/1", names: [...FEATURE_NAMES] });
    expect(Object.values(card.weights.features)).toEqual(trained.model.weights);
    expect(card.model.onnx.sha256).toBe(createHash("sha256").update(trained.onnx).digest("hex"));
    expect(card.seed).toBe(42);
    expect(card.data.train.examples + card.data.test.examples).toBe(examples.length);
    expect(card.data.test.lists / (card.data.train.lists + card.data.test.lists)).toBeCloseTo(0.25, 1);
    expect(card.version).toMatch(/^test-20261130T100000Z-[0-9a-f]{8}$/);
    expect(readOnnxMetadata(trained.onnx)).toMatchObject({
      version: card.version,
      seed: "42",
      feature_spec: "offer-features/1",
    });
    const markdown = renderModelCardMarkdown(card);
    expect(markdown).toContain(model.auc.toFixed(4));
    expect(markdown).toContain(baseline.ndcg5.toFixed(4));
    expect(markdown).toContain(card.model.onnx.sha256);
  });

  it("refuses examples that do not match the feature spec", () => {
    const bad = [{ ...examples[0]!, features: [1, 2, 3] }, ...examples.slice(1)];
    expect(() => trainModel(bad, { seed: 1 })).toThrow(/has 3 features; offer-features\/1 has 16/);
  });
});

describe("ONNX export", () => {
  it("runs in onnxruntime-node and gives the TypeScript scores within 1e-6 on every training row", async () => {
    const examples = syntheticOfferWorld({ seed: 19, members: 120 });
    const trained = trainModel(examples, { seed: 1, now: NOW });
    const rows = examples.map((e) => e.features);
    const verification = await verifyOnnxExport(trained.onnx, trained.model, rows);
    expect(verification.rows).toBe(rows.length);
    expect(verification.maxAbsDifference).toBeLessThanOrEqual(1e-6);
    const scores = await scoreWithOnnxRuntime(trained.onnx, rows.slice(0, 50));
    scores.forEach((s, i) => expect(Math.abs(s - predictLogistic(trained.model, rows[i]!))).toBeLessThan(1e-6));
  });

  it("rejects an exported file that does not score like the trained model", async () => {
    const examples = syntheticOfferWorld({ seed: 19, members: 60 });
    const trained = trainModel(examples, { seed: 1, now: NOW });
    const other = { weights: trained.model.weights.map((w, j) => (j === 0 ? w + 0.01 : w)), bias: trained.model.bias };
    await expect(
      verifyOnnxExport(
        trained.onnx,
        other,
        examples.map((e) => e.features),
      ),
    ).rejects.toThrow(/disagrees with the trained model/);
    await expect(scoreWithOnnxRuntime(new Uint8Array([1, 2, 3, 4]), [examples[0]!.features])).rejects.toThrow();
  });
});
