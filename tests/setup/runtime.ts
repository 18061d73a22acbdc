import { inject } from "vitest";
import { openDatabase, TestClock, type Database, type Runtime } from "@kiln/db";

export interface TestRuntime extends Runtime {
  clock: TestClock;
}

let shared: Promise<Database> | undefined;

/**
 * The test file's database URL. On a server, the run's one database. Embedded, the instance of this
 * file's worker slot: VITEST_POOL_ID is 1..maxWorkers and unique among the files running at once,
 * and global setup starts one instance per slot, so no two files share an instance at the same time.
 */
export function databaseUrl(): string {
  const urls = inject("databaseUrls");
  if (urls.length === 1) return urls[0]!;
  const slot = Number(process.env.VITEST_POOL_ID);
  if (!Number.isInteger(slot) || slot < 1 || slot > urls.length) {
    throw new Error(
      `VITEST_POOL_ID is ${process.env.VITEST_POOL_ID ?? "unset"}, but global setup started ${urls.length} embedded databases (one per worker slot 1..${urls.length}).`,
    );
  }
  return urls[slot - 1]!;
}

export const databaseMode = () => inject("databaseMode");

/**
 * The test file's connection to its database: one connection on an embedded instance (which
 * accepts no second one, so the files on an instance run one at a time), a small pool on a server.
 * Each call returns a fresh TestClock over the same connection. Closed by tests/setup/per-file.ts.
 */
export async function getTestRuntime(start?: Date | string): Promise<TestRuntime> {
  shared ??=
    databaseMode() === "embedded"
      ? openDatabase({ embeddedUrl: databaseUrl() })
      : openDatabase({ databaseUrl: databaseUrl(), max: 4 });
  return { database: await shared, clock: new TestClock(start) };
}

export async function closeTestRuntime(): Promise<void> {
  const database = await shared;
  shared = undefined;
  await database?.close();
}
