import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { isAppError } from "@kiln/core";
import { schema, withSystem } from "@kiln/db";
import { claimDrop } from "@kiln/drops";
import {
  DEVICE_DEFAULTS,
  FEATURE_COUNT,
  ModelStore,
  rankByScore,
  rankOffersForMember,
  registryModelSource,
  reportServedArm,
  type OfferPayload,
} from "@kiln/personalization";
import { createUser } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";
import { activateSeededModel, createOffersShop } from "./offers-world";

const rt = await getTestRuntime("2026-12-08T10:00:00Z");
const ONLY = {
  server: { device: 0, server: 1, holdout: 0 },
  device: { device: 1, server: 0, holdout: 0 },
  holdout: { device: 0, server: 0, holdout: 1 },
} as const;

const stores: ModelStore[] = [];
function newStore() {
  const errors: string[] = [];
  const store = new ModelStore({ source: registryModelSource, logError: (m) => errors.push(m) });
  stores.push(store);
  return { store, errors };
}
afterAll(async () => {
  for (const store of stores) await store.close();
});

async function exposureRows(exposureId: string) {
  return withSystem(rt, "test-read", async (tx) => {
    const [exposure] = await tx.select().from(schema.offerExposures).where(eq(schema.offerExposures.id, exposureId));
    const items = await tx
      .select()
      .from(schema.offerExposureItems)
      .where(eq(schema.offerExposureItems.exposureId, exposureId))
      .orderBy(schema.offerExposureItems.position);
    return { exposure: exposure!, items };
  });
}

/** What the storefront would show without personalisation, computed from the fixture. */
function expectedFallback(shop: Awaited<ReturnType<typeof createOffersShop>>) {
  const now = rt.clock.now().getTime();
  return [...shop.drops]
    .sort((a, b) => {
      const openA = a.opensAt.getTime() <= now ? 0 : 1;
      const openB = b.opensAt.getTime() <= now ? 0 : 1;
      return openA - openB || a.opensAt.getTime() - b.opensAt.getTime();
    })
    .map((d) => d.dropId);
}

function referenceOrder(payload: OfferPayload, model: { weights: readonly number[]; bias: number }) {
  const scores = payload.offers.map((o) => {
    const row = Float32Array.from([...o.serverFeatures, ...DEVICE_DEFAULTS]);
    let z = Math.fround(model.bias);
    for (let j = 0; j < FEATURE_COUNT; j++) z += Math.fround(model.weights[j]!) * row[j]!;
    return 1 / (1 + Math.exp(-z));
  });
  return rankByScore(payload.offers, scores).map((o) => o.offerId);
}

describe("rankOffersForMember", () => {
  it("a visitor gets the non-personalised order and no exposure is recorded", async () => {
    const shop = await createOffersShop(rt, { offers: 6 });
    await activateSeededModel(rt, shop, 101);
    const { store } = newStore();
    const payload = await rankOffersForMember(rt, {
      creatorSlug: shop.creator.slug,
      memberId: null,
      now: rt.clock.now(),
      models: store,
    });
    expect(payload).toMatchObject({ exposureId: null, assignedArm: null, servedArm: null, modelUrl: null });
    expect(payload.offers.map((o) => o.offerId)).toEqual(expectedFallback(shop));
    expect(payload.offers[0]).toMatchObject({
      href: `/s/${shop.creator.slug}/drops/${payload.offers[0]!.dropId}`,
      currency: "EUR",
    });
    const [count] = await withSystem(rt, "test-read", (tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from offer_exposures where creator_id = ${shop.creator.id}`,
      ),
    );
    expect(count!.n).toBe(0);
  });

  it("server arm: ranks by the model in one run() and records the exposure with its arms, version and features", async () => {
    const shop = await createOffersShop(rt, { offers: 8 });
    const model = await activateSeededModel(rt, shop, 202);
    const member = await createUser(rt);
    await claimDrop(
      rt,
      { userId: member.id },
      { dropId: shop.drops[0]!.dropId, quantity: 1, idempotencyKey: randomUUID() },
    );
    rt.clock.advance(60_000); // histories count what happened before the list is shown
    const { store } = newStore();
    const found = await store.scorerFor(rt, shop.coop.id);
    if (!found.ok) throw new Error("model did not load");
    const run = vi.spyOn(found.scorer.session, "run");

    const payload = await rankOffersForMember(rt, {
      creatorSlug: shop.creator.slug,
      memberId: member.id,
      now: rt.clock.now(),
      models: store,
      weights: ONLY.server,
    });
    expect(run).toHaveBeenCalledTimes(1);
    expect(payload).toMatchObject({
      assignedArm: "server",
      servedArm: "server",
      modelVersion: model.version,
      modelUrl: null,
    });
    expect(payload.offers).toHaveLength(8);
    expect(payload.offers.map((o) => o.offerId)).toEqual(referenceOrder(payload, model.model));
    // The member's claim shows in their features (bought this very product before).
    const claimed = payload.offers.find((o) => o.dropId === shop.drops[0]!.dropId)!;
    expect(claimed.serverFeatures[1]).toBe(1);

    const { exposure, items } = await exposureRows(payload.exposureId!);
    expect(exposure).toMatchObject({
      memberUserId: member.id,
      creatorId: shop.creator.id,
      assignedArm: "server",
      servedArm: "server",
      modelVersion: model.version,
      fallbackReason: null,
    });
    expect(items.map((i) => i.dropId)).toEqual(payload.offers.map((o) => o.offerId));
    items.forEach((item, i) =>
      item.serverFeatures.forEach((v, j) => expect(v).toBeCloseTo(payload.offers[i]!.serverFeatures[j]!, 6)),
    );
  });

  it("one transaction when the model is at hand (reads, one run, exposure); with the registry to read first, still an exposure", async () => {
    const shop = await createOffersShop(rt, { offers: 6 });
    const model = await activateSeededModel(rt, shop, 404);
    const member = await createUser(rt);
    const store = new ModelStore({ source: registryModelSource, recheckMs: 600_000 });
    stores.push(store);
    const ask = () =>
      rankOffersForMember(rt, {
        creatorSlug: shop.creator.slug,
        memberId: member.id,
        now: rt.clock.now(),
        models: store,
        weights: ONLY.server,
      });
    const transactions = vi.spyOn(rt.database.db, "transaction");
    try {
      // A store that has not read the co-op's active version: the read commits, the store reads the
      // registry in its own transactions, and the exposure is written in another.
      const cold = await ask();
      expect(transactions.mock.calls.length).toBeGreaterThanOrEqual(3);
      transactions.mockClear();
      const warm = await ask();
      expect(transactions).toHaveBeenCalledTimes(1);
      for (const payload of [cold, warm]) {
        expect(payload).toMatchObject({ assignedArm: "server", servedArm: "server", modelVersion: model.version });
        expect(payload.offers.map((o) => o.offerId)).toEqual(referenceOrder(payload, model.model));
        const { exposure, items } = await exposureRows(payload.exposureId!);
        expect(exposure).toMatchObject({ servedArm: "server", modelVersion: model.version });
        expect(items.map((i) => i.dropId)).toEqual(payload.offers.map((o) => o.offerId));
      }
      expect(warm.exposureId).not.toBe(cold.exposureId);
    } finally {
      transactions.mockRestore();
    }
  });

  it("device arm: the server's order plus the model URL; served stays 'server' until the browser reports 'device'", async () => {
    const shop = await createOffersShop(rt, { offers: 5 });
    const model = await activateSeededModel(rt, shop, 303);
    const member = await createUser(rt);
    const other = await createUser(rt);
    const { store } = newStore();
    const payload = await rankOffersForMember(rt, {
      creatorSlug: shop.creator.slug,
      memberId: member.id,
      now: rt.clock.now(),
      models: store,
      weights: ONLY.device,
    });
    expect(payload).toMatchObject({ assignedArm: "device", servedArm: "server", modelVersion: model.version });
    expect(payload.modelUrl).toBe(`/models/offer-ranker/${model.version}.onnx?sha256=${model.sha256}`);
    expect(payload.offers.map((o) => o.offerId)).toEqual(referenceOrder(payload, model.model));
    expect((await exposureRows(payload.exposureId!)).exposure.servedArm).toBe("server");

    // Another member cannot report on it.
    const foreign = await reportServedArm(rt, {
      exposureId: payload.exposureId!,
      memberId: other.id,
      servedArm: "device",
    }).catch((e: unknown) => e);
    expect(isAppError(foreign) && foreign.code).toBe("NOT_FOUND");
    await reportServedArm(rt, { exposureId: payload.exposureId!, memberId: member.id, servedArm: "device" });
    expect((await exposureRows(payload.exposureId!)).exposure).toMatchObject({
      assignedArm: "device",
      servedArm: "device",
    });
    await reportServedArm(rt, {
      exposureId: payload.exposureId!,
      memberId: member.id,
      servedArm: "server",
      fallbackReason: "time-budget",
    });
    expect((await exposureRows(payload.exposureId!)).exposure).toMatchObject({
      servedArm: "server",
      fallbackReason: "time-budget",
    });
  });

  it("holdout arm: the non-personalised order, no model, recorded as holdout", async () => {
    const shop = await createOffersShop(rt, { offers: 5 });
    await activateSeededModel(rt, shop, 404);
    const member = await createUser(rt);
    const { store } = newStore();
    const payload = await rankOffersForMember(rt, {
      creatorSlug: shop.creator.slug,
      memberId: member.id,
      now: rt.clock.now(),
      models: store,
      weights: ONLY.holdout,
    });
    expect(payload).toMatchObject({ assignedArm: "holdout", servedArm: "holdout", modelVersion: null, modelUrl: null });
    expect(payload.offers.map((o) => o.offerId)).toEqual(expectedFallback(shop));
    expect((await exposureRows(payload.exposureId!)).exposure).toMatchObject({
      assignedArm: "holdout",
      servedArm: "holdout",
    });
  });

  it("a corrupt or missing model: a logged error naming co-op and version, the fallback order, never a throw", async () => {
    const shop = await createOffersShop(rt, { offers: 4 });
    const member = await createUser(rt);
    const input = { creatorSlug: shop.creator.slug, memberId: member.id, weights: ONLY.server };

    // No model at all.
    const none = newStore();
    const withoutModel = await rankOffersForMember(rt, { ...input, now: rt.clock.now(), models: none.store });
    expect(withoutModel).toMatchObject({ assignedArm: "server", servedArm: "holdout", serverFallback: "no-model" });
    expect(withoutModel.offers.map((o) => o.offerId)).toEqual(expectedFallback(shop));
    expect((await exposureRows(withoutModel.exposureId!)).exposure).toMatchObject({
      assignedArm: "server",
      servedArm: "holdout",
      fallbackReason: "no-model",
    });

    // The stored bytes corrupted after activation (the hash no longer matches).
    const model = await activateSeededModel(rt, shop, 505);
    await withSystem(rt, "test-fixture", (tx) =>
      tx.execute(
        sql`update offer_models set onnx = ${Buffer.from("not a model at all")} where coop_id = ${shop.coop.id} and version = ${model.version}`,
      ),
    );
    const corrupt = newStore();
    const preload = await corrupt.store.preload(rt);
    expect(preload.failed.map((r) => r.version)).toContain(model.version);
    const logged = corrupt.errors.find((e) => e.includes(shop.coop.id));
    expect(logged).toContain(`model version ${model.version}`);
    const served = await rankOffersForMember(rt, { ...input, now: rt.clock.now(), models: corrupt.store });
    expect(served).toMatchObject({ servedArm: "holdout", serverFallback: "model-error", modelUrl: null });
    expect(served.offers.map((o) => o.offerId)).toEqual(expectedFallback(shop));
  });

  it("picks up a newly activated version", async () => {
    const shop = await createOffersShop(rt, { offers: 6 });
    const first = await activateSeededModel(rt, shop, 606);
    const member = await createUser(rt);
    const { store } = newStore();
    const input = { creatorSlug: shop.creator.slug, memberId: member.id, weights: ONLY.server, models: store };
    expect((await rankOffersForMember(rt, { ...input, now: rt.clock.now() })).modelVersion).toBe(first.version);
    const second = await activateSeededModel(rt, shop, 707);
    store.invalidate(shop.coop.id); // what the recheck interval does on its own after a few seconds
    const after = await rankOffersForMember(rt, { ...input, now: rt.clock.now() });
    expect(after.modelVersion).toBe(second.version);
    expect(after.offers.map((o) => o.offerId)).toEqual(referenceOrder(after, second.model));
  });

  it("an unknown storefront is NOT_FOUND", async () => {
    const error = await rankOffersForMember(rt, {
      creatorSlug: "no-such-creator-x",
      memberId: null,
      now: rt.clock.now(),
    }).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe("NOT_FOUND");
  });
});
