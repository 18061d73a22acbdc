/**
 * L2-regularised logistic regression fitted by Newton's method (IRLS) on the full batch.
 *
 * Pure and deterministic: no randomness, no I/O; the same rows in the same order give bit-identical
 * weights (trainModel sorts its rows canonically first, so the database's row order does not matter).
 * Newton suits this problem: 16 features make the Hessian a 17 × 17 matrix, the objective is strictly
 * convex with the L2 term, and it converges in a handful of iterations to the one optimum — no learning
 * rate, no epochs to tune.
 *
 * Features are standardised inside the fit (mean 0, sd 1 on the training rows, so one L2 strength
 * suits all of them) and the scaling is folded back into the returned weights: the model takes raw
 * feature vectors, exactly what the ONNX graph receives.
 */
import type { LogisticModel } from "../onnx-export.js";

export interface LogisticSettings {
  /** L2 strength λ on the standardised weights (the bias is not penalised): loss + λ/2 ‖w‖². */
  l2: number;
  /** Newton iterations at most. */
  maxIterations: number;
  /** Stops when the largest Newton step on a standardised weight is below this. */
  tolerance: number;
}

export const DEFAULT_LOGISTIC_SETTINGS: LogisticSettings = Object.freeze({ l2: 1, maxIterations: 50, tolerance: 1e-9 });

export interface TrainProgress {
  iteration: number;
  maxIterations: number;
  /** Mean log loss plus the L2 term ÷ rows, after this iteration. */
  objective: number;
  /** Largest absolute step of this iteration (standardised scale). */
  step: number;
}

export interface LogisticFit {
  model: LogisticModel;
  iterations: number;
  converged: boolean;
  /** Final objective (mean log loss + λ/2 ‖w‖² ÷ rows). */
  objective: number;
  /** Per-feature mean and standard deviation on the training rows (what was folded into the weights). */
  means: number[];
  scales: number[];
}

export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** The model's score for one raw feature vector (float64 arithmetic). */
export function predictLogistic(model: LogisticModel, features: readonly number[]): number {
  let z = model.bias;
  for (let j = 0; j < model.weights.length; j++) z += model.weights[j]! * features[j]!;
  return sigmoid(z);
}

/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/**
 * Fits the model. `rows[i]` is a raw feature vector, `labels[i]` 0 or 1. Throws on empty input, ragged
 * rows, non-finite values or a single class (nothing to learn a ranking from).
 */
export function fitLogistic(
  rows: ReadonlyArray<readonly number[]>,
  labels: ReadonlyArray<0 | 1>,
  settings: Partial<LogisticSettings> = {},
  onProgress?: (progress: TrainProgress) => void,
): LogisticFit {
  const { l2, maxIterations, tolerance } = { ...DEFAULT_LOGISTIC_SETTINGS, ...settings };
  const n = rows.length;
  if (n === 0) throw new Error("no training rows");
  if (labels.length !== n) throw new Error(`${n} rows but ${labels.length} labels`);
  if (!(l2 > 0)) throw new Error("l2 must be positive");
  const d = rows[0]!.length;
  const positives = labels.reduce<number>((sum, y) => sum + y, 0);
  if (positives === 0 || positives === n) throw new Error("training rows need both positive and negative labels");

  // Standardise: z = (x − mean) / scale; a constant column gets scale 1 (and ends with weight 0).
  const means = new Array<number>(d).fill(0);
  const scales = new Array<number>(d).fill(0);
  rows.forEach((row, i) => {
    if (row.length !== d) throw new Error(`row ${i} has ${row.length} features, expected ${d}`);
    for (let j = 0; j < d; j++) {
      const x = row[j]!;
      if (!Number.isFinite(x)) throw new Error(`row ${i} feature ${j} is not a finite number`);
      means[j]! += x;
    }
  });
  for (let j = 0; j < d; j++) means[j]! /= n;
  for (const row of rows) for (let j = 0; j < d; j++) scales[j]! += (row[j]! - means[j]!) ** 2;
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(scales[j]! / n);
    scales[j] = sd > 1e-12 ? sd : 1;
  }
  // Design matrix with a leading 1 for the bias, row-major.
  const p = d + 1;
  const X = new Float64Array(n * p);
  rows.forEach((row, i) => {
    X[i * p] = 1;
    for (let j = 0; j < d; j++) X[i * p + 1 + j] = (row[j]! - means[j]!) / scales[j]!;
  });

  const beta = new Float64Array(p);
  // Start the bias at the log-odds of the base rate: the first Newton step is then already small.
  beta[0] = Math.log(positives / (n - positives));

  const objectiveAt = (b: Float64Array) => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let k = 0; k < p; k++) z += X[i * p + k]! * b[k]!;
      loss += softplus(z) - labels[i]! * z;
    }
    let penalty = 0;
    for (let k = 1; k < p; k++) penalty += b[k]! ** 2;
    return (loss + (l2 / 2) * penalty) / n;
  };

  let objective = objectiveAt(beta);
  let iterations = 0;
  let converged = false;
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  while (iterations < maxIterations) {
    iterations++;
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      const off = i * p;
      let z = 0;
      for (let k = 0; k < p; k++) z += X[off + k]! * beta[k]!;
      const mu = sigmoid(z);
      const residual = mu - labels[i]!;
      const weight = Math.max(mu * (1 - mu), 1e-12);
      for (let a = 0; a < p; a++) {
        const xa = X[off + a]!;
        gradient[a]! += residual * xa;
        const wa = weight * xa;
        for (let b = a; b < p; b++) hessian[a * p + b]! += wa * X[off + b]!;
      }
    }
    for (let k = 1; k < p; k++) {
      gradient[k]! += l2 * beta[k]!;
      hessian[k * p + k]! += l2;
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) hessian[a * p + b] = hessian[b * p + a]!;
    const direction = choleskySolve(hessian, gradient, p);

    // Damped step: halve until the objective does not increase (Newton on a convex objective rarely needs it).
    let scale = 1;
    let candidate = new Float64Array(p);
    let candidateObjective = Infinity;
    for (let halvings = 0; halvings < 30; halvings++) {
      candidate = beta.map((b, k) => b - scale * direction[k]!);
      candidateObjective = objectiveAt(candidate);
      if (candidateObjective <= objective + 1e-15) break;
      scale /= 2;
    }
    let step = 0;
    for (let k = 0; k < p; k++) step = Math.max(step, Math.abs(candidate[k]! - beta[k]!));
    beta.set(candidate);
    objective = candidateObjective;
    onProgress?.({ iteration: iterations, maxIterations, objective, step });
    if (step < tolerance) {
      converged = true;
      break;
    }
  }

  // Fold the standardisation into raw-feature weights: w_j = β_j / s_j, b = β_0 − Σ β_j m_j / s_j.
  const weights = new Array<number>(d);
  let bias = beta[0] ?? 0;
  for (let j = 0; j < d; j++) {
    weights[j] = beta[j + 1]! / scales[j]!;
    bias -= (beta[j + 1]! * means[j]!) / scales[j]!;
  }
  return { model: { weights, bias }, iterations, converged, objective, means, scales };
}

/** Solves A x = b for a symmetric positive definite A (p × p, row-major) by Cholesky. */
function choleskySolve(A: Float64Array, b: Float64Array, p: number): Float64Array {
  const L = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = A[i * p + j]!;
      for (let k = 0; k < j; k++) sum -= L[i * p + k]! * L[j * p + k]!;
      if (i === j) {
        if (!(sum > 0)) throw new Error("Hessian is not positive definite (non-finite features?)");
        L[i * p + i] = Math.sqrt(sum);
      } else {
        L[i * p + j] = sum / L[j * p + j]!;
      }
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= L[i * p + k]! * y[k]!;
    y[i] = sum / L[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < p; k++) sum -= L[k * p + i]! * x[k]!;
    x[i] = sum / L[i * p + i]!;
  }
  return x;
}
