export * from "./tenancy";
export * from "./accounts";
export * from "./audit";
export * from "./outbox";
export * from "./compliance";
export * from "./capacity";
export * from "./billing";
export * from "./drops";
