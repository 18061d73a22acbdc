import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { AppError, isAppError } from "@kiln/core";
import { withSystem, type Database, type Runtime } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import {
  claimDrop,
  createDrop,
  createProduct,
  expireHolds,
  pollQueue,
  RateLimiter,
  setDropHot,
  setDropPublished,
  shuffleOrder,
  type MemberContext,
  type QueueStatus,
} from "./index";
import { createDropShop, createMember, createTier } from "./testing";

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

/** A fresh limiter per call: these tests are about the queue, the limits have their own test. */
const poll = (member: MemberContext, dropId: string) => pollQueue(rt, member, dropId, { limiter: new RateLimiter() });

/** A published hot drop of a fresh shop, opening `opensInMs` from now. */
async function hotDrop(options: { quantity: number; opensInMs: number; perMemberLimit?: number; tier?: boolean }) {
  const shop = await createDropShop(rt, { period: PERIOD, allocationUnits: 1000 });
  const tier = options.tier ? await createTier(rt, shop, "Collectors") : undefined;
  const product = await createProduct(rt, shop.creatorCtx, {
    title: "Print",
    priceMinor: 2500,
    currency: "EUR",
    capability: "screenprint",
    sku: "HOT-1",
  });
  const drop = await createDrop(rt, shop.creatorCtx, {
    productId: product.id,
    title: "Hot restock",
    quantity: options.quantity,
    period: PERIOD,
    opensAt: new Date(rt.clock.now().getTime() + options.opensInMs),
    perMemberLimit: options.perMemberLimit ?? 1,
    bucketCount: 1,
    tierIds: tier ? [tier.id] : [],
  });
  await setDropPublished(rt, shop.creatorCtx, drop.id, true);
  await setDropHot(rt, shop.creatorCtx, drop.id, true);
  return { shop, drop, tier };
}

const positionOf = (s: QueueStatus) => ("position" in s ? s.position : undefined);
const tokenOf = (s: QueueStatus) => {
  if (s.state !== "admitted") throw new Error(`expected admitted, got ${JSON.stringify(s)}`);
  return s.token;
};

describe("shuffleOrder", () => {
  const ids = Array.from({ length: 40 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
  it("is a permutation, the same for the same seed and different for another seed", () => {
    const a = shuffleOrder("seed-one", ids);
    expect([...a].sort()).toEqual([...ids].sort());
    expect(shuffleOrder("seed-one", [...ids].reverse())).toEqual(a);
    expect(shuffleOrder("seed-two", ids)).not.toEqual(a);
    expect(a).not.toEqual(ids);
  });
});

describe("hot-drop admission", () => {
  it("places early entrants by the seeded shuffle at opening, then later ones first come first served", async () => {
    const { drop, shop } = await hotDrop({ quantity: 3, opensInMs: 10 * MINUTE });
    const early: MemberContext[] = [];
    for (let i = 0; i < 8; i++) early.push(await createMember(rt, shop));
    for (const m of early) {
      const s = await poll(m, drop.id);
      // Before opening nobody has a place yet (joining early buys nothing).
      expect(s).toMatchObject({ state: "waiting", position: null });
      expect(s.state === "waiting" && s.etaSeconds).toBe(600);
    }
    rt.clock.advance(10 * MINUTE);
    const late: MemberContext[] = [];
    for (let i = 0; i < 3; i++) late.push(await createMember(rt, shop));
    const latePositions: number[] = [];
    for (const m of late) latePositions.push(positionOf(await poll(m, drop.id))!);
    expect(latePositions).toEqual([9, 10, 11]);

    const earlyStatus = new Map<string, QueueStatus>();
    for (const m of early) earlyStatus.set(m.userId, await poll(m, drop.id));
    const positions = early.map((m) => positionOf(earlyStatus.get(m.userId)!)!);
    expect([...positions].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // The order is the shuffle of the seed drawn at opening (recomputed from the stored seal).
    const [seal] = await withSystem(rt, "test", (tx) =>
      tx.execute<{ seed: string; early_count: number }>(
        sql`select seed, early_count from drop_queue_seals where drop_id = ${drop.id}`,
      ),
    );
    expect(seal!.early_count).toBe(8);
    const expected = shuffleOrder(
      seal!.seed,
      early.map((m) => m.userId),
    );
    expect(expected.map((id) => positionOf(earlyStatus.get(id)!))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Only the first `quantity` places are admitted at opening; the rest wait with an ETA.
    for (const [, s] of earlyStatus) {
      if (s.state === "admitted") expect(s.position).toBeLessThanOrEqual(3);
      else expect(s).toMatchObject({ state: "waiting", etaSeconds: ((s as { position: number }).position - 3) * 60 });
    }
    expect([...earlyStatus.values()].filter((s) => s.state === "admitted")).toHaveLength(3);
    // A minute later one more place (3 units / 10-minute holds → 1 a minute) is admitted.
    rt.clock.advance(MINUTE);
    const fourth = early.find((m) => positionOf(earlyStatus.get(m.userId)!) === 4)!;
    expect((await poll(fourth, drop.id)).state).toBe("admitted");
  });

  it("a claim needs the member's own unused admission token for this drop; a retry returns the same claim", async () => {
    const { drop, shop } = await hotDrop({ quantity: 5, opensInMs: MINUTE });
    const other = await hotDrop({ quantity: 5, opensInMs: MINUTE });
    const alice = await createMember(rt, shop);
    const bob = await createMember(rt, shop);
    rt.clock.advance(MINUTE);
    const aliceToken = tokenOf(await poll(alice, drop.id));
    const bobToken = tokenOf(await poll(bob, drop.id));
    const aliceOther = tokenOf(await poll(alice, other.drop.id));
    const claim = (m: MemberContext, key: string, token?: string, dropId = drop.id) =>
      claimDrop(rt, m, { dropId, quantity: 1, idempotencyKey: key }, { admissionToken: token });

    // No token (an API client skipping the queue), someone else's, another drop's, a made-up one: refused.
    expect(await codeOf(claim(alice, "adm-key-01"))).toBe("FORBIDDEN");
    expect(await codeOf(claim(alice, "adm-key-02", bobToken))).toBe("FORBIDDEN");
    expect(await codeOf(claim(alice, "adm-key-03", aliceOther))).toBe("FORBIDDEN");
    expect(await codeOf(claim(alice, "adm-key-04", `${aliceToken}x`))).toBe("FORBIDDEN");

    const won = await claim(alice, "adm-key-05", aliceToken);
    expect(won.status).toBe("reserved");
    // A retry with the same idempotency key returns the same claim; the token does not claim twice.
    expect((await claim(alice, "adm-key-05", aliceToken)).id).toBe(won.id);
    expect(await codeOf(claim(alice, "adm-key-06", aliceToken))).toBe("FORBIDDEN");
    expect(await poll(alice, drop.id)).toMatchObject({ state: "claimed", claimId: won.id });
    // The other drop's token still works for that drop; Bob's for this one.
    expect(await codeOf(claim(alice, "adm-key-07", aliceOther, other.drop.id))).toBe("ok");
    expect(await codeOf(claim(bob, "adm-key-08", bobToken))).toBe("ok");
    // A fresh poll replaces an unused token: the old one is dead.
    const carol = await createMember(rt, shop);
    const first = tokenOf(await poll(carol, drop.id));
    const second = tokenOf(await poll(carol, drop.id));
    expect(await codeOf(claim(carol, "adm-key-09", first))).toBe("FORBIDDEN");
    expect(await codeOf(claim(carol, "adm-key-10", second))).toBe("ok");
  });

  it("answers a sold-out hot drop from memory without the database, until units come back", async () => {
    const { drop, shop } = await hotDrop({ quantity: 1, opensInMs: MINUTE });
    const winner = await createMember(rt, shop);
    const loser = await createMember(rt, shop);
    rt.clock.advance(MINUTE);
    const winnerToken = tokenOf(await poll(winner, drop.id));
    // The loser's place (2) is admitted a minute later; by then the unit is held.
    expect(await poll(loser, drop.id)).toMatchObject({ state: "waiting", position: 2 });
    await claimDrop(
      rt,
      winner,
      { dropId: drop.id, quantity: 1, idempotencyKey: "sold-key-1" },
      { admissionToken: winnerToken },
    );
    rt.clock.advance(MINUTE);
    // Stock is 0: the poll sees it and sets the flag.
    expect((await poll(loser, drop.id)).state).toBe("sold_out");

    // Any database access now fails loudly: the answers below come from memory.
    let touched = 0;
    const broken: Runtime = {
      clock: rt.clock,
      database: new Proxy({} as Database, {
        get() {
          touched++;
          throw new AppError("CONFLICT", "the database was touched");
        },
      }),
    };
    for (let i = 0; i < 20; i++) {
      expect(
        await codeOf(claimDrop(broken, loser, { dropId: drop.id, quantity: 1, idempotencyKey: `sold-key-${i + 2}` })),
      ).toBe("SOLD_OUT");
      expect((await pollQueue(broken, loser, drop.id, { limiter: new RateLimiter() })).state).toBe("sold_out");
    }
    expect(touched).toBe(0);
    // Another (not sold-out) drop on the broken runtime does reach the database: the proxy works.
    const open = await hotDrop({ quantity: 1, opensInMs: 0 });
    await expect(pollQueue(broken, loser, open.drop.id, { limiter: new RateLimiter() })).rejects.toThrow(
      "the database was touched",
    );
    expect(touched).toBeGreaterThan(0);

    // The winner's hold expires: the unit comes back, the flag is cleared, the loser gets their turn.
    rt.clock.advance(10 * MINUTE);
    await expireHolds(rt, { dropIds: [drop.id] });
    const loserToken = tokenOf(await poll(loser, drop.id));
    expect(
      await codeOf(
        claimDrop(
          rt,
          loser,
          { dropId: drop.id, quantity: 1, idempotencyKey: "sold-key-99" },
          { admissionToken: loserToken },
        ),
      ),
    ).toBe("ok");
  });

  it("a claim that finds no unit sets the flag too", async () => {
    const { drop, shop } = await hotDrop({ quantity: 2, opensInMs: MINUTE, perMemberLimit: 2 });
    const a = await createMember(rt, shop);
    const b = await createMember(rt, shop);
    rt.clock.advance(MINUTE);
    const ta = tokenOf(await poll(a, drop.id));
    const tb = tokenOf(await poll(b, drop.id));
    await claimDrop(rt, a, { dropId: drop.id, quantity: 2, idempotencyKey: "flag-key-1" }, { admissionToken: ta });
    expect(
      await codeOf(
        claimDrop(rt, b, { dropId: drop.id, quantity: 1, idempotencyKey: "flag-key-2" }, { admissionToken: tb }),
      ),
    ).toBe("SOLD_OUT");
    // The refused claim rolled back: b's token is still unused in the database.
    const [row] = await withSystem(rt, "test", (tx) =>
      tx.execute<{ used: boolean }>(
        sql`select token_used_at is not null as used from drop_queue where drop_id = ${drop.id} and member_user_id = ${b.userId}`,
      ),
    );
    expect(row!.used).toBe(false);
    const broken = { clock: rt.clock, database: {} as Database } as Runtime;
    expect(await codeOf(claimDrop(broken, b, { dropId: drop.id, quantity: 1, idempotencyKey: "flag-key-3" }))).toBe(
      "SOLD_OUT",
    );
  });

  it("rate limits polls per member and per IP, with a Retry-After", async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    const { drop, shop } = await hotDrop({ quantity: 1, opensInMs: 10 * MINUTE });
    const member = await createMember(rt, shop);
    for (let i = 0; i < 6; i++) await pollQueue(rt, member, drop.id, { ip: "203.0.113.7", limiter });
    const limited = await pollQueue(rt, member, drop.id, { ip: "203.0.113.7", limiter }).catch((e: unknown) => e);
    expect(limited).toMatchObject({ code: "RATE_LIMITED" });
    expect((limited as AppError).retryAfterSeconds).toBe(10);
    now += 10_000;
    await pollQueue(rt, member, drop.id, { ip: "203.0.113.7", limiter });
    // One IP for many members (no DB needed to hit it): the 121st poll in a window is refused.
    const ipLimiter = new RateLimiter(() => now);
    let refused = 0;
    for (let i = 0; i < 125; i++) {
      try {
        ipLimiter.take(`poll:ip:198.51.100.1`, { limit: 120, windowMs: 10_000 });
      } catch {
        refused++;
      }
    }
    expect(refused).toBe(5);
  });

  it("only members who may claim take a place in a member-only drop's room", async () => {
    const { drop, shop, tier } = await hotDrop({ quantity: 2, opensInMs: MINUTE, tier: true });
    const outsider = await createMember(rt, shop);
    const lapsed = await createMember(rt, shop, tier!.id, "canceled");
    const subscriber = await createMember(rt, shop, tier!.id);
    expect(await codeOf(poll(outsider, drop.id))).toBe("NOT_ENTITLED");
    expect(await codeOf(poll(lapsed, drop.id))).toBe("NOT_ENTITLED");
    expect((await poll(subscriber, drop.id)).state).toBe("waiting");
  });

  it("a drop that is not hot has no waiting room and claims without a token", async () => {
    const { drop, shop } = await hotDrop({ quantity: 1, opensInMs: 0 });
    await setDropHot(rt, shop.creatorCtx, drop.id, false);
    const member = await createMember(rt, shop);
    expect(await codeOf(poll(member, drop.id))).toBe("CONFLICT");
    expect(await codeOf(claimDrop(rt, member, { dropId: drop.id, quantity: 1, idempotencyKey: "cold-key-1" }))).toBe(
      "ok",
    );
  });
});
