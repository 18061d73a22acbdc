/**
 * Shared by the db CLI scripts: open the database Kiln is configured for (DATABASE_URL, else the
 * embedded data folder under KILN_DATA_DIR) and report migrations. CLI glue, not part of @kiln/db's
 * API: db/src imports nothing of ours, and these scripts reach @kiln/core and @kiln/seed by path.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig, type Config } from "../../packages/core/src/config";
import { migrateDatabase, migrationsFolder, openDatabase, type Database } from "../src/index";

export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** Where the configured database is, for messages (never prints a password). */
export function describeTarget(config: Config): string {
  if (!config.databaseUrl) return `embedded database in ${config.embeddedDataDir}`;
  const url = new URL(config.databaseUrl);
  return `PostgreSQL server ${url.hostname}:${url.port || "5432"}${url.pathname}`;
}

export function openConfiguredDatabase(config: Config): Promise<Database> {
  return config.databaseUrl
    ? openDatabase({ databaseUrl: config.databaseUrl, max: 1 })
    : openDatabase({ dataDir: config.embeddedDataDir });
}

interface JournalEntry {
  tag: string;
  when: number;
}

/** The committed migrations, in order (drizzle's journal). */
export function committedMigrations(): JournalEntry[] {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
    entries: JournalEntry[];
  };
  return journal.entries;
}

/** The newest migration timestamp drizzle recorded, or undefined on a database never migrated. */
async function lastAppliedAt(database: Database): Promise<number | undefined> {
  const [exists] = await database.sql<{ present: boolean }[]>`
    select to_regclass('drizzle.__drizzle_migrations') is not null as present`;
  if (!exists?.present) return undefined;
  const [row] = await database.sql<{ last: string | null }[]>`
    select max(created_at)::text as last from drizzle.__drizzle_migrations`;
  return row?.last == null ? undefined : Number(row.last);
}

/** Applies pending migrations and returns the tags it applied (drizzle applies those newer than the last one). */
export async function migrateAndReport(database: Database): Promise<string[]> {
  const before = await lastAppliedAt(database);
  await migrateDatabase(database);
  const pending = committedMigrations().filter((m) => before === undefined || m.when > before);
  const after = await lastAppliedAt(database);
  const latest = committedMigrations().at(-1);
  if (latest && after !== latest.when) {
    throw new Error(`migrations did not reach ${latest.tag} (last applied at ${after ?? "none"})`);
  }
  return pending.map((m) => m.tag);
}
