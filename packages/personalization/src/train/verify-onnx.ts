/**
 * Before a model is registered, its exported file is loaded into onnxruntime-node (the server's
 * runtime) and must reproduce the TypeScript scores on the training rows within 1e-6. Server-only.
 */
import * as ort from "onnxruntime-node";
import { FEATURE_COUNT, featureMatrix, MODEL_INPUT, MODEL_OUTPUT, SERVER_FEATURE_COUNT } from "../features.js";
import type { LogisticModel } from "../onnx-export.js";
import { scoreAsExported } from "./train-model.js";

export const VERIFY_TOLERANCE = 1e-6;

export interface OnnxVerification {
  rows: number;
  maxAbsDifference: number;
}

/** Scores `rows` (raw feature vectors) with the ONNX bytes in onnxruntime-node. */
export async function scoreWithOnnxRuntime(
  onnx: Uint8Array,
  rows: ReadonlyArray<readonly number[]>,
  batchSize = 4096,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = new Float32Array(rows.length);
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const input = featureMatrix(
        batch.map((r) => ({ server: r.slice(0, SERVER_FEATURE_COUNT), device: r.slice(SERVER_FEATURE_COUNT) })),
      );
      const result = await session.run({
        [MODEL_INPUT]: new ort.Tensor("float32", input, [batch.length, FEATURE_COUNT]),
      });
      const scores = result[MODEL_OUTPUT];
      if (!scores) throw new Error(`the model has no output "${MODEL_OUTPUT}"`);
      out.set(scores.data as Float32Array, start);
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Throws when the exported file's scores differ from the TypeScript model's by more than `tolerance`. */
export async function verifyOnnxExport(
  onnx: Uint8Array,
  model: LogisticModel,
  rows: ReadonlyArray<readonly number[]>,
  tolerance = VERIFY_TOLERANCE,
): Promise<OnnxVerification> {
  if (rows.length === 0) throw new Error("no rows to verify the exported model on");
  const scores = await scoreWithOnnxRuntime(onnx, rows);
  let maxAbsDifference = 0;
  let worst = 0;
  rows.forEach((row, i) => {
    const difference = Math.abs(scores[i]! - scoreAsExported(model, row));
    if (!(difference <= maxAbsDifference)) {
      maxAbsDifference = Number.isNaN(difference) ? Infinity : difference;
      worst = i;
    }
  });
  if (maxAbsDifference > tolerance) {
    throw new Error(
      `the exported ONNX model disagrees with the trained model: row ${worst} differs by ${maxAbsDifference} (> ${tolerance})`,
    );
  }
  return { rows: rows.length, maxAbsDifference };
}
