import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index";
import { startEmbeddedServer, type EmbeddedServer } from "./embedded";

export type Db = PostgresJsDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either the database or a transaction on it: what package functions accept. */
export type Queryable = Db | Tx;

export interface Database {
  db: Db;
  /** The postgres.js client: one connection in embedded mode, a pool on a server. */
  sql: postgres.Sql;
  mode: "embedded" | "server";
  /** The embedded server, when Kiln runs one. */
  embedded?: EmbeddedServer;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL of a PostgreSQL server; when absent, embedded PGlite is started. */
  databaseUrl?: string | undefined;
  /** Embedded data folder; omit for an in-memory embedded database. */
  dataDir?: string | undefined;
  /** Pool size on a server (embedded mode always uses exactly one connection). */
  max?: number;
  /** URL of an embedded server started elsewhere (tests start one per run): one connection, embedded rules. */
  embeddedUrl?: string | undefined;
}

/** postgres.js reads `max_pipeline` (default 100) but its typings do not list it. */
type ConnectOptions = postgres.Options<Record<string, postgres.PostgresType>> & { max_pipeline: number };

function connect(url: string, max: number): postgres.Sql {
  const options: ConnectOptions = {
    max,
    // At most 4 statements in flight per pooled connection: postgres.js's default of 100 queued other
    // requests' statements behind a claim waiting for a row lock (128 claimants on 10 connections:
    // p99 ~1 s with 100, ~0.3-0.4 s with 4 or 1), and 1 cost the claim storm a fifth of its claims/s
    // (docs/decisions/025). The one embedded connection keeps the default: everything queues on it.
    // postgres.js is patched (docs/decisions/028): with a short pipeline, a BEGIN that filled it did not
    // reserve its connection, and waiting statements were overtaken by newer ones.
    max_pipeline: max === 1 ? 100 : 4,
    onnotice: () => {},
    // Embedded: keep the single connection; server: recycle idle ones.
    idle_timeout: max === 1 ? 0 : 30,
    connection: { application_name: "kiln" },
  };
  return postgres(url, options);
}

/** The connection factory: DATABASE_URL set → that server; unset → embedded PGlite over loopback. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.embeddedUrl) {
    const sql = connect(options.embeddedUrl, 1);
    const db = drizzle(sql, { schema, casing: "snake_case" });
    return { db, sql, mode: "embedded", close: () => sql.end({ timeout: 5 }) };
  }
  if (options.databaseUrl) {
    const sql = connect(options.databaseUrl, options.max ?? 10);
    const db = drizzle(sql, { schema, casing: "snake_case" });
    return { db, sql, mode: "server", close: () => sql.end({ timeout: 5 }) };
  }
  const embedded = await startEmbeddedServer({ dataDir: options.dataDir });
  const sql = connect(embedded.url, 1);
  const db = drizzle(sql, { schema, casing: "snake_case" });
  return {
    db,
    sql,
    mode: "embedded",
    embedded,
    async close() {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}
