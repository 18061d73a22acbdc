import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "@kiln/core";
import { withSystem, withTenant } from "@kiln/db";
import {
  DEVICE_DEFAULTS,
  FEATURE_COUNT,
  grantViewConsent,
  listViewConsentChoices,
  loadMemberHistories,
  loadOfferAttributes,
  loadTrainingExamples,
  markServed,
  recordExposure,
  recordProductView,
  SERVER_FEATURE_COUNT,
  serverFeatures,
  withdrawViewConsent,
} from "@kiln/personalization";
import { assignRole, createUser } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";
import { at, claim, createWorld, drop, order, product, type World } from "./data-world";

/**
 * The personalization data layer (issue 9 §1–§3, decision 014): the history loader's as-of
 * correctness, the exposure log and its RLS, consent-gated page views, and training labels.
 */
const T0 = new Date("2026-06-01T12:00:00Z");
const rt = await getTestRuntime(T0);

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (isAppError(e) ? e.code : e),
  );
const features = (n: number) => Array.from({ length: SERVER_FEATURE_COUNT }, (_, i) => (i + n) / 100);

describe("history loader, as of an instant", () => {
  let w: World;
  let p1: string, p2: string, p3: string, p0: string;
  let d1: string, d1b: string, d2: string, d3: string, d0: string;
  beforeAll(async () => {
    rt.clock.set(T0);
    w = await createWorld(rt);
    p1 = await product(rt, w, { tags: ["pastel", "botanical"] });
    p2 = await product(rt, w, { tags: ["monochrome"], currency: "JPY", priceMinor: 3000 });
    p3 = await product(rt, w, { tags: ["pastel"] });
    p0 = await product(rt, w, { tags: ["retro"] });
    d0 = await drop(rt, w, { productId: p0, opensAt: at(T0, -260) });
    d1 = await drop(rt, w, { productId: p1, opensAt: at(T0, -60), closesAt: at(T0, -45) });
    d2 = await drop(rt, w, { productId: p2, opensAt: at(T0, -60), quantity: 5 });
    d3 = await drop(rt, w, { productId: p3, opensAt: at(T0, -40), tierIds: [] });
    d1b = await drop(rt, w, { productId: p1, opensAt: at(T0, -10), quantity: 20 });
    const m = w.member.id;
    // Bought d1 (returned later), d2; d3 only after T0; an expired hold on d2; one too old to count.
    const c1 = await claim(rt, w, { dropId: d1, memberId: m, at: at(T0, -50) });
    await order(rt, w, {
      claimId: c1,
      dropId: d1,
      productId: p1,
      memberId: m,
      at: at(T0, -50),
      returnedAt: at(T0, -30),
    });
    await claim(rt, w, { dropId: d2, memberId: m, at: at(T0, -20) });
    await claim(rt, w, { dropId: d3, memberId: m, at: at(T0, 1) });
    await claim(rt, w, { dropId: d2, memberId: m, at: at(T0, -5), status: "expired", releasedAt: at(T0, -4) });
    await claim(rt, w, { dropId: d0, memberId: m, at: at(T0, -200) });
    // Another member's claim of p2 (popularity) and a waitlist entry of ours from T0-3d.
    await claim(rt, w, { dropId: d2, memberId: w.otherMember.id, at: at(T0, -2), quantity: 2 });
    await withSystem(rt, "fixture", (tx) =>
      tx.execute(sql`insert into drop_waitlist (coop_id, creator_id, drop_id, member_user_id, created_at, updated_at)
        values (${w.coop.id}, ${w.creator.id}, ${d2}, ${m}, ${at(T0, -3).toISOString()}, ${at(T0, -3).toISOString()})`),
    );
  });

  const historiesAt = (asOf: Date) =>
    withSystem(rt, "test", (tx) =>
      loadMemberHistories(tx, { coopId: w.coop.id, memberIds: [w.member.id, w.otherMember.id], asOf }),
    );

  it("counts only claims held or bought before asOf, within 180 days, with returns as of asOf", async () => {
    const now = (await historiesAt(T0)).get(w.member.id)!;
    expect(now.purchases.map((p) => p.productId)).toEqual([p1, p2]);
    expect(now.purchases.map((p) => p.returned)).toEqual([true, false]);
    expect(now.purchases[0]!.tags).toEqual(["pastel", "botanical"]);
    expect([...now.waitlistedProductIds]).toEqual([p2]);

    // 40 days earlier: the old claim is still within 180 days, d1 not yet returned; no waitlist entry yet.
    const earlier = (await historiesAt(at(T0, -40))).get(w.member.id)!;
    expect(earlier.purchases.map((p) => [p.productId, p.returned])).toEqual([
      [p0, false],
      [p1, false],
    ]);
    expect(earlier.waitlistedProductIds.size).toBe(0);

    // While the hold was live (T0-4.5d) it counts; after T0+1d the d3 claim counts.
    const during = (await historiesAt(new Date(at(T0, -4).getTime() - 12 * 3_600_000))).get(w.member.id)!;
    expect(during.purchases.map((p) => p.productId)).toEqual([p1, p2, p2]);
    const later = (await historiesAt(at(T0, 2))).get(w.member.id)!;
    expect(later.purchases.map((p) => p.productId)).toEqual([p1, p2, p3]);

    // A member with nothing gets an empty history, not a missing entry.
    const other = (await historiesAt(at(T0, -100))).get(w.otherMember.id)!;
    expect(other.purchases).toEqual([]);
  });

  it("gives offer attributes as of asOf: popularity, remaining, restock, currency", async () => {
    const offers = await withSystem(rt, "test", (tx) =>
      loadOfferAttributes(tx, { coopId: w.coop.id, dropIds: [d1b, d2, d3, d1], asOf: T0 }),
    );
    expect(offers.map((o) => o.offerId)).toEqual([d1b, d2, d3, d1]);
    const [o1b, o2, o3, o1] = offers;
    expect(o1b).toMatchObject({ productId: p1, restock: true, remaining: 20, quantity: 20, memberOnly: false });
    expect(o1).toMatchObject({ restock: false, remaining: 9, recentClaims: 0 });
    // d2: our claim (T0-20d) and the other member's (2 units, T0-2d) are held; the expired hold is not.
    expect(o2).toMatchObject({ remaining: 2, recentClaims: 2, minorPerMajor: 1, priceMinor: 3000 });
    expect(o3).toMatchObject({ recentClaims: 0, remaining: 10 });
    const later = await withSystem(rt, "test", (tx) =>
      loadOfferAttributes(tx, { coopId: w.coop.id, dropIds: [d3], asOf: at(T0, 2) }),
    );
    expect(later[0]).toMatchObject({ recentClaims: 1, remaining: 9 });

    // The creator's open drops at T0: d1 closed, d0/d2/d3/d1b open.
    const open = await withSystem(rt, "test", (tx) =>
      loadOfferAttributes(tx, { coopId: w.coop.id, creatorId: w.creator.id, asOf: T0 }),
    );
    expect(new Set(open.map((o) => o.offerId))).toEqual(new Set([d0, d2, d3, d1b]));

    // The features of the restock for the member, from these facts.
    const history = (await historiesAt(T0)).get(w.member.id)!;
    const f = serverFeatures(history, o1b!);
    expect(f.slice(0, 4)).toEqual([0.5, 1, Math.log1p(2) / Math.log1p(20), 1]);
  });
});

describe("exposure log", () => {
  let w: World;
  let items: { dropId: string; productId: string; serverFeatures: number[] }[];
  beforeAll(async () => {
    rt.clock.set(T0);
    w = await createWorld(rt);
    const pa = await product(rt, w, { tags: ["a"] });
    const pb = await product(rt, w, { tags: ["b"] });
    items = [
      { dropId: await drop(rt, w, { productId: pa, opensAt: at(T0, -1) }), productId: pa, serverFeatures: features(1) },
      { dropId: await drop(rt, w, { productId: pb, opensAt: at(T0, -1) }), productId: pb, serverFeatures: features(2) },
    ];
  });

  const record = (memberUserId: string, assignedArm: "device" | "server" | "holdout") =>
    withSystem(rt, "test", (tx) =>
      recordExposure(tx, {
        coopId: w.coop.id,
        creatorId: w.creator.id,
        memberUserId,
        experimentKey: "offers-test",
        assignedArm,
        servedArm: assignedArm === "holdout" ? "holdout" : "server",
        modelVersion: assignedArm === "holdout" ? null : "v1",
        shownAt: rt.clock.now(),
        items,
      }),
    );

  it("a member sees only their own exposures; the creator team and co-op admin see the creator's", async () => {
    const mine = await record(w.member.id, "device");
    const theirs = await record(w.otherMember.id, "server");
    const seen = (ctx: Parameters<typeof withTenant>[1]) =>
      withTenant(rt, ctx, async (tx) => ({
        exposures: (
          await tx.execute<{ id: string }>(
            sql`select id from offer_exposures where id in (${mine.exposureId}, ${theirs.exposureId}) order by id`,
          )
        ).map((r) => r.id),
        items: (
          await tx.execute<{ n: number }>(
            sql`select count(*)::int as n from offer_exposure_items where exposure_id in (${mine.exposureId}, ${theirs.exposureId})`,
          )
        )[0]!.n,
      }));
    expect(await seen({ userId: w.member.id })).toEqual({ exposures: [mine.exposureId], items: 2 });
    expect(await seen({ userId: w.otherMember.id })).toEqual({ exposures: [theirs.exposureId], items: 2 });
    const both = [mine.exposureId, theirs.exposureId].sort();
    expect(
      await seen({ userId: w.owner.id, coopId: w.coop.id, creatorId: w.creator.id, role: "creator_owner" }),
    ).toEqual({
      exposures: both,
      items: 4,
    });
    expect(await seen({ userId: w.admin.id, coopId: w.coop.id, role: "coop_admin" })).toEqual({
      exposures: both,
      items: 4,
    });
    // The other creator's team sees none of them.
    const otherOwner = await createUser(rt);
    await assignRole(rt, {
      userId: otherOwner.id,
      coopId: w.coop.id,
      role: "creator_owner",
      creatorId: w.otherCreator.id,
    });
    expect(
      await seen({ userId: otherOwner.id, coopId: w.coop.id, creatorId: w.otherCreator.id, role: "creator_owner" }),
    ).toEqual({ exposures: [], items: 0 });
    // Members cannot write exposures themselves.
    const write = await withTenant(rt, { userId: w.member.id }, (tx) =>
      tx.execute(sql`update offer_exposures set served_arm = 'holdout' where id = ${mine.exposureId} returning id`),
    );
    expect(write.length).toBe(0);
  });

  it("stores the server features as shown, in order", async () => {
    const { exposureId } = await record(w.member.id, "server");
    const rows = await withSystem(rt, "test", (tx) =>
      tx.execute<{ position: number; drop_id: string; server_features: number[] }>(
        sql`select position, drop_id, server_features from offer_exposure_items where exposure_id = ${exposureId} order by position`,
      ),
    );
    expect(rows.map((r) => r.drop_id)).toEqual(items.map((i) => i.dropId));
    expect(rows[1]!.server_features.map((x) => Math.fround(Number(x)))).toEqual(
      items[1]!.serverFeatures.map((x) => Math.fround(x)),
    );
  });

  it("markServed records the served arm for the member's own exposure; holdout stays holdout", async () => {
    const device = await record(w.member.id, "device");
    const served = await withSystem(rt, "test", (tx) =>
      markServed(tx, { exposureId: device.exposureId, memberUserId: w.member.id, servedArm: "device" }),
    );
    expect(served).toEqual({ servedArm: "device" });
    const fallback = await withSystem(rt, "test", (tx) =>
      markServed(tx, {
        exposureId: device.exposureId,
        memberUserId: w.member.id,
        servedArm: "server",
        fallbackReason: "no-webassembly",
      }),
    );
    expect(fallback).toEqual({ servedArm: "server" });
    expect(
      await codeOf(
        withSystem(rt, "test", (tx) =>
          markServed(tx, { exposureId: device.exposureId, memberUserId: w.otherMember.id, servedArm: "device" }),
        ),
      ),
    ).toBe("NOT_FOUND");
    const holdout = await record(w.member.id, "holdout");
    expect(
      await withSystem(rt, "test", (tx) =>
        markServed(tx, { exposureId: holdout.exposureId, memberUserId: w.member.id, servedArm: "device" }),
      ),
    ).toEqual({ servedArm: "holdout" });
  });

  it("refuses a feature vector of the wrong length, storing nothing", async () => {
    const before = await withSystem(rt, "test", (tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from offer_exposures where member_user_id = ${w.member.id}`,
      ),
    );
    const bad = withSystem(rt, "test", (tx) =>
      recordExposure(tx, {
        coopId: w.coop.id,
        creatorId: w.creator.id,
        memberUserId: w.member.id,
        experimentKey: "offers-test",
        assignedArm: "server",
        servedArm: "server",
        shownAt: rt.clock.now(),
        items: [{ ...items[0]!, serverFeatures: [1, 2, 3] }],
      }),
    );
    expect(await codeOf(bad)).toBe("BAD_INPUT");
    const after = await withSystem(rt, "test", (tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from offer_exposures where member_user_id = ${w.member.id}`,
      ),
    );
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});

describe("page views need the member's consent", () => {
  let w: World;
  let mine: string, otherCreators: string;
  beforeAll(async () => {
    rt.clock.set(T0);
    w = await createWorld(rt);
    mine = await product(rt, w, { tags: ["a"] });
    otherCreators = await product(rt, w, { tags: ["b"], creatorId: w.otherCreator.id });
  });
  const member = () => ({ userId: w.member.id });
  const views = () =>
    withSystem(rt, "test", (tx) =>
      tx.execute<{ product_id: string }>(
        sql`select product_id from product_view_events where member_user_id = ${w.member.id} order by occurred_at, id`,
      ),
    ).then((rows) => rows.map((r) => r.product_id));

  it("refuses a view without consent and stores nothing, also at the database", async () => {
    expect(await codeOf(recordProductView(rt, member(), { productId: mine, dwellMs: 4000 }))).toBe("FORBIDDEN");
    expect(await views()).toEqual([]);
    const raw = await withTenant(rt, member(), (tx) =>
      tx.execute(sql`insert into product_view_events (coop_id, creator_id, member_user_id, product_id, dwell_ms, occurred_at)
        values (${w.coop.id}, ${w.creator.id}, ${w.member.id}, ${mine}, 1000, ${T0.toISOString()})`),
    ).then(
      () => "inserted",
      (e: unknown) => String((e as { cause?: Error }).cause?.message ?? e),
    );
    expect(raw).toMatch(/row-level security/);
    expect(await codeOf(recordProductView(rt, {}, { productId: mine, dwellMs: 1 }))).toBe("UNAUTHENTICATED");
    expect(await codeOf(recordProductView(rt, member(), { productId: mine, dwellMs: -5 }))).toBe("BAD_INPUT");
  });

  it("stores views the consent covers; withdrawing stops them and deletes what it covered", async () => {
    await grantViewConsent(rt, member(), { coopId: w.coop.id, creatorId: w.creator.id });
    await grantViewConsent(rt, member(), { coopId: w.coop.id, creatorId: w.creator.id }); // idempotent
    await recordProductView(rt, member(), { productId: mine, dwellMs: 4000 });
    expect(await codeOf(recordProductView(rt, member(), { productId: otherCreators, dwellMs: 1 }))).toBe("FORBIDDEN");
    rt.clock.advance(60_000);
    await grantViewConsent(rt, member(), { coopId: w.coop.id });
    await recordProductView(rt, member(), { productId: otherCreators, dwellMs: 2000 });
    expect(await views()).toEqual([mine, otherCreators]);

    const choices = await listViewConsentChoices(rt, member());
    const here = choices.find((c) => c.coopId === w.coop.id)!;
    expect(here.allCreators).toBe(true);
    expect(here.creators.find((c) => c.id === w.creator.id)?.granted).toBe(true);

    // Another member sees none of these views.
    const seenByOther = await withTenant(rt, { userId: w.otherMember.id }, (tx) =>
      tx.execute(sql`select 1 from product_view_events where member_user_id = ${w.member.id}`),
    );
    expect(seenByOther.length).toBe(0);

    // Withdrawing the co-op-wide consent: the other creator's view goes, this creator's stays (still consented).
    await withdrawViewConsent(rt, member(), { coopId: w.coop.id });
    expect(await views()).toEqual([mine]);
    expect(await codeOf(recordProductView(rt, member(), { productId: otherCreators, dwellMs: 1 }))).toBe("FORBIDDEN");
    await withdrawViewConsent(rt, member(), { coopId: w.coop.id, creatorId: w.creator.id });
    expect(await views()).toEqual([]);
    expect(await codeOf(recordProductView(rt, member(), { productId: mine, dwellMs: 1 }))).toBe("FORBIDDEN");
  });
});

describe("training examples", () => {
  it("labels a claim of the product within 7 days after the list 1, and rebuilds device features from earlier consented views", async () => {
    rt.clock.set(T0);
    const w = await createWorld(rt);
    const pa = await product(rt, w, { tags: ["pastel"] });
    const pb = await product(rt, w, { tags: ["pastel", "bold"] });
    const pc = await product(rt, w, { tags: ["neon"] });
    const da = await drop(rt, w, { productId: pa, opensAt: at(T0, -30), quantity: 50 });
    const db = await drop(rt, w, { productId: pb, opensAt: at(T0, -30), quantity: 50 });
    const dc = await drop(rt, w, { productId: pc, opensAt: at(T0, -30), quantity: 50 });
    const S = at(T0, -20);
    const list = (memberUserId: string, shownAt: Date) =>
      withSystem(rt, "test", (tx) =>
        recordExposure(tx, {
          coopId: w.coop.id,
          creatorId: w.creator.id,
          memberUserId,
          experimentKey: "offers-test",
          assignedArm: "server",
          servedArm: "server",
          shownAt,
          items: [
            { dropId: da, productId: pa, serverFeatures: features(1) },
            { dropId: db, productId: pb, serverFeatures: features(2) },
            { dropId: dc, productId: pc, serverFeatures: features(3) },
          ],
        }),
      );
    const mine = await list(w.member.id, S);
    const theirs = await list(w.otherMember.id, S);
    const fresh = await list(w.member.id, at(T0, -3)); // its label window is still open
    // Member: a within 2 days (positive), b after 9 days (negative), c the day before (negative).
    await claim(rt, w, { dropId: da, memberId: w.member.id, at: at(S, 2) });
    await claim(rt, w, { dropId: db, memberId: w.member.id, at: at(S, 9) });
    await claim(rt, w, { dropId: dc, memberId: w.member.id, at: at(S, -1) });
    // Other member: c within the window but cancelled (released): negative; a held: positive.
    await claim(rt, w, {
      dropId: dc,
      memberId: w.otherMember.id,
      at: at(S, 1),
      status: "cancelled",
      releasedAt: at(S, 1),
    });
    await claim(rt, w, { dropId: da, memberId: w.otherMember.id, at: at(S, 3), status: "reserved" });
    // The member shares views: one of b before the list (60 s), one of c after it.
    await withSystem(rt, "fixture", async (tx) => {
      await tx.execute(sql`insert into personalization_consents (coop_id, member_user_id, granted_at)
        values (${w.coop.id}, ${w.member.id}, ${at(S, -10).toISOString()})`);
      await tx.execute(sql`insert into product_view_events (coop_id, creator_id, member_user_id, product_id, dwell_ms, occurred_at) values
        (${w.coop.id}, ${w.creator.id}, ${w.member.id}, ${pb}, 60000, ${at(S, -1).toISOString()}),
        (${w.coop.id}, ${w.creator.id}, ${w.member.id}, ${pc}, 60000, ${at(S, 1).toISOString()})`);
    });

    const examples = await loadTrainingExamples(rt, { coopId: w.coop.id });
    expect(examples.some((e) => e.listId === fresh.exposureId)).toBe(false);
    const labels = (listId: string) => examples.filter((e) => e.listId === listId).map((e) => [e.productId, e.label]);
    expect(labels(mine.exposureId)).toEqual([
      [pa, 1],
      [pb, 0],
      [pc, 0],
    ]);
    expect(labels(theirs.exposureId)).toEqual([
      [pa, 1],
      [pb, 0],
      [pc, 0],
    ]);
    for (const e of examples) expect(e.features).toHaveLength(FEATURE_COUNT);
    const ex = (listId: string, productId: string) =>
      examples.find((e) => e.listId === listId && e.productId === productId)!;
    // Server part: as stored (float32).
    expect(ex(mine.exposureId, pb).features.slice(0, SERVER_FEATURE_COUNT)).toEqual(features(2).map(Math.fround));
    // Device part: only the view of b (before S) counts: present, all views share "pastel" with a and b.
    const dwell = Math.log1p(60) / Math.log1p(600);
    expect(ex(mine.exposureId, pa).features.slice(SERVER_FEATURE_COUNT)).toEqual([1, 1, dwell, 0]);
    expect(ex(mine.exposureId, pb).features.slice(SERVER_FEATURE_COUNT)).toEqual([1, 1, dwell, 1]);
    expect(ex(mine.exposureId, pc).features.slice(SERVER_FEATURE_COUNT)).toEqual([1, 0, 0, 0]);
    // No consented views: the documented defaults.
    expect(ex(theirs.exposureId, pa).features.slice(SERVER_FEATURE_COUNT)).toEqual([...DEVICE_DEFAULTS]);

    // A window: nothing before `from`.
    expect(await loadTrainingExamples(rt, { coopId: w.coop.id, from: at(S, 1) })).toEqual([]);
  });
});
