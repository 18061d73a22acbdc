import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { withSystem, withTenant } from "@kiln/db";
import { getTestRuntime } from "../setup/runtime";

const rt = await getTestRuntime();

describe("tenant helper", () => {
  it("runs as kiln_app, which does not bypass RLS", async () => {
    const [row] = await withTenant(rt, {}, (tx) =>
      tx.execute<{ current_user: string; bypass: boolean; superuser: boolean }>(
        sql`select current_user, r.rolbypassrls as bypass, r.rolsuper as superuser from pg_roles r where r.rolname = current_user`,
      ),
    );
    expect(row).toEqual({ current_user: "kiln_app", bypass: false, superuser: false });
  });

  it("runs the system context as kiln_system, not as a superuser", async () => {
    const [row] = await withSystem(rt, "test", (tx) =>
      tx.execute<{ current_user: string; bypass: boolean }>(
        sql`select current_user, r.rolbypassrls as bypass from pg_roles r where r.rolname = current_user`,
      ),
    );
    expect(row).toEqual({ current_user: "kiln_system", bypass: false });
  });

  it("kiln_now() follows the injected clock", async () => {
    rt.clock.set("2027-01-15T10:00:00.000Z");
    const [row] = await withTenant(rt, {}, (tx) => tx.execute<{ now: string }>(sql`select kiln_now()::text as now`));
    expect(new Date(row!.now.replace(" ", "T").replace(/\+00$/, "Z")).toISOString()).toBe("2027-01-15T10:00:00.000Z");
  });

  it("sets the context for the transaction only, values exactly as given (quotes and backslashes too)", async () => {
    const ctx = {
      userId: "00000000-0000-4000-8000-000000000001",
      coopId: "00000000-0000-4000-8000-000000000002",
      creatorId: null,
      role: "it's \\' a role\\",
      factoryId: "'); reset role; select ('",
    };
    const [row] = await withTenant(rt, ctx, (tx) =>
      tx.execute<Record<string, string>>(sql`select current_setting('kiln.user_id') as user_id,
        current_setting('kiln.coop_id') as coop_id, current_setting('kiln.creator_id') as creator_id,
        current_setting('kiln.role') as role, current_setting('kiln.factory_id') as factory_id, current_user as who`),
    );
    expect(row).toEqual({
      user_id: ctx.userId,
      coop_id: ctx.coopId,
      creator_id: "",
      role: ctx.role,
      factory_id: ctx.factoryId,
      who: "kiln_app",
    });
    // Nothing outlives the transaction: the next one sees its own context and role.
    const [after] = await withSystem(rt, "test", (tx) =>
      tx.execute<Record<string, string>>(
        sql`select current_setting('kiln.user_id') as user_id, current_setting('kiln.role') as role, current_user as who`,
      ),
    );
    expect(after).toEqual({ user_id: "", role: "system:test", who: "kiln_system" });
    await expect(withTenant(rt, { role: "a\0b" }, async () => 1)).rejects.toThrow(/NUL/);
  });

  it("refuses a nested transaction, which would deadlock the single embedded connection", async () => {
    await expect(withTenant(rt, {}, () => withSystem(rt, "nested", async () => 1))).rejects.toThrow(/inside another/);
  });
});
