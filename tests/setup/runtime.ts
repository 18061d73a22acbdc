import { inject } from "vitest";
import { openDatabase, TestClock, type Database, type Runtime } from "@kiln/db";

export interface TestRuntime extends Runtime {
  clock: TestClock;
}

let shared: Promise<Database> | undefined;

/**
 * The test file's connection to the run's database: one connection on the embedded server (which
 * accepts no second one, so test files there run one at a time), a small pool on a server.
 * Each call returns a fresh TestClock over the same connection. Closed by tests/setup/per-file.ts.
 */
export async function getTestRuntime(start?: Date | string): Promise<TestRuntime> {
  shared ??=
    inject("databaseMode") === "embedded"
      ? openDatabase({ embeddedUrl: inject("databaseUrl") })
      : openDatabase({ databaseUrl: inject("databaseUrl"), max: 4 });
  return { database: await shared, clock: new TestClock(start) };
}

export async function closeTestRuntime(): Promise<void> {
  const database = await shared;
  shared = undefined;
  await database?.close();
}

export const databaseMode = () => inject("databaseMode");
export const databaseUrl = () => inject("databaseUrl");
