// Runs embedded PostgreSQL (PGlite) in its own worker thread and serves it on a loopback port with
// pglite-socket, so the web process talks to it with postgres.js exactly as it talks to a server.
// Plain JavaScript on purpose: worker threads are started outside any TypeScript loader.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const { dataDir, port } = workerData;
try {
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  // ONE connection: pglite-socket's multiplexer breaks the extended protocol when two connections
  // run transactions at once, so a second client is refused rather than corrupted (DESIGN.md §3).
  const server = new PGLiteSocketServer({ db, port: port ?? 0, host: "127.0.0.1", maxConnections: 1 });
  await server.start();
  parentPort.postMessage({ type: "ready", address: server.getServerConn() });
  parentPort.on("message", async (message) => {
    if (message?.type !== "stop") return;
    try {
      await server.stop();
      await db.close();
    } finally {
      parentPort.postMessage({ type: "stopped" });
    }
  });
} catch (error) {
  parentPort.postMessage({
    type: "error",
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
}
