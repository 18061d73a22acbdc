/**
 * The model card: what a model version is, what it was trained on and how well it ranks against the
 * popularity baseline. Written next to the ONNX file as `<version>.card.json` and `<version>.md`, and
 * stored with the version in the registry.
 */
import type { BootstrapResult } from "./bootstrap.js";
import type { LogisticSettings } from "./logistic.js";
import type { RankingMetrics } from "./metrics.js";

export const MODEL_CARD_FORMAT = "kiln.offer-ranker.card/1";

export interface SplitCounts {
  examples: number;
  lists: number;
  positives: number;
  members: number;
}

export interface ModelCard {
  format: typeof MODEL_CARD_FORMAT;
  version: string;
  createdAt: string;
  /** What the model was trained for (the co-op's slug when trained per co-op), if given. */
  scope: string | null;
  model: {
    type: "logistic-regression";
    onnx: { file: string; sha256: string; bytes: number; opset: number; input: string; output: string };
  };
  featureSpec: { version: string; names: string[] };
  /** Raw-feature weights (standardisation folded in): score = sigmoid(bias + Σ weight · feature). */
  weights: { bias: number; features: Record<string, number> };
  data: {
    from: string;
    to: string;
    cutoff: string;
    split: string;
    train: SplitCounts;
    test: SplitCounts;
  };
  metrics: {
    /** Held-out split. NDCG@5 averaged over the `evaluatedLists` test lists with at least one positive. */
    model: RankingMetrics;
    baseline: RankingMetrics;
    baselineDescription: string;
    evaluatedLists: number;
    beatsBaseline: { auc: boolean; ndcg5: boolean };
    /** 95 % bootstrap intervals of model − baseline over the test lists (seeded). */
    delta: { auc: number; ndcg5: number; bootstrap: BootstrapResult };
  };
  seed: number;
  trainer: LogisticSettings & {
    algorithm: "newton-irls";
    standardisation: string;
    iterations: number;
    converged: boolean;
    objective: number;
  };
}

const fmt = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
const signed = (x: number, digits = 4) => (Number.isFinite(x) ? (x >= 0 ? "+" : "") + x.toFixed(digits) : "n/a");

/** The metrics table printed by `pnpm train` and used in the Markdown card. */
export function metricsTable(card: Pick<ModelCard, "metrics">): string {
  const { model, baseline, delta } = card.metrics;
  const rows = [
    ["", "AUC", "NDCG@5"],
    ["model (logistic)", fmt(model.auc), fmt(model.ndcg5)],
    ["baseline (popularity)", fmt(baseline.auc), fmt(baseline.ndcg5)],
    ["model − baseline", signed(delta.auc), signed(delta.ndcg5)],
    [
      "95 % bootstrap interval",
      `[${signed(delta.bootstrap.auc.low)}, ${signed(delta.bootstrap.auc.high)}]`,
      `[${signed(delta.bootstrap.ndcg5.low)}, ${signed(delta.bootstrap.ndcg5.high)}]`,
    ],
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  return [line(rows[0]!), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)].join("\n");
}

/** The card as Markdown (`<version>.md`). */
export function renderModelCardMarkdown(card: ModelCard): string {
  const { data, metrics, trainer } = card;
  const counts = (label: string, c: SplitCounts) =>
    `| ${label} | ${c.examples} | ${c.lists} | ${c.positives} | ${c.members} |`;
  const verdict = (beats: boolean) => (beats ? "beats the baseline" : "does **not** beat the baseline");
  return `# Offer ranker ${card.version}

Logistic regression over the \`${card.featureSpec.version}\` feature spec${card.scope ? `, trained for \`${card.scope}\`` : ""}.
Created ${card.createdAt} with seed ${card.seed}.

- ONNX: \`${card.model.onnx.file}\` (${card.model.onnx.bytes} bytes, opset ${card.model.onnx.opset}, \`${card.model.onnx.input}\` float32 [N, ${card.featureSpec.names.length}] → \`${card.model.onnx.output}\` float32 [N, 1])
- sha256: \`${card.model.onnx.sha256}\`

## Held-out metrics

${metricsTable(card)}

AUC ${verdict(metrics.beatsBaseline.auc)}; NDCG@5 ${verdict(metrics.beatsBaseline.ndcg5)}.
NDCG@5 is averaged over ${metrics.evaluatedLists} test exposure lists with at least one positive.
Baseline: ${metrics.baselineDescription}.
Intervals: ${metrics.delta.bootstrap.resamples} bootstrap resamples of the test lists (seeded).

## Data

${data.split}

| split | examples | lists | positives | members |
|-------|---------:|------:|----------:|--------:|
${counts("train", data.train)}
${counts("test", data.test)}

Window ${data.from} → ${data.to}, cutoff ${data.cutoff}.

## Weights (raw features)

| feature | weight |
|---------|-------:|
| (bias) | ${card.weights.bias.toFixed(6)} |
${Object.entries(card.weights.features)
  .map(([name, w]) => `| ${name} | ${w.toFixed(6)} |`)
  .join("\n")}

## Trainer

${trainer.algorithm}, L2 λ = ${trainer.l2} on standardised weights (bias not penalised), ${trainer.iterations} iterations${trainer.converged ? " (converged" : " (did not converge"} at tolerance ${trainer.tolerance}), final objective ${trainer.objective.toFixed(6)}.
Standardisation: ${trainer.standardisation}.
`;
}
