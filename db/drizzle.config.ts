import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema/index.ts",
  out: "./migrations",
  casing: "snake_case",
  // Roles are created by migration 0000, not by drizzle-kit.
  entities: { roles: false },
});
