import { AsyncLocalStorage } from "node:async_hooks";
import { sql } from "drizzle-orm";
import type { Clock } from "./clock";
import type { Database, Tx } from "./client";

/** What a unit of work may see. Unset fields are empty: a member context names only the user. */
export interface TenantContext {
  userId?: string | null;
  coopId?: string | null;
  creatorId?: string | null;
  /** The role the user acts in (e.g. "coop_admin"); policies may read it. */
  role?: string | null;
  /** The factory a factory operator acts for (capacity policies read it as kiln.factory_id). */
  factoryId?: string | null;
}

/** What every package operation needs: the database and the clock. */
export interface Runtime {
  database: Database;
  clock: Clock;
}

const inTransaction = new AsyncLocalStorage<boolean>();

/**
 * A string as an SQL escape-string literal (E'…'): backslashes and quotes doubled, so it means the same
 * whatever standard_conforming_strings says. NUL cannot be in a PostgreSQL string at all.
 */
function literal(value: string): string {
  if (value.includes("\0")) throw new Error("A tenant context value cannot contain NUL");
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

async function run<T>(rt: Runtime, role: "kiln_app" | "kiln_system", ctx: TenantContext, fn: (tx: Tx) => Promise<T>) {
  if (inTransaction.getStore()) {
    // In embedded mode there is one connection: a second transaction would wait for ever.
    throw new Error("withTenant/withSystem called inside another one: pass the open transaction down instead");
  }
  return inTransaction.run(true, () =>
    rt.database.db.transaction(async (tx) => {
      // One statement without parameters, so one round trip: drizzle sends a statement with parameters
      // describe-first, which is two (docs/decisions/025). The values are quoted as literals.
      // Superusers bypass RLS even when forced, and the embedded server logs everyone in as one: the
      // last set_config switches to a role that is held to the policies (SET LOCAL ROLE), for this
      // transaction only.
      await tx.execute(
        sql.raw(`select
        set_config('kiln.user_id', ${literal(ctx.userId ?? "")}, true),
        set_config('kiln.coop_id', ${literal(ctx.coopId ?? "")}, true),
        set_config('kiln.creator_id', ${literal(ctx.creatorId ?? "")}, true),
        set_config('kiln.role', ${literal(ctx.role ?? "")}, true),
        set_config('kiln.factory_id', ${literal(ctx.factoryId ?? "")}, true),
        set_config('kiln.now', ${literal(rt.clock.now().toISOString())}, true),
        set_config('role', '${role}', true)`),
      );
      return fn(tx);
    }),
  );
}

/** Runs fn in one transaction as kiln_app with the tenant context set; RLS does the rest. */
export function withTenant<T>(rt: Runtime, ctx: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return run(rt, "kiln_app", ctx, fn);
}

/**
 * The explicit system context: jobs, sign-in look-ups, seeds. Runs as kiln_system, which passes RLS
 * through each table's `system_all` policy. `reason` documents the call site and is kept as kiln.role.
 */
export function withSystem<T>(rt: Runtime, reason: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return run(rt, "kiln_system", { role: `system:${reason}` }, fn);
}

/** True while the caller is inside withTenant/withSystem. */
export function isInTransaction(): boolean {
  return inTransaction.getStore() === true;
}
