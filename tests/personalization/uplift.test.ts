import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { claimDrop } from "@kiln/drops";
import {
  differenceInterval,
  getOfferUplift,
  ModelStore,
  rankOffersForMember,
  registryModelSource,
  reportServedArm,
  setArmWeights,
  summariseArms,
  wilsonInterval,
} from "@kiln/personalization";
import { createUser } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";
import { activateSeededModel, createOffersShop } from "./offers-world";

const DAY = 86_400_000;

describe("uplift math (hand-computed cases)", () => {
  it("Wilson 95 % interval", () => {
    // 5/10: centre (0.5 + z²/20)/(1 + z²/10) = 0.5; half = z·√(0.025 + z²/400)/(1 + z²/10) = 0.26341.
    const half = wilsonInterval(5, 10);
    expect(half.low).toBeCloseTo(0.236593, 5);
    expect(half.high).toBeCloseTo(0.763407, 5);
    // 0/10: [0, z²/10 ÷ (1 + z²/10)] = [0, 0.277533].
    const none = wilsonInterval(0, 10);
    expect(none.low).toBeCloseTo(0, 9);
    expect(none.high).toBeCloseTo(0.277533, 5);
    // 10/10 mirrors it.
    expect(wilsonInterval(10, 10).low).toBeCloseTo(1 - 0.277533, 5);
    // 30/100: centre (0.3 + 0.0192073)/1.0384146 = 0.3073987; half 1.959964·√(0.0021 + 0.0000960)/1.0384146
    // = 0.0884498 → [0.2189489, 0.3958485] (the textbook 0.2189–0.3958).
    const thirty = wilsonInterval(30, 100);
    expect(thirty.low).toBeCloseTo(0.2189489, 6);
    expect(thirty.high).toBeCloseTo(0.3958485, 6);
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it("difference of two arms with a normal-approximation interval", () => {
    // 30/100 − 20/100 = 0.1; se = √(0.21/100 + 0.16/100) = 0.0608276; ±1.959964·se = ±0.119221.
    const d = differenceInterval({ converted: 30, members: 100 }, { converted: 20, members: 100 })!;
    expect(d.difference).toBeCloseTo(0.1, 12);
    expect(d.low).toBeCloseTo(-0.019221, 5);
    expect(d.high).toBeCloseTo(0.219221, 5);
    expect(differenceInterval({ converted: 1, members: 2 }, { converted: 0, members: 0 })).toBeNull();
  });

  it("counts members and conversions per arm", () => {
    const arms = summariseArms([
      { arm: "device", converted: true },
      { arm: "device", converted: false },
      { arm: "server", converted: false },
      { arm: "holdout", converted: true },
    ]);
    expect(arms.map((a) => [a.arm, a.members, a.converted, a.rate])).toEqual([
      ["device", 2, 1, 0.5],
      ["server", 1, 0, 0],
      ["holdout", 1, 1, 1],
    ]);
  });
});

describe("getOfferUplift (intention to treat, on the database)", () => {
  it("counts members by assigned arm, conversions within 7 days of the first exposure, served arms and pending members", async () => {
    const rt = await getTestRuntime("2026-12-08T10:00:00Z");
    const shop = await createOffersShop(rt, { offers: 3 });
    const model = await activateSeededModel(rt, shop, 909);
    const store = new ModelStore({ source: registryModelSource, logError: () => {} });
    const only = (arm: "device" | "server" | "holdout") => ({ device: 0, server: 0, holdout: 0, [arm]: 1 });
    const show = async (memberId: string, arm: "device" | "server" | "holdout") =>
      rankOffersForMember(rt, {
        creatorSlug: shop.creator.slug,
        memberId,
        now: rt.clock.now(),
        models: store,
        weights: only(arm),
      });
    const claim = (memberId: string, dropId: string) =>
      claimDrop(rt, { userId: memberId }, { dropId, quantity: 1, idempotencyKey: randomUUID() });
    const [a, b, c, d, e, f, late] = await Promise.all(Array.from({ length: 7 }, () => createUser(rt)));
    const openDrop = shop.drops[0]!.dropId;

    // Day 0: everyone but `late` is shown offers; b's browser then ranks on the device.
    const shownB = await show(b!.id, "device");
    await show(a!.id, "device");
    await show(c!.id, "server");
    await show(d!.id, "server");
    await show(e!.id, "holdout");
    await show(f!.id, "holdout");
    await reportServedArm(rt, { exposureId: shownB.exposureId!, memberId: b!.id, servedArm: "device" });
    rt.clock.advance(DAY);
    await claim(a!.id, openDrop); // device: converted on day 1
    await claim(e!.id, openDrop); // holdout: converted on day 1
    await show(a!.id, "device"); // a later exposure does not move a's first one
    rt.clock.advance(4 * DAY);
    await show(late!.id, "server"); // day 5: window still open at day 10 → pending
    rt.clock.advance(3 * DAY);
    await claim(c!.id, openDrop); // server: day 8, after the 7-day window → not converted
    rt.clock.advance(2 * DAY); // day 10

    const report = await getOfferUplift(rt, shop.creatorCtx);
    expect(report.arms.map((x) => [x.arm, x.members, x.converted])).toEqual([
      ["device", 2, 1],
      ["server", 2, 0],
      ["holdout", 2, 1],
    ]);
    expect(report.pending).toBe(1);
    expect(report.arms[0]!.interval).toEqual(wilsonInterval(1, 2));
    expect(report.deviceVsHoldout).toEqual(
      differenceInterval({ converted: 1, members: 2 }, { converted: 1, members: 2 }),
    );
    expect(report.serverVsHoldout!.difference).toBeCloseTo(-0.5, 12);
    expect(report.served).toEqual(
      expect.arrayContaining([
        { assignedArm: "device", servedArm: "device", exposures: 1 },
        { assignedArm: "device", servedArm: "server", exposures: 2 },
        { assignedArm: "server", servedArm: "server", exposures: 3 },
        { assignedArm: "holdout", servedArm: "holdout", exposures: 2 },
      ]),
    );
    expect(report.activeModel?.version).toBe(model.version);

    // Another creator's team sees none of it.
    const other = await createOffersShop(rt, { offers: 1 });
    const theirs = await getOfferUplift(rt, other.creatorCtx);
    expect(theirs.arms.every((x) => x.members === 0)).toBe(true);
    expect(theirs.served).toEqual([]);
    await store.close();
  });
});

describe("getOfferUplift per experiment version (decision 021)", () => {
  it("reports the current version by default and an earlier one on request, never mixing them", async () => {
    const rt = await getTestRuntime("2026-12-08T10:00:00Z");
    const shop = await createOffersShop(rt, { offers: 2 });
    await activateSeededModel(rt, shop, 31);
    const store = new ModelStore({ source: registryModelSource, logError: () => {} });
    const only = (arm: "device" | "server" | "holdout") => ({ device: 0, server: 0, holdout: 0, [arm]: 1 });
    const show = (memberId: string, arm: "device" | "server" | "holdout") =>
      rankOffersForMember(rt, {
        creatorSlug: shop.creator.slug,
        memberId,
        now: rt.clock.now(),
        models: store,
        weights: only(arm),
      });
    const claim = (memberId: string) =>
      claimDrop(rt, { userId: memberId }, { dropId: shop.drops[0]!.dropId, quantity: 1, idempotencyKey: randomUUID() });
    const [a, b, z, c, d] = await Promise.all(Array.from({ length: 5 }, () => createUser(rt)));
    const start = rt.clock.now();

    // Version 1: a (device) converts, b (holdout) does not; z is first shown on day 3.
    await show(a!.id, "device");
    await show(b!.id, "holdout");
    rt.clock.advance(DAY);
    await claim(a!.id);
    rt.clock.advance(2 * DAY);
    await show(z!.id, "server");
    rt.clock.advance(DAY);
    await claim(z!.id); // day 4: inside z's window, but z's window runs past the switch on day 9
    rt.clock.advance(5 * DAY);
    const switchedAt = rt.clock.now();
    await setArmWeights(rt, shop.adminCtx, { device: 30, server: 60, holdout: 10 });

    // Version 2 (day 9): c (server) converts; d (holdout) and a (shown again, now holdout) do not.
    await show(c!.id, "server");
    await show(d!.id, "holdout");
    await show(a!.id, "holdout");
    rt.clock.advance(DAY);
    await claim(c!.id);
    rt.clock.advance(7 * DAY); // day 17

    const current = await getOfferUplift(rt, shop.creatorCtx);
    expect(current.experiment).toMatchObject({
      version: 2,
      current: true,
      measurable: true,
      weights: { device: 30, server: 60, holdout: 10 },
    });
    expect(current.arms.map((x) => [x.arm, x.members, x.converted])).toEqual([
      ["device", 0, 0],
      ["server", 1, 1],
      ["holdout", 2, 0],
    ]);
    expect([current.pending, current.cutOff]).toEqual([0, 0]);
    expect(current.versions.map((v) => [v.version, v.current])).toEqual([
      [2, true],
      [1, false],
    ]);

    const first = await getOfferUplift(rt, shop.creatorCtx, { version: 1 });
    expect(first.experiment).toMatchObject({ version: 1, current: false, startedAt: start, endedAt: switchedAt });
    // a and b count; z's window ran into version 2, so z is cut off (not pending, not counted).
    expect(first.arms.map((x) => [x.arm, x.members, x.converted])).toEqual([
      ["device", 1, 1],
      ["server", 0, 0],
      ["holdout", 1, 0],
    ]);
    expect([first.pending, first.cutOff]).toEqual([0, 1]);
    expect(first.served.reduce((n, s) => n + s.exposures, 0)).toBe(3);
    expect(current.served.reduce((n, s) => n + s.exposures, 0)).toBe(3);
    await store.close();
  });
});
