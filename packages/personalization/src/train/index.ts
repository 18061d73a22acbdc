export * from "./logistic.js";
export * from "./split.js";
export * from "./metrics.js";
export * from "./bootstrap.js";
export * from "./model-card.js";
export * from "./train-model.js";
export * from "./verify-onnx.js";
export * from "./write-model.js";
