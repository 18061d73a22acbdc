/**
 * trainModel: examples in, a versioned model out — split by time, fit, evaluate against the popularity
 * baseline, export to ONNX, and describe it all in a model card. Pure (no database, no files): the
 * caller loads the examples and writes/registers the result (see train-job.ts).
 *
 * Deterministic: the examples are put in a canonical order first, the fit has no randomness and the
 * seed drives the bootstrap; with the same examples, seed and `now`, the ONNX bytes are identical.
 */
import { createHash } from "node:crypto";
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SPEC_VERSION, MODEL_INPUT, MODEL_OUTPUT } from "../features.js";
import { exportLogisticToOnnx, OPSET, type LogisticModel } from "../onnx-export.js";
import type { TrainingExample } from "../types.js";
import { bootstrapDeltas } from "./bootstrap.js";
import {
  DEFAULT_LOGISTIC_SETTINGS,
  fitLogistic,
  sigmoid,
  type LogisticSettings,
  type TrainProgress,
} from "./logistic.js";
import { evaluateScores, groupByList, popularityScorer, type RankingMetrics } from "./metrics.js";
import { MODEL_CARD_FORMAT, renderModelCardMarkdown, type ModelCard, type SplitCounts } from "./model-card.js";
import { DEFAULT_TEST_FRACTION, InsufficientDataError, splitByTime } from "./split.js";

export type TrainModelProgress =
  | { stage: "split"; train: number; test: number; cutoff: Date }
  | ({ stage: "fit" } & TrainProgress)
  | { stage: "evaluate" }
  | { stage: "export"; version: string };

export interface TrainModelOptions {
  seed: number;
  /** Train on exposures before this instant, evaluate on the rest (default: the last 25 % of lists are held out). */
  cutoff?: Date;
  testFraction?: number;
  /** Names what the model is for, e.g. the co-op slug; starts the version string. */
  scope?: string;
  /** The card's creation time (and the version's timestamp); default now. */
  now?: Date;
  trainer?: Partial<LogisticSettings>;
  bootstrapResamples?: number;
  onProgress?: (progress: TrainModelProgress) => void;
}

export interface TrainedModel {
  version: string;
  model: LogisticModel;
  metrics: { model: RankingMetrics; baseline: RankingMetrics };
  card: ModelCard;
  /** The card rendered as Markdown. */
  markdown: string;
  /** The ONNX file's bytes (its sha256 is in the card). */
  onnx: Uint8Array<ArrayBuffer>;
}

/**
 * The score exactly as the exported ONNX graph computes it, up to float32 accumulation order: float32
 * inputs and weights, float32 output. Used to evaluate the model as it will be served and as the
 * reference when the exported file is checked.
 */
export function scoreAsExported(model: LogisticModel, features: readonly number[]): number {
  let z = Math.fround(model.bias);
  for (let j = 0; j < model.weights.length; j++) z += Math.fround(model.weights[j]!) * Math.fround(features[j]!);
  return Math.fround(sigmoid(z));
}

const BASELINE_DESCRIPTION =
  "popularity — a product's number of positive examples in the training split (0 when never bought there); equal counts ordered by product id";

export function trainModel(examples: readonly TrainingExample[], options: TrainModelOptions): TrainedModel {
  const { seed, onProgress } = options;
  if (!Number.isInteger(seed)) throw new Error("seed must be an integer");
  examples.forEach((e, i) => {
    if (e.features.length !== FEATURE_COUNT) {
      throw new Error(
        `example ${i} (list ${e.listId}) has ${e.features.length} features; ${FEATURE_SPEC_VERSION} has ${FEATURE_COUNT}`,
      );
    }
  });
  const ordered = [...examples].sort(
    (a, b) =>
      a.shownAt.getTime() - b.shownAt.getTime() ||
      compare(a.listId, b.listId) ||
      compare(a.offerId, b.offerId) ||
      compare(a.memberId, b.memberId),
  );
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  const split = splitByTime(ordered, { cutoff: options.cutoff, testFraction });
  onProgress?.({ stage: "split", train: split.train.length, test: split.test.length, cutoff: split.cutoff });
  if (!split.train.some((e) => e.label === 1) || !split.train.some((e) => e.label === 0)) {
    throw new InsufficientDataError("the training split needs both offers that were taken and offers that were not");
  }

  const settings: LogisticSettings = { ...DEFAULT_LOGISTIC_SETTINGS, ...options.trainer };
  const fit = fitLogistic(
    split.train.map((e) => e.features),
    split.train.map((e) => e.label),
    settings,
    (p) => onProgress?.({ stage: "fit", ...p }),
  );

  onProgress?.({ stage: "evaluate" });
  const modelScores = split.test.map((e) => scoreAsExported(fit.model, e.features));
  const popularity = popularityScorer(split.train);
  const baselineScores = split.test.map(popularity);
  const byOffer = (e: TrainingExample) => e.offerId;
  const byProduct = (e: TrainingExample) => e.productId;
  const modelMetrics = evaluateScores(split.test, modelScores, byOffer);
  const baselineMetrics = evaluateScores(split.test, baselineScores, byProduct);
  const bootstrap = bootstrapDeltas(
    split.test.map((example, i) => ({ example, model: modelScores[i]!, baseline: baselineScores[i]! })),
    { seed, resamples: options.bootstrapResamples, modelTieKey: byOffer, baselineTieKey: byProduct },
  );

  const createdAt = options.now ?? new Date();
  const version = modelVersion(fit.model, { seed, createdAt, scope: options.scope, cutoff: split.cutoff });
  onProgress?.({ stage: "export", version });
  // A copy on its own ArrayBuffer (protobuf's writer may hand out a view of a larger pool).
  const onnx = new Uint8Array(
    exportLogisticToOnnx(fit.model, {
      version,
      extra: {
        created_at: createdAt.toISOString(),
        seed: String(seed),
        data_from: split.from.toISOString(),
        data_to: split.to.toISOString(),
        cutoff: split.cutoff.toISOString(),
        auc: String(modelMetrics.auc),
        ndcg5: String(modelMetrics.ndcg5),
        baseline_auc: String(baselineMetrics.auc),
        baseline_ndcg5: String(baselineMetrics.ndcg5),
      },
    }),
  );

  const card: ModelCard = {
    format: MODEL_CARD_FORMAT,
    version,
    createdAt: createdAt.toISOString(),
    scope: options.scope ?? null,
    model: {
      type: "logistic-regression",
      onnx: {
        file: `${version}.onnx`,
        sha256: createHash("sha256").update(onnx).digest("hex"),
        bytes: onnx.byteLength,
        opset: OPSET,
        input: MODEL_INPUT,
        output: MODEL_OUTPUT,
      },
    },
    featureSpec: { version: FEATURE_SPEC_VERSION, names: [...FEATURE_NAMES] },
    weights: {
      bias: fit.model.bias,
      features: Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, fit.model.weights[j]!])),
    },
    data: {
      from: split.from.toISOString(),
      to: split.to.toISOString(),
      cutoff: split.cutoff.toISOString(),
      split: options.cutoff
        ? `Time-based: exposure lists shown before the given cutoff train, the rest are held out.`
        : `Time-based: the last ${Math.round(testFraction * 100)} % of exposure lists (by time shown) are held out; earlier lists train.`,
      train: splitCounts(split.train),
      test: splitCounts(split.test),
    },
    metrics: {
      model: modelMetrics,
      baseline: baselineMetrics,
      baselineDescription: BASELINE_DESCRIPTION,
      evaluatedLists: groupByList(split.test).filter((list) => list.some((e) => e.label === 1)).length,
      beatsBaseline: {
        auc: modelMetrics.auc > baselineMetrics.auc,
        ndcg5: modelMetrics.ndcg5 > baselineMetrics.ndcg5,
      },
      delta: {
        auc: modelMetrics.auc - baselineMetrics.auc,
        ndcg5: modelMetrics.ndcg5 - baselineMetrics.ndcg5,
        bootstrap,
      },
    },
    seed,
    trainer: {
      algorithm: "newton-irls",
      ...settings,
      standardisation:
        "features standardised on the training split during the fit and folded into the exported weights (the model takes raw features)",
      iterations: fit.iterations,
      converged: fit.converged,
      objective: fit.objective,
    },
  };
  return {
    version,
    model: fit.model,
    metrics: { model: modelMetrics, baseline: baselineMetrics },
    card,
    markdown: renderModelCardMarkdown(card),
    onnx,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function splitCounts(examples: readonly TrainingExample[]): SplitCounts {
  return {
    examples: examples.length,
    lists: new Set(examples.map((e) => e.listId)).size,
    positives: examples.filter((e) => e.label === 1).length,
    members: new Set(examples.map((e) => e.memberId)).size,
  };
}

/** `<scope>-<yyyymmddThhmmssZ>-<8 hex of the weights>`: sortable by time, unique per content. */
function modelVersion(
  model: LogisticModel,
  meta: { seed: number; createdAt: Date; scope: string | undefined; cutoff: Date },
): string {
  const stamp = meta.createdAt
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const digest = createHash("sha256")
    .update(JSON.stringify([model.weights, model.bias, meta.seed, meta.cutoff.toISOString(), FEATURE_SPEC_VERSION]))
    .digest("hex")
    .slice(0, 8);
  const scope = meta.scope
    ? `${meta.scope
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, "")}-`
    : "";
  return `${scope}${stamp}-${digest}`;
}
