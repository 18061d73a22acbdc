/**
 * The production app server for HTTP benches: `pnpm build` (remix vite:build), then `app/server/main.ts`
 * started as `pnpm start` starts it (tsx, Express, compression, security headers, CSRF, the Remix
 * request handler and load context), in its own process, on a free loopback port, against the bench's
 * temporary database. The bench's clients run in the bench process, so they do not share the
 * server's event loop.
 *
 * - `BENCH_BUILD=0` reuses an existing app/build (a build is made when there is none).
 * - `BENCH_CPU_PROF=<dir>` starts the server with `--cpu-prof` into that folder (profiling runs only;
 *   it slows the server down).
 * - `processCpuMs(pids)` reads user + system CPU of processes from /proc (Linux), so a bench can say
 *   where the CPU of a request went: the app server's process and the database's backends.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const appDir = path.join(root, "app");

/** `pnpm build` (= `remix vite:build` in app/) unless BENCH_BUILD=0 and a build exists. */
export function buildApp(): { built: boolean; ms: number } {
  const serverBuild = path.join(appDir, "build/server/index.js");
  if (process.env.BENCH_BUILD === "0" && existsSync(serverBuild)) return { built: false, ms: 0 };
  const started = Date.now();
  const cli = createRequire(path.join(appDir, "package.json")).resolve("@remix-run/dev/dist/cli.js");
  const result = spawnSync(process.execPath, [cli, "vite:build"], { cwd: appDir, stdio: ["ignore", "pipe", "pipe"] });
  if (result.status !== 0)
    throw new Error(`pnpm build failed (${result.status}):\n${String(result.stdout)}\n${String(result.stderr)}`);
  return { built: true, ms: Date.now() - started };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port")),
      );
    });
  });
}

export interface AppServer {
  url: string;
  port: number;
  pid: number;
  /** The server's console output so far (for failures). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `tsx server/main.ts` in app/ (what `pnpm start` runs after its build) with the given
 * environment on top of this process's, and waits until /healthz answers 200.
 */
export async function startAppServer(env: Record<string, string>): Promise<AppServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const profDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = [
    "--import",
    "tsx",
    ...(profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []),
    "server/main.ts",
  ];
  const child: ChildProcess = spawn(process.execPath, nodeArgs, {
    cwd: appDir,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      APP_URL: url,
      STRIPE_EMULATOR_PORT: "0",
      KILN_DEMO_SEED: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (c: Buffer) => (log += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (log += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let alive = true;
  void exited.then(() => (alive = false));

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!alive) throw new Error(`the app server exited before answering:\n${log}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the app server did not answer /healthz within 120 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    pid: child.pid!,
    output: () => log,
    async stop() {
      if (!alive) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU milliseconds of the given processes (0 for any that is gone or unreadable). */
export function processCpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch {
      // exited
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
