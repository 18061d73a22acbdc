import { createHash } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { Runtime } from "@kiln/db";
import {
  createNodeScorer,
  DEVICE_DEFAULTS,
  emptyHistory,
  exportLogisticToOnnx,
  FEATURE_COUNT,
  ModelStore,
  rankWithScorer,
  SERVER_FEATURE_COUNT,
  serverFeatureRows,
  serverFeatures,
  SESSION_OPTIONS,
  type ActiveModelRef,
  type ModelSource,
  type OfferAttributes,
} from "@kiln/personalization";
import { seededModel } from "./offers-world";

/** The TS reference: sigmoid(features · weights + bias), over the float32 values the model holds. */
function reference(model: { weights: readonly number[]; bias: number }, row: Float32Array): number {
  let z = Math.fround(model.bias);
  for (let j = 0; j < FEATURE_COUNT; j++) z += Math.fround(model.weights[j]!) * row[j]!;
  return 1 / (1 + Math.exp(-z));
}

function randomMatrix(rows: number, seed: number): Float32Array {
  let x = seed;
  const out = new Float32Array(rows * FEATURE_COUNT);
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    // Mostly 0..1 like the spec's features, with some 0/1 flags.
    out[i] = i % 5 === 0 ? x % 2 : x / 2 ** 31;
  }
  return out;
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const rt = {} as Runtime; // the in-memory sources below never touch the database

describe("server scorer (onnxruntime-node)", () => {
  it("agrees with the TS reference within 1e-6 for many models and rows", async () => {
    let maxDelta = 0;
    for (let m = 1; m <= 12; m++) {
      const model = seededModel(m * 7919);
      const scorer = await createNodeScorer(exportLogisticToOnnx(model, { version: `parity-${m}` }), `parity-${m}`);
      const matrix = randomMatrix(50, m);
      const scores = await scorer.score(matrix);
      expect(scores).toHaveLength(50);
      for (let i = 0; i < 50; i++) {
        const expected = reference(model, matrix.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
        maxDelta = Math.max(maxDelta, Math.abs(scores[i]! - expected));
      }
      await scorer.release();
    }
    expect(maxDelta).toBeLessThan(1e-6);
  });

  it("runs on one thread with spinning off, and scores a whole batch in one run()", async () => {
    expect(SESSION_OPTIONS).toMatchObject({
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
    });
    const scorer = await createNodeScorer(exportLogisticToOnnx(seededModel(3), { version: "batch" }), "batch");
    const run = vi.spyOn(scorer.session, "run");
    await scorer.score(randomMatrix(50, 9));
    expect(run).toHaveBeenCalledTimes(1);
    expect(await scorer.score(new Float32Array(0))).toHaveLength(0);
    await expect(scorer.score(new Float32Array(FEATURE_COUNT + 1))).rejects.toThrow(/multiple of 16/);
    await scorer.release();
    await expect(scorer.score(randomMatrix(1, 1))).rejects.toThrow(/released/);
  });

  it("refuses corrupt bytes, an empty file and another feature spec with a clear error", async () => {
    await expect(createNodeScorer(new Uint8Array([8, 1, 18, 3, 1, 2]), "junk")).rejects.toThrow(
      /not an ONNX model|could not load/,
    );
    await expect(createNodeScorer(new Uint8Array(0), "empty")).rejects.toThrow(/empty/);
    const older = exportLogisticToOnnx(seededModel(5), { version: "old", extra: { feature_spec: "offer-features/0" } });
    await expect(createNodeScorer(older, "old")).rejects.toThrow(/offer-features\/0.*offer-features\/1/);
  });
});

/** A registry in memory: `active` per co-op, bytes per version. */
function memorySource(active: Map<string, ActiveModelRef>, bytes: Map<string, Uint8Array>) {
  const reads: string[] = [];
  const source: ModelSource = {
    listActive: async () => [...active.values()],
    activeFor: async (_rt, coopId) => active.get(coopId) ?? null,
    readBytes: async (_rt, ref) => {
      reads.push(ref.version);
      const found = bytes.get(ref.version);
      if (!found) throw new Error(`model ${ref.version} is not in the registry`);
      return found;
    },
  };
  return { source, reads };
}

describe("model store", () => {
  const stores: ModelStore[] = [];
  afterAll(async () => {
    for (const store of stores) await store.close();
  });

  it("preloads one session per co-op; a missing or corrupt model is logged by co-op and version, not thrown", async () => {
    const good = exportLogisticToOnnx(seededModel(11), { version: "v-good" });
    const corrupt = new Uint8Array(good.byteLength).fill(7);
    const active = new Map<string, ActiveModelRef>([
      ["coop-a", { coopId: "coop-a", version: "v-good", sha256: sha(good) }],
      ["coop-b", { coopId: "coop-b", version: "v-corrupt", sha256: sha(corrupt) }],
      ["coop-c", { coopId: "coop-c", version: "v-missing", sha256: "0".repeat(64) }],
      ["coop-d", { coopId: "coop-d", version: "v-tampered", sha256: "f".repeat(64) }],
    ]);
    const { source, reads } = memorySource(
      active,
      new Map([
        ["v-good", good],
        ["v-corrupt", corrupt],
        ["v-tampered", good],
      ]),
    );
    const errors: string[] = [];
    const store = new ModelStore({ source, logError: (m) => errors.push(m) });
    stores.push(store);
    const { loaded, failed } = await store.preload(rt);
    expect(loaded.map((r) => r.coopId)).toEqual(["coop-a"]);
    expect(failed.map((r) => r.coopId).sort()).toEqual(["coop-b", "coop-c", "coop-d"]);
    expect(errors).toHaveLength(3);
    expect(errors.find((e) => e.includes("coop-b"))).toMatch(/co-op coop-b model version v-corrupt cannot be used/);
    expect(errors.find((e) => e.includes("coop-c"))).toMatch(/v-missing.*not in the registry/);
    expect(errors.find((e) => e.includes("coop-d"))).toMatch(/v-tampered.*hash/);
    expect(errors.every((e) => e.includes("non-personalised order"))).toBe(true);

    // Serving: the good co-op gets its scorer, the others a reason; a failure is not retried or re-logged.
    expect((await store.scorerFor(rt, "coop-a")).ok).toBe(true);
    expect(await store.scorerFor(rt, "coop-b")).toMatchObject({ ok: false, reason: "model-error" });
    expect(await store.scorerFor(rt, "coop-b")).toMatchObject({ ok: false, reason: "model-error" });
    expect(await store.scorerFor(rt, "coop-none")).toMatchObject({ ok: false, reason: "no-model" });
    expect(errors).toHaveLength(3);
    expect(reads.filter((v) => v === "v-corrupt")).toHaveLength(1);
  });

  it("loads a newly activated version after the recheck interval, once for concurrent requests", async () => {
    const v1 = exportLogisticToOnnx(seededModel(21), { version: "v1" });
    const v2 = exportLogisticToOnnx(seededModel(22), { version: "v2" });
    const active = new Map<string, ActiveModelRef>([["coop", { coopId: "coop", version: "v1", sha256: sha(v1) }]]);
    const { source, reads } = memorySource(
      active,
      new Map([
        ["v1", v1],
        ["v2", v2],
      ]),
    );
    let clock = 0;
    const store = new ModelStore({ source, recheckMs: 1000, nowMs: () => clock });
    stores.push(store);
    const first = await store.scorerFor(rt, "coop");
    expect(first.ok && first.scorer.version).toBe("v1");

    active.set("coop", { coopId: "coop", version: "v2", sha256: sha(v2) });
    clock = 500; // within the recheck interval: still v1
    const cached = await store.scorerFor(rt, "coop");
    expect(cached.ok && cached.scorer.version).toBe("v1");

    clock = 1500;
    const results = await Promise.all(Array.from({ length: 5 }, () => store.scorerFor(rt, "coop")));
    expect(results.map((r) => r.ok && r.scorer.version)).toEqual(["v2", "v2", "v2", "v2", "v2"]);
    expect(reads).toEqual(["v1", "v2"]);

    // Deactivated: no model.
    active.delete("coop");
    store.invalidate("coop");
    expect(await store.scorerFor(rt, "coop")).toMatchObject({ ok: false, reason: "no-model" });
  });

  it("current() answers without the database only while the version is fresh and the model has settled", async () => {
    const v1 = exportLogisticToOnnx(seededModel(31), { version: "v1" });
    const v2 = exportLogisticToOnnx(seededModel(32), { version: "v2" });
    const active = new Map<string, ActiveModelRef>([["coop", { coopId: "coop", version: "v1", sha256: sha(v1) }]]);
    const { source, reads } = memorySource(
      active,
      new Map([
        ["v1", v1],
        ["v2", v2],
      ]),
    );
    let clock = 0;
    const store = new ModelStore({ source, recheckMs: 1000, nowMs: () => clock });
    stores.push(store);
    expect(store.current("coop")).toBeUndefined(); // never read
    const loading = store.scorerFor(rt, "coop");
    expect(store.current("coop")).toBeUndefined(); // the version read is in flight
    await loading;
    const fresh = store.current("coop");
    expect(fresh?.ok && fresh.scorer.version).toBe("v1");

    active.set("coop", { coopId: "coop", version: "v2", sha256: sha(v2) });
    clock = 999;
    expect(store.current("coop")?.ok).toBe(true); // still trusted: v1
    clock = 1000;
    expect(store.current("coop")).toBeUndefined(); // due for a re-read: only scorerFor may do it
    const next = await store.scorerFor(rt, "coop");
    expect(next.ok && next.scorer.version).toBe("v2");
    const now = store.current("coop");
    expect(now?.ok && now.scorer.version).toBe("v2");
    expect(reads).toEqual(["v1", "v2"]);

    store.invalidate("coop");
    expect(store.current("coop")).toBeUndefined();
    active.delete("coop");
    await store.scorerFor(rt, "coop");
    expect(store.current("coop")).toMatchObject({ ok: false, reason: "no-model" });
    expect(store.current("other")).toBeUndefined();
  });
});

describe("server features and ranking for a whole list", () => {
  it("serverFeatureRows gives exactly serverFeatures of each offer (shared and repeated tags, returns, tiers)", () => {
    let x = 12345;
    const pick = (n: number) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    const tags = ["a", "b", "c", "d", "e", "f"];
    const products = Array.from({ length: 12 }, (_, i) => `p${i}`);
    for (let round = 0; round < 50; round++) {
      const history = emptyHistory();
      const bought = pick(8);
      for (let i = 0; i < bought; i++) {
        history.purchases.push({
          productId: products[pick(products.length)]!,
          creatorId: `c${pick(3)}`,
          // Sometimes a tag twice: a purchase still counts once.
          tags: [tags[pick(6)]!, tags[pick(6)]!, ...(pick(3) === 0 ? [tags[pick(6)]!] : [])],
          returned: pick(4) === 0,
        });
      }
      if (pick(2)) history.waitlistedProductIds.add(products[pick(products.length)]!);
      if (pick(2)) history.tierRankByCreator.set(`c${pick(3)}`, 1 + pick(3));
      const offers: OfferAttributes[] = Array.from({ length: 20 }, (_, i) => ({
        offerId: `o${i}`,
        productId: products[pick(products.length)]!,
        creatorId: `c${pick(3)}`,
        tags: Array.from({ length: pick(4) }, () => tags[pick(6)]!),
        priceMinor: 100 + pick(100_000),
        minorPerMajor: pick(2) ? 100 : 1,
        memberOnly: pick(2) === 0,
        restock: pick(2) === 0,
        quantity: pick(30),
        remaining: pick(30),
        recentClaims: pick(2000),
        maxTierRank: pick(4),
      }));
      expect(serverFeatureRows(history, offers)).toEqual(offers.map((o) => serverFeatures(history, o)));
    }
    expect(serverFeatureRows(emptyHistory(), [])).toEqual([]);
  });

  it("rankWithScorer scores the list in one run and orders it by score, ties by offer id", async () => {
    const model = seededModel(41);
    const scorer = await createNodeScorer(exportLogisticToOnnx(model, { version: "rank" }), "rank");
    try {
      const run = vi.spyOn(scorer.session, "run");
      const matrix = randomMatrix(30, 5);
      const offers = Array.from({ length: 30 }, (_, i) => ({
        // Every third offer repeats the previous one's features: equal scores, ordered by id.
        offerId: `offer-${String(29 - i).padStart(2, "0")}`,
        serverFeatures: Array.from(matrix.subarray(i * FEATURE_COUNT, i * FEATURE_COUNT + SERVER_FEATURE_COUNT)),
      }));
      for (let i = 2; i < offers.length; i += 3) offers[i]!.serverFeatures = [...offers[i - 1]!.serverFeatures];
      const ranked = await rankWithScorer(scorer, offers);
      expect(run).toHaveBeenCalledTimes(1);
      const score = (o: (typeof offers)[number]) =>
        Math.fround(reference(model, new Float32Array([...o.serverFeatures, ...DEVICE_DEFAULTS])));
      const expected = [...offers].sort((a, b) => score(b) - score(a) || (a.offerId < b.offerId ? -1 : 1));
      expect(ranked.map((o) => o.offerId)).toEqual(expected.map((o) => o.offerId));
    } finally {
      await scorer.release();
    }
  });
});
