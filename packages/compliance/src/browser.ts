/** Browser-safe entry (`@kiln/compliance/disclosure`): terms schema and disclosure text, no database. */
export * from "./disclosure";
export * from "./terms";
export * from "./terms-form";
