import onnxProto from "onnx-proto";
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SPEC_VERSION, MODEL_INPUT, MODEL_OUTPUT } from "./features.js";

const { onnx } = onnxProto;

/** A trained logistic-regression ranker: score = sigmoid(features · weights + bias). */
export interface LogisticModel {
  weights: readonly number[];
  bias: number;
}

export interface ExportMetadata {
  /** Model version, e.g. "2026-11-30T10-00-00Z-3f2a" (also the file name). */
  version: string;
  /** Free-form key/values stored in the ONNX metadata_props (model card hash, seed, …). */
  extra?: Record<string, string>;
}

/** ONNX opset the exported graph targets (Gemm-13, Sigmoid-13; both runtimes support it). */
export const OPSET = 17;

/**
 * The model as an ONNX file (bytes), built with the official ONNX protobuf definitions:
 * `features` float32 [N, FEATURE_COUNT] → Gemm(W [FEATURE_COUNT, 1], B [1]) → Sigmoid → `score` float32 [N, 1].
 */
export function exportLogisticToOnnx(model: LogisticModel, meta: ExportMetadata): Uint8Array {
  if (model.weights.length !== FEATURE_COUNT) {
    throw new Error(`expected ${FEATURE_COUNT} weights (${FEATURE_SPEC_VERSION}), got ${model.weights.length}`);
  }
  if (![...model.weights, model.bias].every(Number.isFinite)) throw new Error("weights must be finite numbers");

  const floatType = onnx.TensorProto.DataType.FLOAT;
  const tensorType = (dims: Array<{ dimParam: string } | { dimValue: number }>) => ({
    tensorType: { elemType: floatType, shape: { dim: dims } },
  });

  const graph = onnx.GraphProto.create({
    name: "offer_ranker",
    node: [
      onnx.NodeProto.create({
        opType: "Gemm",
        input: [MODEL_INPUT, "W", "B"],
        output: ["logit"],
        name: "linear",
        attribute: [
          onnx.AttributeProto.create({ name: "alpha", type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 }),
          onnx.AttributeProto.create({ name: "beta", type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 }),
        ],
      }),
      onnx.NodeProto.create({ opType: "Sigmoid", input: ["logit"], output: [MODEL_OUTPUT], name: "probability" }),
    ],
    initializer: [
      onnx.TensorProto.create({
        name: "W",
        dataType: floatType,
        dims: [FEATURE_COUNT, 1],
        floatData: Array.from(Float32Array.from(model.weights)),
      }),
      onnx.TensorProto.create({ name: "B", dataType: floatType, dims: [1], floatData: [Math.fround(model.bias)] }),
    ],
    input: [
      onnx.ValueInfoProto.create({
        name: MODEL_INPUT,
        type: tensorType([{ dimParam: "N" }, { dimValue: FEATURE_COUNT }]),
        docString: FEATURE_NAMES.join(","),
      }),
    ],
    output: [
      onnx.ValueInfoProto.create({ name: MODEL_OUTPUT, type: tensorType([{ dimParam: "N" }, { dimValue: 1 }]) }),
    ],
  });

  const modelProto = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "kiln",
    producerVersion: meta.version,
    docString: `Kiln offer ranker (logistic regression) over ${FEATURE_SPEC_VERSION}`,
    graph,
    metadataProps: Object.entries({ feature_spec: FEATURE_SPEC_VERSION, version: meta.version, ...meta.extra }).map(
      ([key, value]) => ({ key, value }),
    ),
  });
  return onnx.ModelProto.encode(modelProto).finish();
}

/** Metadata props of an ONNX file (throws a clear error when the bytes are not an ONNX model). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  let decoded: InstanceType<typeof onnx.ModelProto>;
  try {
    decoded = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new Error(`not an ONNX model: ${(error as Error).message}`);
  }
  if (!decoded.graph) throw new Error("not an ONNX model: no graph");
  return Object.fromEntries((decoded.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]));
}
