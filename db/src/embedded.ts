import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";

export interface EmbeddedServer {
  /** postgres:// URL of the loopback server; accepts exactly one connection at a time. */
  url: string;
  dataDir: string | undefined;
  stop(): Promise<void>;
}

export interface EmbeddedServerOptions {
  /** Folder for the data files; omit for an in-memory database (tests, benchmarks). */
  dataDir?: string;
  /** Loopback port; 0 (default) picks a free one. */
  port?: number;
}

/** True when a process with this pid exists (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Two processes on one PGlite data folder corrupt it, so the folder carries a pid lock. */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = path.join(path.dirname(path.resolve(dataDir)), `.${path.basename(dataDir)}.lock`);
  try {
    const holder = Number(readFileSync(lockFile, "utf8"));
    if (holder && holder !== process.pid && isProcessAlive(holder)) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by process ${holder}. Stop it first, or set KILN_DATA_DIR to another folder.`,
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

/** Starts PGlite in a worker thread and serves it on 127.0.0.1 (DESIGN.md §3). */
export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  const worker = new Worker(new URL("./embedded-worker.mjs", import.meta.url), {
    workerData: { dataDir, port: options.port ?? 0 },
  });
  const address = await new Promise<string>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`embedded database exited during start (code ${code})`)));
    worker.once("message", (message: { type: string; address?: string; message?: string }) => {
      if (message.type === "ready" && message.address) resolve(message.address);
      else reject(new Error(`embedded database failed to start: ${message.message ?? "unknown error"}`));
    });
  }).catch(async (error: unknown) => {
    unlock();
    await worker.terminate();
    throw error;
  });
  worker.removeAllListeners("exit");
  worker.removeAllListeners("error");
  worker.on("error", (error) => console.error("[kiln] embedded database error", error));
  worker.unref();
  let stopped = false;
  return {
    url: `postgres://postgres@${address}/postgres`,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        worker.on("message", (m: { type: string }) => {
          if (m.type === "stopped") {
            clearTimeout(timer);
            resolve();
          }
        });
        worker.postMessage({ type: "stop" });
      });
      await worker.terminate();
      unlock();
    },
  };
}
