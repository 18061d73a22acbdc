export * from "./factories";
export * from "./demo";
export * from "./personalization";
