import type { TestProject } from "vitest/node";
import postgres from "postgres";
import { migrateDatabase, openDatabase } from "@kiln/db";
import { startEmbeddedServer } from "@kiln/db/embedded";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseMode: "embedded" | "server";
  }
}

/**
 * One database for the whole run, migrated once:
 * - embedded (default): an in-memory PGlite served on a loopback port;
 * - server (DATABASE_URL set): a fresh database created on that server and dropped afterwards,
 *   so a run never sees rows or migrations left by another.
 */
export default async function setup(project: TestProject) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedServer();
    const database = await openDatabase({ embeddedUrl: embedded.url });
    await migrateDatabase(database);
    await database.close();
    project.provide("databaseUrl", embedded.url);
    project.provide("databaseMode", "embedded");
    return () => embedded.stop();
  }
  const name = `kiln_test_${process.pid}_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), max: 1 });
  await migrateDatabase(database);
  await database.close();
  project.provide("databaseUrl", url.toString());
  project.provide("databaseMode", "server");
  return async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
}
