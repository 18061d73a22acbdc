import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { withSystem } from "@kiln/db";
import { getTestRuntime, databaseMode, databaseUrl } from "../../../tests/setup/runtime";
import { createJobs, QUEUES, type Jobs } from "./index";
import { advisoryLock, createPgBossDb } from "./sql-adapter";

const rt = await getTestRuntime();
const errors: Error[] = [];
let jobs: Jobs;
const queue = (label: string) => `test-${label}-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  jobs = createJobs(rt.database, { pollingIntervalSeconds: 0.5, onError: (e) => errors.push(e) });
  await jobs.start();
});

afterAll(async () => {
  await jobs.stop();
});

describe("pg-boss on Kiln's connection", () => {
  it("creates the queues Kiln uses", async () => {
    expect(await jobs.boss.getQueue(QUEUES.emailOutbox)).toMatchObject({ name: "email-outbox" });
    expect(await jobs.boss.getQueue(QUEUES.auditCheckpoint)).toMatchObject({ name: "audit-checkpoint" });
  });

  it("works a sent job exactly once", async () => {
    const name = queue("once");
    const seen: Array<{ id: string; data: unknown }> = [];
    await jobs.register<{ n: number }>(name, async (job) => {
      seen.push({ id: job.id, data: job.data });
    });
    const id = await jobs.send(name, { n: 42 });
    expect(id).toBeTruthy();
    await vi.waitFor(async () => expect((await jobs.boss.getJobById(name, id!))?.state).toBe("completed"), {
      timeout: 10_000,
      interval: 100,
    });
    // Another polling round finds nothing more to do.
    await new Promise((r) => setTimeout(r, 1200));
    expect(seen).toEqual([{ id, data: { n: 42 } }]);
  });

  it("retries a failing handler", async () => {
    const name = queue("retry");
    let calls = 0;
    await jobs.register(
      name,
      async () => {
        calls += 1;
        if (calls === 1) throw new Error("transient failure");
      },
      { retryLimit: 2, retryDelay: 0 },
    );
    const id = await jobs.send(name, {});
    await vi.waitFor(async () => expect((await jobs.boss.getJobById(name, id!))?.state).toBe("completed"), {
      timeout: 15_000,
      interval: 100,
    });
    const job = await jobs.boss.getJobById(name, id!);
    expect(calls).toBe(2);
    expect(job?.retryCount).toBe(1);
  });

  it("fails a job for good after its retries", async () => {
    const name = queue("fail");
    let calls = 0;
    await jobs.register(
      name,
      async () => {
        calls += 1;
        throw new Error("permanent failure");
      },
      { retryLimit: 1, retryDelay: 0 },
    );
    const id = await jobs.send(name, {});
    await vi.waitFor(async () => expect((await jobs.boss.getJobById(name, id!))?.state).toBe("failed"), {
      timeout: 15_000,
      interval: 100,
    });
    expect(calls).toBe(2);
  });

  it("registers a cron schedule", async () => {
    await jobs.schedule(QUEUES.auditCheckpoint, "*/15 * * * *", { reason: "test" });
    const schedules = await jobs.boss.getSchedules();
    expect(schedules).toContainEqual(
      expect.objectContaining({ name: "audit-checkpoint", cron: "*/15 * * * *", data: { reason: "test" } }),
    );
  });

  it("refuses send() inside a transaction on the embedded database instead of hanging", async () => {
    const name = queue("tx");
    const attempt = withSystem(rt, "test", () => jobs.send(name, {}));
    if (databaseMode() === "embedded") await expect(attempt).rejects.toThrow(/inside a transaction/);
    else await expect(attempt).resolves.toBeTruthy();
  });

  it("creates queues from several pg-boss instances at once (as app processes would) without a deadlock", async () => {
    // pg-boss's create_queue inserts the queue row, then adds a foreign key to the queue table and
    // attaches the partition: two sessions doing that at once deadlock (40P01). CI saw it between
    // test files; two app processes starting together would too.
    const others = [
      jobs,
      ...Array.from({ length: 3 }, () => createJobs(rt.database, { onError: (e) => errors.push(e) })),
    ];
    try {
      await Promise.all(others.slice(1).map((j) => j.start()));
      const names = Array.from({ length: 8 }, (_, i) => queue(`race${i}`));
      await Promise.all(others.flatMap((j) => names.map((name) => j.send(name, {}))));
      for (const name of names) expect(await jobs.boss.getQueue(name)).toMatchObject({ name });
    } finally {
      await Promise.all(others.slice(1).map((j) => j.stop()));
    }
  });

  it("reported no errors (on embedded, a second connection would have been refused)", () => {
    expect(errors).toEqual([]);
  });
});

describe("the pg-boss db adapter", () => {
  it("serialises queue DDL on the advisory lock pg-boss takes around migrations and maintenance", () => {
    // If a pg-boss upgrade changes the key, queue creation would stop waiting for maintenance.
    const plans = createRequire(import.meta.url)("pg-boss/src/plans.js") as {
      locked(schema: string, query: string): string;
    };
    const squash = (text: string) => text.replace(/\s+/g, "");
    expect(squash(plans.locked("pgboss", "select 1"))).toContain(squash(advisoryLock("pgboss")));
  });

  it("runs multi-statement text with the simple protocol and returns every row set", async () => {
    const db = createPgBossDb(rt.database.sql);
    const result = await db.executeSql("select 1 as a; select 2 as b, 'x' as c");
    expect(Array.isArray(result)).toBe(true);
    expect((result as Array<{ rows: unknown[] }>).map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2, c: "x" }]]);
  });

  it("passes parameters like node-postgres: objects as JSON, arrays as array literals", async () => {
    const db = createPgBossDb(rt.database.sql);
    const ids = [randomUUID(), randomUUID()];
    const result = await db.executeSql(
      "select $1::jsonb as j, array_length($2::uuid[], 1) as n, $3::text is null as missing",
      [{ a: [1, "two"] }, ids, undefined],
    );
    expect(Array.isArray(result)).toBe(false);
    expect((result as { rows: unknown[] }).rows).toEqual([{ j: { a: [1, "two"] }, n: 2, missing: true }]);
  });

  it("rolls back a failed script so the connection is not left in an aborted transaction", async () => {
    // One connection, as on the embedded server, so the next query surely lands on the same one.
    const single =
      databaseMode() === "embedded" ? rt.database.sql : postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    try {
      const db = createPgBossDb(single);
      await expect(db.executeSql("begin; select 1; select 1/0; commit;")).rejects.toThrow(/division by zero/);
      const [row] = await single`select 1 as ok`;
      expect(row).toEqual({ ok: 1 });
    } finally {
      if (single !== rt.database.sql) await single.end({ timeout: 1 });
    }
  });
});

describe.runIf(databaseMode() === "embedded")("embedded mode", () => {
  it("the embedded server refuses a second connection, so pg-boss must be on the shared one", async () => {
    const second = postgres(databaseUrl(), { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await expect(second`select 1`).rejects.toThrow();
    } finally {
      await second.end({ timeout: 1 }).catch(() => {});
    }
    // pg-boss is still working through the shared connection.
    const name = queue("after");
    let ran = false;
    await jobs.register(name, async () => {
      ran = true;
    });
    await jobs.send(name, {});
    await vi.waitFor(() => expect(ran).toBe(true), { timeout: 10_000, interval: 100 });
  });
});

describe("stop", () => {
  it("stops cleanly and leaves the shared connection usable", async () => {
    const other = createJobs(rt.database, { pollingIntervalSeconds: 0.5, onError: (e) => errors.push(e) });
    await other.start();
    await other.register(queue("stop"), async () => {});
    await other.stop();
    await other.stop();
    await expect(other.send(QUEUES.emailOutbox, {})).rejects.toThrow(/before jobs.start/);
    const [row] = await rt.database.sql`select 1 as ok`;
    expect(row).toEqual({ ok: 1 });
    expect(errors).toEqual([]);
  });
});
