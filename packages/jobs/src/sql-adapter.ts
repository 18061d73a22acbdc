import type postgres from "postgres";

/** What pg-boss 10 calls through its `db` option (node-postgres' `pool.query` result shape). */
export interface PgBossDb {
  executeSql(text: string, values?: unknown[]): Promise<SqlResult | SqlResult[]>;
}

export interface SqlResult {
  rows: Record<string, unknown>[];
  rowCount: number;
  command: string;
}

type PgResult = postgres.RowList<postgres.Row[]>;

function toResult(result: PgResult): SqlResult {
  return { rows: [...result], rowCount: result.count ?? result.length, command: result.command ?? "" };
}

/** node-postgres' array literal: pg-boss passes id lists as JS arrays for `$2::uuid[]`. */
function arrayLiteral(values: unknown[]): string {
  const items = values.map((v) => {
    if (v === null || v === undefined) return "NULL";
    if (Array.isArray(v)) return arrayLiteral(v);
    const text =
      typeof v === "string"
        ? v
        : v instanceof Date
          ? v.toISOString()
          : typeof v === "number" || typeof v === "boolean" || typeof v === "bigint"
            ? v.toString()
            : JSON.stringify(v);
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(",")}}`;
}

/**
 * Parameters as node-postgres would send them (pg-boss was written against it): undefined → NULL,
 * plain objects → JSON text, arrays → array literals; dates, numbers, booleans and strings as they are.
 */
function prepareValue(value: unknown): postgres.ParameterOrJSON<never> {
  if (value === undefined || value === null) return null;
  if (value instanceof Date || Buffer.isBuffer(value)) return value as Date;
  if (Array.isArray(value)) return arrayLiteral(value);
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  return value as string | number | boolean;
}

/**
 * pg-boss 10's queue DDL (`SELECT <schema>.create_queue($1, $2)`, `… .delete_queue($1)`), which it sends
 * without a lock. create_queue inserts the queue row, then adds a foreign key to the queue table and
 * attaches the new partition; two sessions doing that at once deadlock each other (PostgreSQL 40P01), as
 * CI saw between test files and as two app processes starting together would.
 */
const QUEUE_DDL = /^\s*SELECT ([a-z_][a-z0-9_]*)\.(?:create|delete)_queue\(/i;

/**
 * The transaction-scoped advisory lock pg-boss's own `locked()` takes around migrations and maintenance
 * (plans.js `advisoryLock(schema)`, same key), so queue DDL waits behind those and behind each other.
 */
export function advisoryLock(schema: string): string {
  return `SELECT pg_advisory_xact_lock(('x' || encode(sha224((current_database() || '.pgboss.${schema}')::bytea), 'hex'))::bit(64)::bigint)`;
}

/**
 * pg-boss's `db` adapter over a postgres.js client (DESIGN.md §3, embedded mode: one connection).
 *
 * - Parametrised statements go through the extended protocol: `sql.unsafe(text, values)`.
 * - Text without parameters goes through the simple protocol (`.simple()`), because pg-boss sends
 *   multi-statement scripts (`BEGIN; SET LOCAL …; SELECT pg_advisory_xact_lock(…); …; COMMIT`) that the
 *   extended protocol refuses. It runs on a reserved connection so that nothing else is interleaved,
 *   and after an error the adapter sends ROLLBACK on that same connection before releasing it: the
 *   failed script's COMMIT was skipped, and otherwise the connection (on the embedded server, the only
 *   one) would stay inside an aborted transaction.
 * - Queue creation and deletion run in a transaction that first takes pg-boss's advisory lock (see
 *   QUEUE_DDL): serialised, they cannot deadlock.
 * - Results follow node-postgres: `{ rows, rowCount, command }`, or an array of those when a script
 *   returned more than one row set (postgres.js starts a new result at each row description, so
 *   statements without rows are folded into the previous result; pg-boss reads no script results).
 */
export function createPgBossDb(sql: postgres.Sql): PgBossDb {
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) {
        const queueDdl = QUEUE_DDL.exec(text);
        if (queueDdl) {
          const schema = queueDdl[1]!;
          const result = await sql.begin(async (tx) => {
            await tx.unsafe("SET LOCAL lock_timeout = '30s'");
            await tx.unsafe(advisoryLock(schema));
            return tx.unsafe(text, values.map(prepareValue));
          });
          return toResult(result);
        }
        const result = await sql.unsafe(text, values.map(prepareValue));
        return toResult(result);
      }
      const reserved = await sql.reserve();
      try {
        const result = (await reserved.unsafe(text).simple()) as unknown as PgResult | PgResult[];
        if (Array.isArray(result) && result.length > 0 && Array.isArray(result[0])) {
          return (result as PgResult[]).map(toResult);
        }
        return toResult(result as PgResult);
      } catch (error) {
        // Harmless outside a transaction (a warning); vital inside one.
        await reserved.unsafe("rollback").catch(() => {});
        throw error;
      } finally {
        reserved.release();
      }
    },
  };
}
