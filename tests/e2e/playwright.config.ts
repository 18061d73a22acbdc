import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "@playwright/test";

/**
 * Browser journeys against `pnpm start` on a fresh embedded database (a new temp KILN_DATA_DIR each
 * run, removed when the run ends) on a free loopback port, in Debian's Chromium (no browser
 * download: Playwright's own browsers cannot be fetched here). Run with `pnpm test:e2e`; the web
 * server is `pnpm start`, which builds the app first.
 *
 * Reports: the list on the console, and JSON in test-results/e2e-report.json (or
 * PLAYWRIGHT_JSON_OUTPUT_FILE) for .ci/run to count.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

// The config is evaluated by the runner and again by each worker: decide the port and data folder
// once, in the runner, and hand them down through the environment the workers inherit.
process.env.KILN_E2E_PORT ??= String(await freePort());
if (!process.env.KILN_E2E_DATA_DIR) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "kiln-e2e-"));
  process.env.KILN_E2E_DATA_DIR = dataDir;
  // Removed when the runner exits, after Playwright has stopped the web server.
  process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
}
const port = Number(process.env.KILN_E2E_PORT);
const baseURL = `http://127.0.0.1:${port}`;

// `pnpm test:e2e` runs under pnpm, which is then on PATH; elsewhere fall back to the pinned one.
const pnpm = spawnSync("pnpm", ["--version"], { stdio: "ignore" }).status === 0 ? "pnpm" : "npx -y pnpm@12.4.2";

export default defineConfig({
  testDir: here,
  testMatch: "**/*.spec.ts",
  outputDir: path.join(root, "test-results", "e2e"),
  // The embedded database takes one connection and journeys share one server: one at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: path.join(root, "test-results", "e2e-report.json") }]],
  use: {
    baseURL,
    locale: "en-US",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        browserName: "chromium",
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
          ],
        },
      },
    },
  ],
  webServer: {
    command: `${pnpm} start`,
    cwd: root,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    // `pnpm start` builds the app, migrates a fresh database and seeds the demo (which trains the
    // demo co-op's offer ranker) before /healthz answers: on two busy cores that once took over 180 s.
    // This only bounds how long a broken start takes to be reported; no journey runs any slower.
    timeout: 420_000,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      KILN_DATA_DIR: process.env.KILN_E2E_DATA_DIR,
      // Always the embedded database, even when the caller has DATABASE_URL set (CI's server stage).
      DATABASE_URL: "",
      APP_URL: baseURL,
      // A free port for the Stripe emulator, so a developer's running Kiln does not clash.
      STRIPE_EMULATOR_PORT: "0",
    },
  },
});
