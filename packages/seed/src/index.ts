export * from "./factories";
