import type { TestProject } from "vitest/node";
import postgres from "postgres";
import { migrateDatabase, openDatabase } from "@kiln/db";
import { startEmbeddedServer, type EmbeddedServer } from "@kiln/db/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's databases: one per worker slot on the embedded server, a single one on a server. */
    databaseUrls: string[];
    databaseMode: "embedded" | "server";
  }
}

/** Starts one in-memory embedded server and migrates it (its one connection is closed again). */
async function startMigratedEmbedded(): Promise<EmbeddedServer> {
  const embedded = await startEmbeddedServer();
  try {
    const database = await openDatabase({ embeddedUrl: embedded.url });
    try {
      await migrateDatabase(database);
    } finally {
      await database.close();
    }
    return embedded;
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/**
 * The run's databases, migrated once each:
 * - embedded (default): one in-memory PGlite per worker slot, each served on its own loopback port
 *   and taking one connection; a test file uses the instance of its slot (tests/setup/runtime.ts),
 *   so files on one instance still run one after another (ADR 023);
 * - server (DATABASE_URL set): a fresh database created on that server and dropped afterwards,
 *   so a run never sees rows or migrations left by another.
 */
export default async function setup(project: TestProject) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const slots = Math.max(1, project.config.maxWorkers);
    const started = await Promise.allSettled(Array.from({ length: slots }, () => startMigratedEmbedded()));
    const servers = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const stopAll = () => Promise.all(servers.map((server) => server.stop())).then(() => {});
    const failure = started.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) {
      await stopAll();
      throw failure.reason;
    }
    project.provide(
      "databaseUrls",
      servers.map((server) => server.url),
    );
    project.provide("databaseMode", "embedded");
    return stopAll;
  }
  const name = `kiln_test_${process.pid}_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), max: 1 });
  await migrateDatabase(database);
  await database.close();
  project.provide("databaseUrls", [url.toString()]);
  project.provide("databaseMode", "server");
  return async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
}
