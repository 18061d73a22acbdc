import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { databaseMode, databaseUrl } from "../../tests/setup/runtime";

// postgres.js 3.4.9 is patched (patches/postgres@3.4.9.patch, docs/decisions/028). These need a server:
// the embedded database is one connection that never pipelines a transaction behind other statements.
describe.runIf(databaseMode() === "server")("postgres.js, patched", () => {
  it("reserves the connection for a transaction whose BEGIN fills the pipeline (upstream #1189)", async () => {
    const sql = postgres(databaseUrl(), { max: 1, max_pipeline: 2, onnotice: () => {} } as postgres.Options<
      Record<string, postgres.PostgresType>
    >);
    try {
      await sql`select 1`;
      // One statement running and one queued on the connection: BEGIN is the one that fills it.
      const running = sql`select pg_sleep(0.2)`.execute();
      const queued = sql`select 2 as two`.execute();
      const tx = sql.begin(async (t) => {
        await t`select set_config('kiln.test', 'inside', true)`;
        return (await t`select current_setting('kiln.test', true) as v`)[0]!.v as string;
      });
      expect(await tx).toBe("inside");
      await Promise.all([running, queued]);
      // Nothing after the transaction runs inside it: its LOCAL setting is gone.
      const [after] = await sql`select current_setting('kiln.test', true) as v`;
      expect(after).toEqual({ v: "" });
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it("runs transactions among many statements on a busy pool without UNSAFE_TRANSACTION", async () => {
    const sql = postgres(databaseUrl(), { max: 4, max_pipeline: 4, onnotice: () => {} } as postgres.Options<
      Record<string, postgres.PostgresType>
    >);
    const failures = new Map<string, number>();
    let stop = false;
    try {
      const clients = Array.from({ length: 48 }, async (_, i) => {
        while (!stop) {
          try {
            if (i % 4 === 0) await sql.begin((t) => t`select 1`);
            else await sql`select pg_sleep(0.001), ${i}::int`;
          } catch (error) {
            const key = (error as Error).message;
            failures.set(key, (failures.get(key) ?? 0) + 1);
          }
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      stop = true;
      await Promise.all(clients);
      expect(Object.fromEntries(failures)).toEqual({});
    } finally {
      stop = true;
      await sql.end({ timeout: 5 });
    }
  });
});
