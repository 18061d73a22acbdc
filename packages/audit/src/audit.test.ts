import { randomUUID } from "node:crypto";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { withSystem, withTenant } from "@kiln/db";
import { getTestRuntime, databaseMode } from "../../../tests/setup/runtime";
import { createCoop } from "../../seed/src/factories";
import {
  appendAudit,
  canonicalJson,
  erasePersonalData,
  GENESIS_HASH,
  listAudit,
  verifyChain,
  writeAllCheckpoints,
  writeCheckpoint,
} from "./index";

const rt = await getTestRuntime("2026-04-01T08:00:00.000Z");
const key = "test-checkpoint-key-0123456789";
const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "kiln-audit-"));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** The database's message for a failed query (drizzle wraps it as the cause). */
async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { cause?: Error };
    return e.cause?.message ?? e.message;
  }
  throw new Error("expected the operation to fail");
}

/** Appends n entries to a fresh co-op's chain, as the co-op's admin would (kiln_app). */
async function coopWithChain(n: number) {
  const coop = await createCoop(rt);
  const ctx = { coopId: coop.id, userId: randomUUID(), role: "coop_admin" };
  const heads = [];
  for (let i = 1; i <= n; i++) {
    rt.clock.advance(1000);
    heads.push(
      await withTenant(rt, ctx, (tx) =>
        appendAudit(tx, rt.clock.now(), {
          coopId: coop.id,
          action: "tier.approved",
          actorUserId: ctx.userId,
          subjectType: "tier",
          subjectId: `tier-${i}`,
          data: { i, terms: { version: i, locale: "de" } },
        }),
      ),
    );
  }
  return { coop, ctx, heads };
}

describe("canonical form", () => {
  it("does not depend on key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
});

describe("appendAudit + verifyChain", () => {
  it("builds a linked chain per co-op that verifies", async () => {
    const { coop, heads } = await coopWithChain(3);
    expect(heads.map((h) => h.seq)).toEqual([1, 2, 3]);
    const rows = await withSystem(rt, "test", (tx) =>
      tx.execute<{ seq: string; prev_hash: string; hash: string }>(
        sql`select seq, prev_hash, hash from audit_log where coop_id = ${coop.id} order by seq`,
      ),
    );
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);
    expect(rows[2]!.prev_hash).toBe(rows[1]!.hash);
    expect(await verifyChain(rt, coop.id)).toEqual({ ok: true, entries: 3, head: heads[2], checkpoints: 0 });
  });

  it("starts a separate chain for each co-op", async () => {
    const a = await coopWithChain(2);
    const b = await coopWithChain(1);
    expect(b.heads[0]!.seq).toBe(1);
    expect(await verifyChain(rt, a.coop.id)).toMatchObject({ ok: true, entries: 2 });
  });

  it("rejects an entry without an action, writing nothing", async () => {
    const coop = await createCoop(rt);
    await expect(
      withSystem(rt, "test", (tx) => appendAudit(tx, rt.clock.now(), { coopId: coop.id, action: "" })),
    ).rejects.toThrow(/action/);
    expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: true, entries: 0, head: null });
  });
});

describe("append-only for the application", () => {
  it.each(["update audit_log set action = 'forged'", "delete from audit_log", "truncate audit_log"])(
    "kiln_app cannot: %s",
    async (statement) => {
      const { coop, ctx } = await coopWithChain(1);
      expect(
        await failureOf(
          withTenant(rt, ctx, (tx) =>
            tx.execute(
              sql.raw(statement.startsWith("truncate") ? statement : `${statement} where coop_id = '${coop.id}'`),
            ),
          ),
        ),
      ).toMatch(/permission denied/);
      expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: true, entries: 1 });
    },
  );

  it("kiln_system cannot update or delete either", async () => {
    const { coop } = await coopWithChain(1);
    expect(
      await failureOf(
        withSystem(rt, "test", (tx) =>
          tx.execute(sql`update audit_log set action = 'forged' where coop_id = ${coop.id}`),
        ),
      ),
    ).toMatch(/permission denied/);
    expect(
      await failureOf(
        withSystem(rt, "test", (tx) => tx.execute(sql`delete from audit_log where coop_id = ${coop.id}`)),
      ),
    ).toMatch(/permission denied/);
  });
});

describe("tampering as the owner is found", () => {
  it("names the altered entry", async () => {
    const { coop } = await coopWithChain(5);
    await rt.database
      .sql`update audit_log set data = ${JSON.stringify({ i: 99 })}::jsonb where coop_id = ${coop.id} and seq = 3`;
    expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: false, brokenAt: 3, problem: "hash" });
  });

  it("names the first entry whose link breaks when an altered entry was re-hashed", async () => {
    const { coop } = await coopWithChain(4);
    await rt.database.sql`update audit_log set hash = repeat('a', 64) where coop_id = ${coop.id} and seq = 2`;
    // Entry 2's own hash no longer matches its content: it is the first broken one.
    expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: false, brokenAt: 2, problem: "hash" });
  });

  it("names a gap when an entry in the middle is deleted", async () => {
    const { coop } = await coopWithChain(4);
    await rt.database.sql`delete from audit_log where coop_id = ${coop.id} and seq = 2`;
    expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: false, brokenAt: 2, problem: "sequence" });
  });

  it("detects deleted last entries through a signed checkpoint", async () => {
    const dir = await tempDir();
    const { coop } = await coopWithChain(5);
    const checkpoint = await writeCheckpoint(rt, coop.id, { dir, key });
    expect(checkpoint).toMatchObject({ coopId: coop.id, seq: 5 });
    await rt.database.sql`delete from audit_log where coop_id = ${coop.id} and seq > 3`;
    // Without the checkpoint the shortened chain looks whole…
    expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: true, entries: 3 });
    // …with it, the truncation is found.
    expect(await verifyChain(rt, coop.id, { checkpointDir: dir, key })).toMatchObject({
      ok: false,
      brokenAt: 4,
      problem: "truncated",
    });
  });

  it("detects a rewritten chain through a signed checkpoint", async () => {
    const dir = await tempDir();
    const { coop } = await coopWithChain(3);
    await writeCheckpoint(rt, coop.id, { dir, key });
    await rt.database.sql`delete from audit_log where coop_id = ${coop.id}`;
    for (let i = 0; i < 3; i++) {
      await withSystem(rt, "test", (tx) => appendAudit(tx, rt.clock.now(), { coopId: coop.id, action: "rewritten" }));
    }
    expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: true, entries: 3 });
    expect(await verifyChain(rt, coop.id, { checkpointDir: dir, key })).toMatchObject({
      ok: false,
      brokenAt: 3,
      problem: "rewritten",
    });
  });

  it("reports a forged checkpoint", async () => {
    const dir = await tempDir();
    const { coop, heads } = await coopWithChain(2);
    await writeCheckpoint(rt, coop.id, { dir, key });
    const forged = {
      coopId: coop.id,
      seq: 2,
      hash: heads[1]!.hash,
      at: rt.clock.now().toISOString(),
      mac: "0".repeat(64),
    };
    await appendFile(path.join(dir, `${coop.id}.jsonl`), `${JSON.stringify(forged)}\n`);
    expect(await verifyChain(rt, coop.id, { checkpointDir: dir, key })).toMatchObject({
      ok: false,
      problem: "checkpoint",
      reason: expect.stringMatching(/line 2 has an invalid signature/) as unknown,
    });
    // A checkpoint signed with another key is not trusted either.
    expect(await verifyChain(rt, coop.id, { checkpointDir: dir, key: "another-key-0123456789" })).toMatchObject({
      ok: false,
      problem: "checkpoint",
    });
  });

  it("never signs a broken chain", async () => {
    const dir = await tempDir();
    const { coop } = await coopWithChain(2);
    await rt.database.sql`update audit_log set action = 'forged' where coop_id = ${coop.id} and seq = 1`;
    await expect(writeCheckpoint(rt, coop.id, { dir, key })).rejects.toThrow(/broken at entry 1/);
    const outcomes = await writeAllCheckpoints(rt, { dir, key });
    expect(outcomes).toContainEqual({ coopId: coop.id, error: expect.stringMatching(/broken/) as unknown });
  });
});

describe("checkpoints", () => {
  it("appends a signed line per new head and skips an unchanged head", async () => {
    const dir = await tempDir();
    const { coop, ctx } = await coopWithChain(2);
    expect(await writeCheckpoint(rt, coop.id, { dir, key })).toMatchObject({ seq: 2 });
    expect(await writeCheckpoint(rt, coop.id, { dir, key })).toBeNull();
    await withTenant(rt, ctx, (tx) => appendAudit(tx, rt.clock.now(), { coopId: coop.id, action: "drop.opened" }));
    expect(await writeCheckpoint(rt, coop.id, { dir, key })).toMatchObject({ seq: 3 });
    expect(await verifyChain(rt, coop.id, { checkpointDir: dir, key })).toMatchObject({
      ok: true,
      entries: 3,
      checkpoints: 2,
    });
  });
});

describe("personal data", () => {
  it("is stored beside the chain and erasable while the chain keeps verifying", async () => {
    const coop = await createCoop(rt);
    const member = randomUUID();
    const ctx = { coopId: coop.id, userId: member, role: "member" };
    await withTenant(rt, ctx, (tx) =>
      appendAudit(tx, rt.clock.now(), {
        coopId: coop.id,
        action: "consent.recorded",
        actorUserId: member,
        subjectType: "consent",
        subjectId: "c-1",
        data: { termsVersion: 3 },
        personalData: { name: "Erika Mustermann", address: "Musterstr. 1, Berlin" },
        subjectUserId: member,
      }),
    );
    // Only the co-op's admins and reviewers read personal data; others see the chain without it.
    const asMember = await listAudit(rt, ctx, coop.id);
    expect(asMember.entries[0]).toMatchObject({ action: "consent.recorded", personalData: null });
    const reviewer = { coopId: coop.id, userId: randomUUID(), role: "compliance_reviewer" };
    const before = await listAudit(rt, reviewer, coop.id);
    expect(before.entries[0]).toMatchObject({
      action: "consent.recorded",
      personalData: { name: "Erika Mustermann", address: "Musterstr. 1, Berlin" },
      personalDataErasedAt: null,
    });
    // The chain holds only the reference.
    expect(JSON.stringify(before.entries[0]!.data)).not.toContain("Erika");

    rt.clock.advance(60_000);
    expect(await erasePersonalData(rt, { subjectUserId: member })).toEqual({ erased: 1 });
    const after = await listAudit(rt, reviewer, coop.id);
    expect(after.entries.map((e) => e.action)).toEqual(["audit.personal_data_erased", "consent.recorded"]);
    expect(after.entries[1]).toMatchObject({ personalData: null, personalDataErasedAt: rt.clock.now() });
    const stored = await withSystem(rt, "test", (tx) =>
      tx.execute(sql`select data from audit_personal_data where subject_user_id = ${member}`),
    );
    expect(stored).toEqual([{ data: null }]);
    expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: true, entries: 2 });
    expect(await erasePersonalData(rt, { subjectUserId: member })).toEqual({ erased: 0 });
  });
});

describe("listAudit", () => {
  it("pages newest first", async () => {
    const { coop, ctx } = await coopWithChain(5);
    const first = await listAudit(rt, ctx, coop.id, { limit: 2 });
    expect(first.entries.map((e) => e.seq)).toEqual([5, 4]);
    const second = await listAudit(rt, ctx, coop.id, { limit: 2, beforeSeq: first.nextBeforeSeq! });
    expect(second.entries.map((e) => e.seq)).toEqual([3, 2]);
    const third = await listAudit(rt, ctx, coop.id, { limit: 2, beforeSeq: second.nextBeforeSeq! });
    expect(third).toMatchObject({ entries: [{ seq: 1 }], nextBeforeSeq: null });
  });
});

describe("cross-tenant", () => {
  it("a co-op's context can neither read nor append to another co-op's chain", async () => {
    const a = await coopWithChain(1);
    const b = await coopWithChain(2);
    expect((await listAudit(rt, a.ctx, b.coop.id)).entries).toEqual([]);
    const seen = await withTenant(rt, a.ctx, (tx) =>
      tx.execute(sql`select count(*)::int as n from audit_log where coop_id = ${b.coop.id}`),
    );
    expect(seen).toEqual([{ n: 0 }]);
    expect(
      await failureOf(
        withTenant(rt, a.ctx, (tx) => appendAudit(tx, rt.clock.now(), { coopId: b.coop.id, action: "sneaky" })),
      ),
    ).toMatch(/row-level security/);
    expect(
      await failureOf(
        withTenant(rt, a.ctx, (tx) =>
          appendAudit(tx, rt.clock.now(), { coopId: b.coop.id, action: "sneaky", personalData: { x: 1 } }),
        ),
      ),
    ).toMatch(/row-level security/);
    expect(await verifyChain(rt, b.coop.id)).toMatchObject({ ok: true, entries: 2 });
  });
});

describe.runIf(databaseMode() === "server")("concurrency (server database)", () => {
  it("parallel appends produce a gap-free chain", async () => {
    const coop = await createCoop(rt);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        withSystem(rt, "test", (tx) =>
          appendAudit(tx, rt.clock.now(), { coopId: coop.id, action: "parallel", data: { i } }),
        ),
      ),
    );
    expect(results.map((r) => r.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await verifyChain(rt, coop.id)).toMatchObject({ ok: true, entries: 12 });
  });
});
