export * from "./features.js";
export * from "./onnx-export.js";
