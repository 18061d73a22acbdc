import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { isAppError } from "@kiln/core";
import { withSystem } from "@kiln/db";
import { claimDrop, createDrop, createProduct, getDropGate, setDropPublished } from "@kiln/drops";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import * as dropPage from "../../app/app/routes/s.$creatorSlug.drops.$dropId";
import { createDropShop, createMember, createTier } from "../../packages/drops/src/testing";
import { getTestRuntime } from "../setup/runtime";

/**
 * The claim gate (issue 8 §2, DESIGN.md §4): an active, trialing or in-grace subscription (billing's
 * entitlement) of a gating tier — or of a higher-ranked tier of the same creator — may claim; during
 * the early-access window only early-access tiers (and higher) may; not entitled is NOT_ENTITLED and
 * the drop page offers the tier to subscribe to.
 */
const rt = await getTestRuntime("2026-12-14T09:00:00Z");
const PERIOD = "2026-W52";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const services = testServices(rt);

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => {
      if (isAppError(error)) return error.code;
      throw error;
    },
  );

let keys = 0;
const claim = (member: { userId: string }, dropId: string) =>
  codeOf(claimDrop(rt, member, { dropId, quantity: 1, idempotencyKey: `gate-${++keys}-${member.userId}` }));

async function setRank(tierId: string, rank: number) {
  await withSystem(rt, "test-fixture", (tx) =>
    tx.execute(sql`update subscription_tiers set rank = ${rank} where id = ${tierId}`),
  );
}

async function setSubscription(memberUserId: string, set: ReturnType<typeof sql>) {
  await withSystem(rt, "test-fixture", (tx) =>
    tx.execute(sql`update subscriptions set ${set} where member_user_id = ${memberUserId}`),
  );
}

/** A shop with Basic (rank 1), Plus (rank 2, early access) and Pro (rank 3, listed nowhere). */
async function tieredDrop() {
  const shop = await createDropShop(rt, { period: PERIOD, allocationUnits: 500 });
  const [basic, plus, pro] = [
    await createTier(rt, shop, "Basic"),
    await createTier(rt, shop, "Plus"),
    await createTier(rt, shop, "Pro"),
  ];
  await setRank(basic.id, 1);
  await setRank(plus.id, 2);
  await setRank(pro.id, 3);
  const product = await createProduct(rt, shop.creatorCtx, {
    title: "Members' print",
    priceMinor: 3000,
    currency: "EUR",
    capability: "screenprint",
    sku: "GATE-1",
  });
  const opensAt = new Date(rt.clock.now().getTime() + 2 * HOUR);
  const drop = await createDrop(rt, shop.creatorCtx, {
    productId: product.id,
    title: "Members' restock",
    period: PERIOD,
    quantity: 50,
    opensAt,
    tierIds: [basic.id],
    earlyAccessTierIds: [plus.id],
    earlyAccessAt: new Date(opensAt.getTime() - HOUR),
    perMemberLimit: 5,
  });
  await setDropPublished(rt, shop.creatorCtx, drop.id, true);
  return { shop, drop, basic, plus, pro };
}

describe("claim gate", () => {
  it("early access admits only early tiers and higher ranks; at opening every gating tier and higher may claim", async () => {
    const { shop, drop, basic, plus, pro } = await tieredDrop();
    const basicMember = await createMember(rt, shop, basic.id);
    const plusMember = await createMember(rt, shop, plus.id);
    const proMember = await createMember(rt, shop, pro.id);
    const visitor = { userId: (await createUser(rt)).id };

    // Before early access: nobody, but the visitor learns it is a matter of tier.
    expect(await claim(plusMember, drop.id)).toBe("NOT_OPEN");
    expect(await claim(proMember, drop.id)).toBe("NOT_OPEN");
    expect(await claim(visitor, drop.id)).toBe("NOT_ENTITLED");

    rt.clock.advance(HOUR);
    // Early access: Plus and the higher Pro; Basic waits for the opening.
    expect(await claim(basicMember, drop.id)).toBe("NOT_OPEN");
    expect(await claim(plusMember, drop.id)).toBe("ok");
    expect(await claim(proMember, drop.id)).toBe("ok");
    expect(await claim(visitor, drop.id)).toBe("NOT_ENTITLED");

    rt.clock.advance(HOUR);
    expect(await claim(basicMember, drop.id)).toBe("ok");
    expect(await claim(proMember, drop.id)).toBe("ok");
    expect(await claim(visitor, drop.id)).toBe("NOT_ENTITLED");
  });

  it("follows billing's entitlement: trialing and in-grace past_due claim; lapsed, canceled and ended do not", async () => {
    const { shop, drop, basic } = await tieredDrop();
    rt.clock.advance(2 * HOUR);
    const now = rt.clock.now().getTime();
    const trialing = await createMember(rt, shop, basic.id);
    await setSubscription(trialing.userId, sql`status = 'trialing'`);
    const inGrace = await createMember(rt, shop, basic.id, "past_due");
    await setSubscription(inGrace.userId, sql`past_due_since = ${new Date(now - DAY).toISOString()}`);
    const graceOver = await createMember(rt, shop, basic.id, "past_due");
    const canceled = await createMember(rt, shop, basic.id, "canceled");
    const ended = await createMember(rt, shop, basic.id);
    await setSubscription(
      ended.userId,
      sql`cancel_at_period_end = true, current_period_end = ${new Date(now - HOUR).toISOString()}`,
    );
    expect(await claim(trialing, drop.id)).toBe("ok");
    expect(await claim(inGrace, drop.id)).toBe("ok");
    for (const m of [graceOver, canceled, ended]) expect(await claim(m, drop.id)).toBe("NOT_ENTITLED");
  });

  it("a due scheduled downgrade gates by the new tier; equal ranks do not cover each other", async () => {
    const { shop, drop, basic, plus, pro } = await tieredDrop();
    rt.clock.advance(HOUR); // early access
    const downgraded = await createMember(rt, shop, pro.id);
    await setSubscription(
      downgraded.userId,
      sql`scheduled_tier_id = ${basic.id}, scheduled_at = ${new Date(rt.clock.now().getTime() - HOUR).toISOString()}`,
    );
    expect(await claim(downgraded, drop.id)).toBe("NOT_OPEN");
    // Scheduled for later: still Pro now.
    const later = await createMember(rt, shop, pro.id);
    await setSubscription(
      later.userId,
      sql`scheduled_tier_id = ${basic.id}, scheduled_at = ${new Date(rt.clock.now().getTime() + DAY).toISOString()}`,
    );
    expect(await claim(later, drop.id)).toBe("ok");
    // A tier of the same rank as Plus does not give Plus's early access.
    const side = await createTier(rt, shop, "Side");
    await setRank(side.id, 2);
    expect(await claim(await createMember(rt, shop, side.id), drop.id)).toBe("NOT_OPEN");
    rt.clock.advance(HOUR);
    expect(await claim(await createMember(rt, shop, side.id), drop.id)).toBe("ok");
    expect(await claim(await createMember(rt, shop, plus.id), drop.id)).toBe("ok");
  });

  it("not entitled: the drop page offers the tiers to subscribe to and the claim is refused with NOT_ENTITLED", async () => {
    const { shop, drop, basic, plus } = await tieredDrop();
    rt.clock.advance(2 * HOUR);
    const slug = shop.creator.slug;
    const path = `/s/${slug}/drops/${drop.id}`;
    const params = { creatorSlug: slug, dropId: drop.id };
    const user = await createUser(rt);
    const token = (
      await signIn(rt, { email: user.email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "t" })
    ).token;

    const page = await settle(async () =>
      dropPage.loader(await argsFor(services, testRequest(path, { sessionToken: token }), params)),
    );
    expect(page.status).toBe(200);
    const { gate, idempotencyKey } = page.body as {
      gate: Awaited<ReturnType<typeof getDropGate>>;
      idempotencyKey: string;
    };
    expect(gate.isEntitled).toBe(false);
    expect(gate.tiers.map((t) => [t.name, t.isEarlyAccess, t.isHeld])).toEqual([
      ["Basic", false, false],
      ["Plus", true, false],
    ]);
    const refused = await settle(async () =>
      dropPage.action(
        await argsFor(
          services,
          testRequest(path, { sessionToken: token, form: { intent: "claim", idempotencyKey } }),
          params,
        ),
      ),
    );
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: "NOT_ENTITLED" });

    // A visitor is offered the same tiers; a member of Basic is not offered anything.
    const visitorGate = await getDropGate(rt, drop.id, null);
    expect(visitorGate.tiers.map((t) => t.id)).toEqual([basic.id, plus.id]);
    expect(visitorGate.isEntitled).toBe(false);
    const member = await createMember(rt, shop, basic.id);
    const memberGate = await getDropGate(rt, drop.id, member.userId);
    expect(memberGate.isEntitled).toBe(true);
    expect(memberGate.tiers.map((t) => t.isHeld)).toEqual([true, false]);
  });
});
