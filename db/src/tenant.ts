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

async function run<T>(rt: Runtime, role: "kiln_app" | "kiln_system", ctx: TenantContext, fn: (tx: Tx) => Promise<T>) {
  if (inTransaction.getStore()) {
    // In embedded mode there is one connection: a second transaction would wait for ever.
    throw new Error("withTenant/withSystem called inside another one: pass the open transaction down instead");
  }
  return inTransaction.run(true, () =>
    rt.database.db.transaction(async (tx) => {
      await tx.execute(sql`select
        set_config('kiln.user_id', ${ctx.userId ?? ""}, true),
        set_config('kiln.coop_id', ${ctx.coopId ?? ""}, true),
        set_config('kiln.creator_id', ${ctx.creatorId ?? ""}, true),
        set_config('kiln.role', ${ctx.role ?? ""}, true),
        set_config('kiln.factory_id', ${ctx.factoryId ?? ""}, true),
        set_config('kiln.now', ${rt.clock.now().toISOString()}, true)`);
      // Superusers bypass RLS even when forced, and the embedded server logs everyone in as one:
      // switch to a role that is held to the policies, for this transaction only.
      await tx.execute(role === "kiln_app" ? sql`set local role kiln_app` : sql`set local role kiln_system`);
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
