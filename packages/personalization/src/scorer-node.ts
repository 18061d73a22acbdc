import { InferenceSession, Tensor } from "onnxruntime-node";
import {
  DEVICE_DEFAULTS,
  FEATURE_COUNT,
  FEATURE_SPEC_VERSION,
  featureMatrix,
  MODEL_INPUT,
  MODEL_OUTPUT,
  rankByScore,
} from "./features";
import { readOnnxMetadata } from "./onnx-export";

/**
 * The server-side scorer (issue 9 §6): one onnxruntime-node session per loaded model, made once and
 * reused. The session runs on the calling thread only (one intra-op and one inter-op thread, spinning
 * off): `run()` is synchronous native work behind a setImmediate, so each request scores all its
 * offers in ONE batched call (performance-2026 §3) and no thread pool burns CPU after it.
 */

export const SESSION_OPTIONS: InferenceSession.SessionOptions = Object.freeze({
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  // Flattened by the Node binding to session.intra_op.allow_spinning / session.inter_op.allow_spinning.
  extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
});

export interface NodeScorer {
  readonly version: string;
  /** Scores rows × FEATURE_COUNT features (row-major, featureMatrix's layout) in one run. */
  score(matrix: Float32Array): Promise<Float32Array>;
  /** Frees the native session; later calls to score fail. */
  release(): Promise<void>;
}

/** The session, exposed for the bench's raw `run` reference and for tests. */
export interface NodeScorerInternals extends NodeScorer {
  readonly session: InferenceSession;
}

/**
 * Loads a model: the bytes must be an ONNX file over this FEATURE_SPEC_VERSION with a `features`
 * [N, FEATURE_COUNT] input and a `score` output. Throws an Error saying what is wrong otherwise.
 */
export async function createNodeScorer(bytes: Uint8Array, version: string): Promise<NodeScorerInternals> {
  if (bytes.byteLength === 0) throw new Error("the model file is empty");
  const metadata = readOnnxMetadata(bytes);
  if (metadata.feature_spec !== FEATURE_SPEC_VERSION) {
    throw new Error(
      `the model was trained on feature spec "${metadata.feature_spec ?? "(none)"}", this server computes ${FEATURE_SPEC_VERSION}`,
    );
  }
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, SESSION_OPTIONS);
  } catch (error) {
    throw new Error(`onnxruntime could not load the model: ${(error as Error).message}`);
  }
  if (!session.inputNames.includes(MODEL_INPUT) || !session.outputNames.includes(MODEL_OUTPUT)) {
    await session.release();
    throw new Error(
      `the model's graph has inputs [${session.inputNames.join(", ")}] and outputs [${session.outputNames.join(", ")}]; expected ${MODEL_INPUT} → ${MODEL_OUTPUT}`,
    );
  }
  let released = false;
  return {
    version,
    session,
    async score(matrix) {
      if (released) throw new Error(`the scorer of model ${version} was released`);
      if (matrix.length % FEATURE_COUNT !== 0) {
        throw new Error(`a feature matrix has a multiple of ${FEATURE_COUNT} values, got ${matrix.length}`);
      }
      const rows = matrix.length / FEATURE_COUNT;
      if (rows === 0) return new Float32Array(0);
      const output = await session.run({ [MODEL_INPUT]: new Tensor("float32", matrix, [rows, FEATURE_COUNT]) });
      const scores = output[MODEL_OUTPUT];
      if (!scores || !(scores.data instanceof Float32Array) || scores.data.length !== rows) {
        throw new Error(`model ${version} returned no ${rows} float32 scores`);
      }
      return scores.data;
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

/**
 * The server's scoring step for one list: each offer's server features with DEVICE_DEFAULTS as one
 * [offers × FEATURE_COUNT] matrix, ONE run, and the offers ordered by score (ties by offer id). What
 * the storefront does per member on the server arm, and what bench/scoring.ts times against a raw run.
 */
export async function rankWithScorer<T extends { offerId: string; serverFeatures: readonly number[] }>(
  scorer: NodeScorer,
  offers: readonly T[],
): Promise<T[]> {
  const matrix = featureMatrix(offers.map((o) => ({ server: o.serverFeatures, device: DEVICE_DEFAULTS })));
  return rankByScore(offers, await scorer.score(matrix));
}
