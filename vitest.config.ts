import { defineConfig } from "vitest/config";

// Tests run on the embedded database unless DATABASE_URL is set (then on that server, in a fresh
// database made for the run). The embedded server takes exactly one connection, so test files run
// one after another there; on a server they run in parallel.
const embedded = !process.env.DATABASE_URL;

export default defineConfig({
  test: {
    include: ["{db,packages,app,tests}/**/*.test.{ts,tsx}"],
    exclude: ["**/node_modules/**", "tests/e2e/**"],
    globalSetup: ["tests/setup/global-setup.ts"],
    setupFiles: ["tests/setup/per-file.ts"],
    fileParallelism: !embedded,
    maxWorkers: embedded ? 1 : 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
