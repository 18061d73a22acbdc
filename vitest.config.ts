import { defineConfig } from "vitest/config";

// Tests run on the embedded database unless DATABASE_URL is set (then on that server, in a fresh
// database made for the run). An embedded server takes exactly one connection, so global setup starts
// one per worker slot and each test file uses its slot's (ADR 023); on a server all share one database.

export default defineConfig({
  test: {
    include: ["{db,packages,app,tests}/**/*.test.{ts,tsx}"],
    exclude: ["**/node_modules/**", "tests/e2e/**"],
    globalSetup: ["tests/setup/global-setup.ts"],
    setupFiles: ["tests/setup/per-file.ts"],
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
