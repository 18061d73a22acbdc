export * from "./client";
export * from "./clock";
export * from "./tenant";
export { migrateDatabase, migrationsFolder } from "./migrate";
export * as schema from "./schema/index";
export type { RoleName } from "./schema/accounts";
