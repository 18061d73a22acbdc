import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "@kiln/core";
import { withSystem } from "@kiln/db";
import {
  cancelClaim,
  claimDrop,
  getClaim,
  getRemaining,
  joinWaitlist,
  leaveWaitlist,
  runDropHoldJob,
  waitlistPosition,
} from "@kiln/drops";
import { createUser } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";
import { startDropsWorld } from "./world";

/** Issue 8 §5: sold-out drops take a waitlist; a unit that comes back goes to the next in line. Both databases. */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
const MINUTE = 60_000;
let world: Awaited<ReturnType<typeof startDropsWorld>>;

beforeAll(async () => {
  world = await startDropsWorld(rt);
});
afterAll(async () => {
  await world?.billing.stop();
});

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => {
      if (isAppError(error)) return error.code;
      throw error;
    },
  );

async function member() {
  const user = await createUser(rt);
  return { user, ctx: { userId: user.id } };
}

async function offers(email: string) {
  return withSystem(rt, "test", (tx) =>
    tx.execute<{ text_body: string }>(
      sql`select text_body from email_outbox where template = 'drops-waitlist-offer' and to_address = ${email}`,
    ),
  );
}

describe("waitlist", () => {
  it("the loser of the last unit waits and gets it, with its own hold, when the winner's hold expires", async () => {
    const s = await world.shop({ quantity: 1, holdMinutes: 10 });
    const [winner, loser, third] = [await member(), await member(), await member()];
    // While units remain there is nothing to wait for.
    expect(await codeOf(joinWaitlist(rt, loser.ctx, s.drop.id))).toBe("CONFLICT");
    await claimDrop(rt, winner.ctx, { dropId: s.drop.id, quantity: 1, idempotencyKey: `w-${winner.user.id}` });
    expect(
      await codeOf(claimDrop(rt, loser.ctx, { dropId: s.drop.id, quantity: 1, idempotencyKey: `l-${loser.user.id}` })),
    ).toBe("SOLD_OUT");
    const entry = await joinWaitlist(rt, loser.ctx, s.drop.id);
    expect((await joinWaitlist(rt, loser.ctx, s.drop.id)).id).toBe(entry.id);
    rt.clock.advance(1000);
    await joinWaitlist(rt, third.ctx, s.drop.id);
    expect(await waitlistPosition(rt, loser.ctx, s.drop.id)).toBe(1);
    expect(await waitlistPosition(rt, third.ctx, s.drop.id)).toBe(2);

    // Nothing came back yet: the job offers nothing.
    expect(await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] })).toMatchObject({ offered: 0 });

    rt.clock.advance(11 * MINUTE);
    const job = await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id], appUrl: "http://kiln.test" });
    expect(job).toMatchObject({ claims: 1, offered: 1 });
    // The unit went to the first in line, not back on general sale.
    expect(await getRemaining(rt, s.drop.id)).toBe(0);
    const told = await offers(loser.user.email);
    expect(told).toHaveLength(1);
    const claimId = /\/drops\/claims\/([0-9a-f-]{36})/.exec(told[0]!.text_body)![1]!;
    expect(told[0]!.text_body).toContain(`http://kiln.test/s/${s.p.creator.slug}/drops/claims/${claimId}`);
    const offered = await getClaim(rt, loser.ctx, claimId);
    expect(offered).toMatchObject({ status: "reserved", dropId: s.drop.id });
    expect(offered.expiresAt.getTime()).toBe(rt.clock.now().getTime() + 10 * MINUTE);
    expect(await waitlistPosition(rt, loser.ctx, s.drop.id)).toBeNull();
    expect(await waitlistPosition(rt, third.ctx, s.drop.id)).toBe(1);

    // The offered member lets go: the next run offers it to the next in line.
    await cancelClaim(rt, loser.ctx, claimId);
    expect(await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] })).toMatchObject({ offered: 1 });
    expect(await offers(third.user.email)).toHaveLength(1);
    expect(await getRemaining(rt, s.drop.id)).toBe(0);
    // Nobody else waits: a unit that comes back now returns to sale.
    rt.clock.advance(11 * MINUTE);
    expect(await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] })).toMatchObject({ claims: 1, offered: 0 });
    expect(await getRemaining(rt, s.drop.id)).toBe(1);
  });

  it("an offer that cannot be made (member at their limit) lapses and the next member gets the unit; leaving works", async () => {
    const s = await world.shop({ quantity: 3, holdMinutes: 10 });
    const [x, a, b, c] = [await member(), await member(), await member(), await member()];
    await claimDrop(rt, x.ctx, { dropId: s.drop.id, quantity: 1, idempotencyKey: `x-${x.user.id}` });
    rt.clock.advance(5 * MINUTE);
    // a holds two units (the per-member limit) until minute 15 and waits for more.
    await claimDrop(rt, a.ctx, { dropId: s.drop.id, quantity: 2, idempotencyKey: `a-${a.user.id}` });
    await joinWaitlist(rt, a.ctx, s.drop.id);
    rt.clock.advance(1000);
    await joinWaitlist(rt, b.ctx, s.drop.id);
    rt.clock.advance(1000);
    await joinWaitlist(rt, c.ctx, s.drop.id);
    await leaveWaitlist(rt, b.ctx, s.drop.id);
    expect(await waitlistPosition(rt, b.ctx, s.drop.id)).toBeNull();
    expect(await waitlistPosition(rt, c.ctx, s.drop.id)).toBe(2);

    rt.clock.advance(6 * MINUTE); // x's hold passed, a's has not
    const job = await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] });
    expect(job).toMatchObject({ claims: 1, units: 1, offered: 1, lapsed: 1 });
    expect(await offers(a.user.email)).toHaveLength(0);
    expect(await offers(b.user.email)).toHaveLength(0);
    expect(await offers(c.user.email)).toHaveLength(1);
    const statuses = await withSystem(rt, "test", (tx) =>
      tx.execute<{ member_user_id: string; status: string }>(
        sql`select member_user_id, status from drop_waitlist where drop_id = ${s.drop.id}`,
      ),
    );
    expect(Object.fromEntries(statuses.map((r) => [r.member_user_id, r.status]))).toEqual({
      [a.user.id]: "lapsed",
      [b.user.id]: "left",
      [c.user.id]: "offered",
    });
  });
});
