import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { isAppError } from "@kiln/core";
import { openDatabase, withSystem, type Runtime } from "@kiln/db";
import {
  cancelClaim,
  claimDrop,
  createDrop,
  createEdition,
  createProduct,
  expireHolds,
  getRemaining,
} from "@kiln/drops";
import { createCoopWithPeople, createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import * as dropPage from "../../app/app/routes/s.$creatorSlug.drops.$dropId";
import { databaseMode, databaseUrl, getTestRuntime } from "../setup/runtime";
import { COLLAB_PERIOD, startCollab, takenOf } from "./collab";

/**
 * Lifetime limits (issue 8 §2–3): per product across its drops, and per co-op-wide edition across
 * several creators' products — a conditional update on the member's (co-op, member, edition) counter
 * row inside the claim transaction; released and expired claims give the unit back.
 */
const rt = await getTestRuntime("2026-12-10T10:00:00Z");
const MINUTE = 60_000;
const services = testServices(rt);

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => {
      if (isAppError(error)) return error.code;
      throw error;
    },
  );

let keyCount = 0;
const claim = (member: { userId: string }, dropId: string, quantity = 1) =>
  claimDrop(rt, member, { dropId, quantity, idempotencyKey: `life-${++keyCount}-${member.userId}` });

async function sessionOf(email: string) {
  return (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;
}

async function claimOnStorefront(token: string, slug: string, dropId: string) {
  const path = `/s/${slug}/drops/${dropId}`;
  const params = { creatorSlug: slug, dropId };
  const shown = await settle(async () =>
    dropPage.loader(await argsFor(services, testRequest(path, { sessionToken: token }), params)),
  );
  expect(shown.status).toBe(200);
  const { idempotencyKey } = shown.body as { idempotencyKey: string };
  return settle(async () =>
    dropPage.action(
      await argsFor(
        services,
        testRequest(path, { sessionToken: token, form: { intent: "claim", idempotencyKey } }),
        params,
      ),
    ),
  );
}

describe("lifetime limits", () => {
  it("lifetime limits hold across two creators' storefronts for a shared edition", async () => {
    const c = await startCollab(rt, { editionLimit: 2 });
    const user = await createUser(rt);
    const token = await sessionOf(user.email);

    // One unit from each creator's storefront: the edition's limit of 2 is reached.
    const first = await claimOnStorefront(token, c.creatorA.slug, c.dropA.id);
    expect(first.status).toBe(302);
    const second = await claimOnStorefront(token, c.creatorB.slug, c.dropB.id);
    expect(second.status).toBe(302);
    expect(await takenOf(rt, c.coop.id, user.id, c.edition.id)).toBe(2);

    // A third on either storefront is refused; nothing is taken from stock.
    for (const [slug, dropId] of [
      [c.creatorA.slug, c.dropA.id],
      [c.creatorB.slug, c.dropB.id],
    ] as const) {
      const refused = await claimOnStorefront(token, slug, dropId);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        code: "LIMIT_EXCEEDED",
        formError: "You have reached the lifetime limit of this edition",
      });
    }
    expect(await getRemaining(rt, c.dropA.id)).toBe(49);
    expect(await getRemaining(rt, c.dropB.id)).toBe(49);

    // Letting go of one gives the unit back to the counter: B's storefront takes a claim again.
    const claimA = first.headers.get("Location")!.split("/").at(-1)!;
    await cancelClaim(rt, { userId: user.id }, claimA);
    expect(await takenOf(rt, c.coop.id, user.id, c.edition.id)).toBe(1);
    expect((await claimOnStorefront(token, c.creatorB.slug, c.dropB.id)).status).toBe(302);
    expect(await codeOf(claim({ userId: user.id }, c.dropA.id))).toBe("LIMIT_EXCEEDED");

    // Holds that expire give their units back too.
    rt.clock.advance(11 * MINUTE);
    await expireHolds(rt, { dropIds: [c.dropA.id, c.dropB.id] });
    expect(await takenOf(rt, c.coop.id, user.id, c.edition.id)).toBe(0);
    expect(await codeOf(claim({ userId: user.id }, c.dropA.id, 2))).toBe("ok");
    // A quantity above the limit is refused even on a fresh counter.
    const other = { userId: (await createUser(rt)).id };
    expect(await codeOf(claim(other, c.dropB.id, 3))).toBe("LIMIT_EXCEEDED");
    expect(await takenOf(rt, c.coop.id, other.userId, c.edition.id)).toBe(0);
    // Another member has their own counter.
    expect(await codeOf(claim(other, c.dropB.id, 2))).toBe("ok");
  });

  it("a product's own lifetime limit holds across its drops (restocks), and a member's counters are theirs", async () => {
    const c = await startCollab(rt, { editionLimit: 10 });
    const limited = await c.openDrop(c.ctxA, "SOLO-A", { lifetimeLimit: 1 });
    const restock = await createDrop(rt, c.ctxA, {
      productId: limited.product.id,
      title: "Restock",
      quantity: 5,
      period: COLLAB_PERIOD,
      opensAt: new Date(rt.clock.now().getTime() - MINUTE),
      perMemberLimit: 5,
      isPublished: true,
    });
    const member = { userId: (await createUser(rt)).id };
    const held = await claim(member, limited.drop.id);
    expect(held.lifetimeSubjectIds.sort()).toEqual([limited.product.id, c.edition.id].sort());
    expect(await codeOf(claim(member, restock.id))).toBe("LIMIT_EXCEEDED");
    expect(await takenOf(rt, c.coop.id, member.userId, limited.product.id)).toBe(1);
    // The refused claim rolled back whole: the edition counter did not move either.
    expect(await takenOf(rt, c.coop.id, member.userId, c.edition.id)).toBe(1);
    await cancelClaim(rt, member, held.id);
    expect(await codeOf(claim(member, restock.id))).toBe("ok");
  });

  it("a product cannot join another co-op's edition; only co-op admins create editions", async () => {
    const c = await startCollab(rt, { editionLimit: 2 });
    const other = await createCoopWithPeople(rt);
    const foreign = await createEdition(
      rt,
      { userId: other.admin.id, coopId: other.coop.id, role: "coop_admin" },
      { name: "Elsewhere", lifetimeLimit: 1 },
    );
    expect(
      await codeOf(
        createProduct(rt, c.ctxA, {
          title: "Sneaky",
          priceMinor: 100,
          currency: "EUR",
          capability: "screenprint",
          sku: "SNEAK-1",
          editionId: foreign.id,
        }),
      ),
    ).toBe("NOT_FOUND");
    expect(await codeOf(createEdition(rt, c.ctxA, { name: "Mine", lifetimeLimit: 1 }))).toBe("NOT_FOUND");
    expect(await codeOf(createEdition(rt, c.adminCtx, { name: "", lifetimeLimit: 0 }))).toBe("BAD_INPUT");
  });
});

describe("lifetime limits under concurrency", () => {
  const serverRuns = databaseMode() === "server";
  let wide: Runtime | undefined;
  afterAll(async () => {
    await wide?.database.close();
  });

  /**
   * One member fires `claims` claims at once, alternating between the two creators' drops of one
   * edition (limit 3); members' per-drop limits (10) would allow far more.
   */
  async function race(runtime: Runtime, concurrency: number) {
    const c = await startCollab(rt, { editionLimit: 3, perMemberLimit: 10 });
    const member = { userId: (await createUser(rt)).id };
    const requests = Array.from({ length: 40 }, (_, i) => ({
      dropId: i % 2 ? c.dropA.id : c.dropB.id,
      key: `race-${i}-${member.userId}`,
    }));
    const outcomes: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests.length) {
          const r = requests[next++]!;
          outcomes.push(
            await codeOf(claimDrop(runtime, member, { dropId: r.dropId, quantity: 1, idempotencyKey: r.key })),
          );
        }
      }),
    );
    const claims = await withSystem(rt, "test", (tx) =>
      tx.execute<{ id: string; quantity: number }>(
        sql`select id, quantity from drop_claims where member_user_id = ${member.userId} and status = 'reserved'`,
      ),
    );
    expect(claims.reduce((s, x) => s + x.quantity, 0)).toBe(3);
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(3);
    expect(new Set(outcomes.filter((o) => o !== "ok"))).toEqual(new Set(["LIMIT_EXCEEDED"]));
    expect(await takenOf(rt, c.coop.id, member.userId, c.edition.id)).toBe(3);
    expect((await getRemaining(rt, c.dropA.id)) + (await getRemaining(rt, c.dropB.id))).toBe(97);
    // Letting go of all of them at once returns every unit to the counter.
    await Promise.all(claims.map((x) => cancelClaim(runtime, member, x.id)));
    expect(await takenOf(rt, c.coop.id, member.userId, c.edition.id)).toBe(0);
  }

  it.runIf(serverRuns)(
    "40 claims at once by one member across two creators' drops of one edition never pass its limit (PostgreSQL server, 16 connections)",
    async () => {
      wide = { database: await openDatabase({ databaseUrl: databaseUrl(), max: 16 }), clock: rt.clock };
      await race(wide, 40);
    },
    60_000,
  );

  it.runIf(!serverRuns)(
    "the same 40 claims one at a time — the embedded database has one connection, so this proves serial correctness only",
    async () => {
      await race(rt, 1);
    },
    60_000,
  );
});
