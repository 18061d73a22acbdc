import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { isAppError } from "@kiln/core";
import { openDatabase, TestClock, withSystem, withTenant, type Database, type Runtime } from "@kiln/db";
import { databaseMode, databaseUrl, getTestRuntime } from "../../../tests/setup/runtime";
import {
  cancelClaim,
  claimDrop,
  createDrop,
  createProduct,
  expireHolds,
  getClaim,
  getRemaining,
  setDropPublished,
  startBucket,
  type Claim,
  type MemberContext,
} from "./index";
import { createDropShop, createMember } from "./testing";

const rt = await getTestRuntime("2026-03-02T09:00:00.000Z");
const PERIOD = "2026-W12";
const MINUTE = 60_000;

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => {
      if (isAppError(error)) return error.code;
      throw error;
    },
  );

/** A published, open drop of a fresh shop (allocation 1000 units, one unit per item). */
async function openDrop(
  runtime: Runtime,
  options: { quantity: number; perMemberLimit?: number; bucketCount?: number; tierIds?: string[] },
) {
  const shop = await createDropShop(runtime, { period: PERIOD, allocationUnits: 1000 });
  const product = await createProduct(runtime, shop.creatorCtx, {
    title: "Print",
    priceMinor: 2500,
    currency: "EUR",
    capability: "screenprint",
    sku: "PRINT-1",
  });
  const drop = await createDrop(runtime, shop.creatorCtx, {
    productId: product.id,
    title: "Restock",
    quantity: options.quantity,
    period: PERIOD,
    opensAt: new Date(runtime.clock.now().getTime() - MINUTE),
    perMemberLimit: options.perMemberLimit ?? 2,
    bucketCount: options.bucketCount ?? 1,
    tierIds: options.tierIds ?? [],
  });
  await setDropPublished(runtime, shop.creatorCtx, drop.id, true);
  return { shop, drop };
}

async function claimRows(dropId: string) {
  return withSystem(rt, "test", (tx) =>
    tx.execute<{ member_user_id: string; quantity: number; status: string; id: string; idempotency_key: string }>(
      sql`select id, member_user_id, quantity, status, idempotency_key from drop_claims where drop_id = ${dropId}`,
    ),
  );
}

interface StormSize {
  members: number;
  units: number;
  keysPerMember: number;
  bucketCount: number;
}
const SMALL: StormSize = { members: 50, units: 50, keysPerMember: 4, bucketCount: 4 };

/**
 * `keysPerMember` claims from each member (limit 2) plus retries of every fifth key, on `units` units
 * in buckets (SMALL: 200 claims + 40 retries on 50 units). `concurrency` claims run at once; the
 * embedded server has one connection, so there this proves serial correctness only — the PostgreSQL
 * server run is the concurrency proof.
 */
async function storm(runtime: Runtime, concurrency: number, size: StormSize = SMALL) {
  const { drop } = await openDrop(runtime, {
    quantity: size.units,
    perMemberLimit: 2,
    bucketCount: size.bucketCount,
  });
  const shopLike = await withSystem(runtime, "test", async (tx) => {
    const [row] = await tx.execute<{ coop_id: string; creator_id: string }>(
      sql`select coop_id, creator_id from drops where id = ${drop.id}`,
    );
    return { coop: { id: row!.coop_id }, creator: { id: row!.creator_id } };
  });
  const members: MemberContext[] = [];
  for (let i = 0; i < size.members; i++) members.push(await createMember(runtime, shopLike));
  const keys = Array.from({ length: size.keysPerMember }, (_, k) => k);
  const requests = members.flatMap((m, i) => keys.map((k) => ({ member: m, key: `storm-${i}-${k}` })));
  const retries = requests.filter((_, i) => i % 5 === 0).map((r) => ({ ...r, retry: true }));
  const all = [...requests, ...retries].sort(() => Math.random() - 0.5);
  const results: { member: MemberContext; key: string; outcome: Claim | string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < all.length) {
        const r = all[next++]!;
        const outcome = await claimDrop(runtime, r.member, {
          dropId: drop.id,
          quantity: 1,
          idempotencyKey: r.key,
        }).catch((error: unknown) => {
          if (isAppError(error)) return error.code;
          throw error;
        });
        results.push({ member: r.member, key: r.key, outcome });
      }
    }),
  );
  return { drop, members, results };
}

async function checkStorm(runtime: Runtime, concurrency: number, size: StormSize = SMALL) {
  const { drop, results } = await storm(runtime, concurrency, size);
  expect(results).toHaveLength(size.members * size.keysPerMember * 1.2);
  const claims = await claimRows(drop.id);
  // Exactly the stock, never more.
  expect(claims.reduce((s, c) => s + c.quantity, 0)).toBe(size.units);
  expect(claims.every((c) => c.status === "reserved")).toBe(true);
  expect(await getRemaining(runtime, drop.id)).toBe(0);
  // No member above the limit, and each member's counter matches their claims.
  const perMember = new Map<string, number>();
  for (const c of claims) perMember.set(c.member_user_id, (perMember.get(c.member_user_id) ?? 0) + c.quantity);
  expect(Math.max(...perMember.values())).toBeLessThanOrEqual(2);
  const counters = await withSystem(runtime, "test", (tx) =>
    tx.execute<{ member_user_id: string; taken: number }>(
      sql`select member_user_id, taken from drop_member_counters where drop_id = ${drop.id} and taken > 0`,
    ),
  );
  expect(new Map(counters.map((c) => [c.member_user_id, c.taken]))).toEqual(perMember);
  // Every failure is a coded refusal; every retry of a winning key got the same claim.
  const failures = results.filter((r) => typeof r.outcome === "string").map((r) => r.outcome as string);
  expect(new Set(failures).size).toBeLessThanOrEqual(2);
  for (const code of failures) expect(["SOLD_OUT", "LIMIT_EXCEEDED"]).toContain(code);
  const byKey = new Map(claims.map((c) => [c.idempotency_key, c.id]));
  const wins = results.filter((r) => typeof r.outcome !== "string");
  for (const w of wins) expect((w.outcome as Claim).id).toBe(byKey.get(w.key));
  expect(new Set(wins.map((w) => (w.outcome as Claim).id)).size).toBe(claims.length);
}

const WORKER_APP = "kiln-claim-worker-test";
const withApplicationName = (url: string, name: string) => {
  const u = new URL(url);
  u.searchParams.set("application_name", name);
  return u.toString();
};

describe("claiming a drop", () => {
  const serverRuns = databaseMode() === "server";
  let wide: Runtime | undefined;
  afterAll(async () => {
    await wide?.database.close();
  });

  it.runIf(serverRuns)(
    "never oversells under 240 concurrent claims on 50 units in 4 buckets (PostgreSQL server, 16 connections)",
    async () => {
      wide = { database: await openDatabase({ databaseUrl: databaseUrl(), max: 16 }), clock: rt.clock };
      await checkStorm(wide, 32);
    },
    60_000,
  );

  it("never oversells the same storm run one claim at a time (embedded: serial correctness only)", async () => {
    await checkStorm(rt, 1);
  }, 60_000);

  // Issue 8 acceptance: thousands of concurrent claims from hundreds of members on 100 units, limit 2.
  const ACCEPTANCE: StormSize = { members: 300, units: 100, keysPerMember: 8, bucketCount: 8 };

  it.runIf(serverRuns)(
    "acceptance: 2,880 claims at once (2,400 + 480 retries) from 300 members on 100 units → exactly 100 reserved, none above 2 (PostgreSQL server)",
    async () => {
      wide ??= { database: await openDatabase({ databaseUrl: databaseUrl(), max: 16 }), clock: rt.clock };
      // Every claim is started at once; the 16-connection pool queues them as the app's would.
      await checkStorm(wide, 2_880, ACCEPTANCE);
    },
    120_000,
  );

  it.runIf(!serverRuns)(
    "acceptance storm one claim at a time — the embedded database has one connection, so this proves serial correctness only; the concurrency proof is the PostgreSQL server run",
    async () => {
      await checkStorm(rt, 1, ACCEPTANCE);
    },
    120_000,
  );

  it.runIf(serverRuns)(
    "a claim worker killed with SIGKILL mid-storm loses no unit: held + remaining = 100, and expiry returns every held one (PostgreSQL server)",
    async () => {
      const { drop, shop } = await openDrop(rt, { quantity: 100, perMemberLimit: 2, bucketCount: 8 });
      const members: MemberContext[] = [];
      for (let i = 0; i < 200; i++) members.push(await createMember(rt, shop));
      const worker = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("./testing-claim-worker.ts", import.meta.url)),
          JSON.stringify({
            // Named, so the test can wait for the server to finish the dead worker's backends.
            databaseUrl: withApplicationName(databaseUrl(), WORKER_APP),
            dropId: drop.id,
            memberUserIds: members.map((m) => m.userId),
            now: rt.clock.now().toISOString(),
            concurrency: 16,
          }),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        worker.on("exit", (_code, signal) => resolve(signal)),
      );
      let reservedSeen = 0;
      let finished = false;
      for await (const line of createInterface({ input: worker.stdout })) {
        if (line.startsWith("reserved ")) reservedSeen++;
        if (line === "done") finished = true;
        // Mid-way: a third of the stock is held and up to 16 claim transactions are in flight.
        if (reservedSeen === 30) {
          worker.kill("SIGKILL");
          break;
        }
      }
      expect(finished).toBe(false);
      expect(await exited).toBe("SIGKILL");
      // A COMMIT the worker sent just before it died may still be running on the server: wait until
      // every backend of the dead worker has ended before counting.
      for (let i = 0; ; i++) {
        const [row] = await withSystem(rt, "test", (tx) =>
          tx.execute<{ n: number }>(
            sql`select count(*)::int as n from pg_stat_activity where application_name = ${WORKER_APP}`,
          ),
        );
        if (row!.n === 0) break;
        if (i > 200) throw new Error(`${row!.n} backend(s) of the killed worker are still running`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The dead worker's open transactions rolled back with its connections: every unit is either
      // held by a committed claim or still in stock, and every counter matches the held claims.
      const { held, remaining, counted } = await withSystem(rt, "test", async (tx) => {
        const [row] = await tx.execute<{ held: number; remaining: number; counted: number }>(sql`
          select
            (select coalesce(sum(quantity), 0)::int from drop_claims where drop_id = ${drop.id} and status = 'reserved') as held,
            (select coalesce(sum(remaining), 0)::int from drop_stock where drop_id = ${drop.id}) as remaining,
            (select coalesce(sum(taken), 0)::int from drop_member_counters where drop_id = ${drop.id}) as counted`);
        return row!;
      });
      expect(held).toBeGreaterThanOrEqual(30);
      expect(held).toBeLessThan(100);
      expect(held + remaining).toBe(100);
      expect(counted).toBe(held);
      // Nobody confirms: the holds expire and the sweeper returns every held unit.
      // (A clock of its own: the file's clock stays put for the tests after this one.)
      const later: Runtime = {
        database: rt.database,
        clock: new TestClock(new Date(rt.clock.now().getTime() + 11 * MINUTE)),
      };
      const expired = await expireHolds(later, { dropIds: [drop.id] });
      expect(expired.units).toBe(held);
      expect(await getRemaining(rt, drop.id)).toBe(100);
      const [left] = await withSystem(rt, "test", (tx) =>
        tx.execute<{ taken: number }>(
          sql`select coalesce(sum(taken), 0)::int as taken from drop_member_counters where drop_id = ${drop.id}`,
        ),
      );
      expect(left!.taken).toBe(0);
    },
    120_000,
  );

  it("returns the same claim for a retry with the same key and refuses a reused key for another claim", async () => {
    const { drop, shop } = await openDrop(rt, { quantity: 5, perMemberLimit: 3 });
    const member = await createMember(rt, shop);
    const first = await claimDrop(rt, member, { dropId: drop.id, quantity: 2, idempotencyKey: "key-abcdef-1" });
    const again = await claimDrop(rt, member, { dropId: drop.id, quantity: 2, idempotencyKey: "key-abcdef-1" });
    expect(again.id).toBe(first.id);
    expect(await getRemaining(rt, drop.id)).toBe(3);
    expect(await codeOf(claimDrop(rt, member, { dropId: drop.id, quantity: 1, idempotencyKey: "key-abcdef-1" }))).toBe(
      "CONFLICT",
    );
    // The limit counts the first claim once: 2 taken, 1 more allowed, 2 more refused.
    expect(await codeOf(claimDrop(rt, member, { dropId: drop.id, quantity: 2, idempotencyKey: "key-abcdef-2" }))).toBe(
      "LIMIT_EXCEEDED",
    );
    expect(await codeOf(claimDrop(rt, member, { dropId: drop.id, quantity: 1, idempotencyKey: "key-abcdef-3" }))).toBe(
      "ok",
    );
  });

  it("takes a multi-unit claim from several buckets when no single bucket holds it", async () => {
    const { drop, shop } = await openDrop(rt, { quantity: 4, perMemberLimit: 4, bucketCount: 4 });
    const member = await createMember(rt, shop);
    const claim = await claimDrop(rt, member, { dropId: drop.id, quantity: 3, idempotencyKey: "multi-bucket-1" });
    expect(Object.values(claim.takenFrom).reduce((s, q) => s + q, 0)).toBe(3);
    expect(Object.keys(claim.takenFrom)).toHaveLength(3);
    const other = await createMember(rt, shop);
    expect(await codeOf(claimDrop(rt, other, { dropId: drop.id, quantity: 2, idempotencyKey: "multi-bucket-2" }))).toBe(
      "SOLD_OUT",
    );
    expect(await getRemaining(rt, drop.id)).toBe(1);
  });

  // Confirming a claim is part of paying for it (tests/drops/payment.test.ts): a paid claim outlives its hold.
  it("expiry returns held units to stock and to the member's limit; an expired hold cannot be let go", async () => {
    const { drop, shop } = await openDrop(rt, { quantity: 2, perMemberLimit: 2, bucketCount: 2 });
    const member = await createMember(rt, shop);
    const held = await claimDrop(rt, member, { dropId: drop.id, quantity: 2, idempotencyKey: "expiry-key-1" });
    const paid = await createMember(rt, shop);
    expect(await codeOf(claimDrop(rt, paid, { dropId: drop.id, quantity: 1, idempotencyKey: "expiry-key-2" }))).toBe(
      "SOLD_OUT",
    );
    rt.clock.advance(9 * MINUTE);
    expect((await expireHolds(rt)).claims).toBe(0);
    rt.clock.advance(MINUTE);
    const expired = await expireHolds(rt);
    expect(expired.units).toBeGreaterThanOrEqual(2);
    expect(await getRemaining(rt, drop.id)).toBe(2);
    expect((await getClaim(rt, member, held.id)).status).toBe("expired");
    expect(await codeOf(cancelClaim(rt, member, held.id))).toBe("CONFLICT");
    expect(await getRemaining(rt, drop.id)).toBe(2);
    // The units and the member's limit are free again.
    const again = await claimDrop(rt, member, { dropId: drop.id, quantity: 2, idempotencyKey: "expiry-key-3" });
    expect(again.status).toBe("reserved");
    expect(await getRemaining(rt, drop.id)).toBe(0);
  });

  it("cancelling a hold gives its unit back at once; someone else's claim is NOT_FOUND", async () => {
    const { drop, shop } = await openDrop(rt, { quantity: 1 });
    const member = await createMember(rt, shop);
    const claim = await claimDrop(rt, member, { dropId: drop.id, quantity: 1, idempotencyKey: "cancel-key-1" });
    const stranger = await createMember(rt, shop);
    expect(await codeOf(cancelClaim(rt, stranger, claim.id))).toBe("NOT_FOUND");
    expect(await codeOf(getClaim(rt, stranger, claim.id))).toBe("NOT_FOUND");
    expect((await cancelClaim(rt, member, claim.id)).status).toBe("cancelled");
    expect(await getRemaining(rt, drop.id)).toBe(1);
    expect(
      await codeOf(claimDrop(rt, stranger, { dropId: drop.id, quantity: 1, idempotencyKey: "cancel-key-2" })),
    ).toBe("ok");
  });

  it("RLS: a member reads only their own claims, the creator team its drop's, and no tenant context writes stock", async () => {
    const { drop, shop } = await openDrop(rt, { quantity: 3 });
    const member = await createMember(rt, shop);
    const other = await createMember(rt, shop);
    const mine = await claimDrop(rt, member, { dropId: drop.id, quantity: 1, idempotencyKey: "rls-key-1" });
    await claimDrop(rt, other, { dropId: drop.id, quantity: 1, idempotencyKey: "rls-key-2" });
    const seen = await withTenant(rt, { userId: member.userId }, (tx) =>
      tx.execute<{ id: string }>(sql`select id from drop_claims where drop_id = ${drop.id}`),
    );
    expect(seen.map((r) => r.id)).toEqual([mine.id]);
    const team = await withTenant(rt, shop.creatorCtx, (tx) =>
      tx.execute(sql`select id from drop_claims where drop_id = ${drop.id}`),
    );
    expect(team).toHaveLength(2);
    for (const ctx of [{ userId: member.userId }, shop.creatorCtx]) {
      const bumped = await withTenant(rt, ctx, (tx) =>
        tx.execute(sql`update drop_stock set remaining = remaining + 100 where drop_id = ${drop.id} returning 1`),
      );
      expect(bumped).toHaveLength(0);
      const reset = await withTenant(rt, ctx, (tx) =>
        tx.execute(sql`update drop_member_counters set taken = 0 where drop_id = ${drop.id} returning 1`),
      );
      expect(reset).toHaveLength(0);
    }
    expect(await getRemaining(rt, drop.id)).toBe(1);
  });
});

// Locks held by claims in flight (migration 0054, ADR 026): a claim takes an unlocked bucket instead of
// queueing behind a locked one, and waits only when every bucket with stock is locked. Another session
// holds the locks here, so these run on the server (the embedded database has one connection).
describe.runIf(databaseMode() === "server")("claiming while other claims hold stock buckets", () => {
  let locker: Database | undefined;
  afterAll(async () => {
    await locker?.close();
  });

  /** Opens a transaction on its own connection that locks the drop's given buckets, as claims in flight would. */
  async function lockBuckets(dropId: string, buckets: number[]) {
    locker ??= await openDatabase({ databaseUrl: databaseUrl(), max: 2 });
    const conn = await locker.sql.reserve();
    await conn`begin`;
    await conn`select bucket from drop_stock where drop_id = ${dropId} and bucket = any(${buckets}) for update`;
    return {
      conn,
      async end(action: "commit" | "rollback") {
        await conn.unsafe(action);
        conn.release();
      },
    };
  }

  const settledWithin = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([promise.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), ms))]);

  async function memberStartingAt(shop: Awaited<ReturnType<typeof createDropShop>>, bucket: number, count: number) {
    for (;;) {
      const member = await createMember(rt, shop);
      if (startBucket(member.userId, count) === bucket) return member;
    }
  }

  it("takes the next unlocked bucket at once when the member's own is locked", async () => {
    const { drop, shop } = await openDrop(rt, { quantity: 8, bucketCount: 4 });
    const member = await memberStartingAt(shop, 1, 4);
    const lock = await lockBuckets(drop.id, [1]);
    try {
      const claim = claimDrop(rt, member, { dropId: drop.id, quantity: 1, idempotencyKey: "skip-locked-1" });
      // Without the first pass the claim waits for this transaction, which ends only after the check.
      expect(await settledWithin(claim, 10_000)).toBe(true);
      expect((await claim).takenFrom).toEqual({ 2: 1 });
    } finally {
      await lock.end("rollback");
    }
    expect(await getRemaining(rt, drop.id)).toBe(7);
  });

  it("waits when every bucket with stock is locked, then claims once the locks are released", async () => {
    const { drop, shop } = await openDrop(rt, { quantity: 4, bucketCount: 4 });
    const member = await memberStartingAt(shop, 3, 4);
    const lock = await lockBuckets(drop.id, [0, 1, 2, 3]);
    const claim = claimDrop(rt, member, { dropId: drop.id, quantity: 1, idempotencyKey: "skip-locked-2" });
    try {
      expect(await settledWithin(claim, 500)).toBe(false);
    } finally {
      await lock.end("rollback");
    }
    expect((await claim).takenFrom).toEqual({ 3: 1 });
  });

  it("is SOLD_OUT only after the locks it waited for are released with no stock left", async () => {
    const { drop, shop } = await openDrop(rt, { quantity: 2, bucketCount: 2 });
    const member = await memberStartingAt(shop, 0, 2);
    const lock = await lockBuckets(drop.id, [0, 1]);
    const claim = codeOf(claimDrop(rt, member, { dropId: drop.id, quantity: 1, idempotencyKey: "skip-locked-3" }));
    try {
      expect(await settledWithin(claim, 500)).toBe(false);
      await lock.conn`update drop_stock set remaining = 0 where drop_id = ${drop.id}`;
    } finally {
      await lock.end("commit");
    }
    expect(await claim).toBe("SOLD_OUT");
  });
});
