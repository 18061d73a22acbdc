import type { Browser, Page } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNodeScorer,
  deviceFeatures,
  exportLogisticToOnnx,
  FEATURE_COUNT,
  featureMatrix,
  rankByScore,
  SERVER_FEATURE_COUNT,
  type DeviceView,
} from "@kiln/personalization";
import type { ScorableOffer } from "@kiln/personalization/browser";
import { launchChromium, startScoringHarness, type ScorerGlobal, type ScoringHarness } from "./browser-harness";

/**
 * Issue 9 acceptance, parity: for many members and offers, Chromium (onnxruntime-web's wasm build,
 * through the storefront's own browser.ts) and the server (onnxruntime-node, P3's scorer) give the
 * same scores within 1e-5 for the same feature vectors, and the same order (rankByScore) per member.
 * Everything is generated from a fixed seed: a failure reproduces.
 */

/** mulberry32: a small seeded PRNG, so every run sees the same members, offers and weights. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TAGS = ["pastel", "botanical", "minimal", "retro", "bold", "linen", "ceramic", "mono", "neon", "earth"];
const MEMBERS = 60;
const OFFERS_PER_MEMBER = 14;

interface Member {
  id: string;
  offers: ScorableOffer[];
  history: DeviceView[] | null;
}

function generate(seed: number): { weights: number[]; bias: number; members: Member[] } {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const tagsOf = () => [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(TAGS)))];
  const products = Array.from({ length: 40 }, (_, i) => ({
    productId: `p-${String(i).padStart(2, "0")}`,
    tags: tagsOf(),
  }));
  // Large weights on the device features: a disagreement there would move scores and orders.
  const weights = Array.from(
    { length: FEATURE_COUNT },
    (_, i) => (random() * 6 - 3) * (i >= SERVER_FEATURE_COUNT ? 2 : 1),
  );
  const bias = random() * 2 - 1;
  const serverRow = () =>
    Array.from({ length: SERVER_FEATURE_COUNT }, (_, i) =>
      // Binary features stay binary, the rest are continuous in [0, 1] (with exact 0s and 1s sometimes).
      [1, 4, 6, 9, 10].includes(i) ? (random() < 0.3 ? 1 : 0) : random() < 0.1 ? pick([0, 1]) : random(),
    );
  const members = Array.from({ length: MEMBERS }, (_, m): Member => {
    const offers: ScorableOffer[] = Array.from({ length: OFFERS_PER_MEMBER }, (_, o) => {
      const product = pick(products);
      return {
        offerId: `o-${m}-${String(o).padStart(2, "0")}`,
        productId: product.productId,
        tags: product.tags,
        serverFeatures: serverRow(),
      };
    });
    // Ties: two offers with the same product and features must be ordered by offer id on both sides.
    const twin = offers[3]!;
    offers.push({ ...twin, offerId: `o-${m}-00-twin`, serverFeatures: [...twin.serverFeatures] });
    const history =
      m % 10 === 0
        ? null // no storage: the documented defaults
        : Array.from({ length: Math.floor(random() * 40) }, () => {
            const product = pick(products);
            return { productId: product.productId, tags: product.tags, dwellMs: Math.floor(random() * 240_000) };
          });
    return { id: `member-${m}`, offers, history };
  });
  return { weights, bias, members };
}

const { weights, bias, members } = generate(20261130);
let browser: Browser;
let harness: ScoringHarness;
let page: Page;
let modelBytes: Uint8Array;
let modelUrl: string;

beforeAll(async () => {
  modelBytes = exportLogisticToOnnx({ weights, bias }, { version: "parity-seed-20261130" });
  harness = await startScoringHarness();
  modelUrl = harness.addModel("parity-seed-20261130", modelBytes);
  browser = await launchChromium();
  page = await harness.openPage(browser);
});
afterAll(async () => {
  await browser?.close();
  await harness?.close();
});

interface BrowserResult {
  servedArm: string;
  order: string[];
  scores: number[];
  detail?: string;
}

describe("on-device vs server scoring (issue 9 parity)", () => {
  it(`agrees within 1e-5 and in order for ${MEMBERS} members × ${OFFERS_PER_MEMBER + 1} offers`, async () => {
    const fromBrowser = await page.evaluate(
      async ({ members, modelUrl }) => {
        const scorer = (globalThis as unknown as ScorerGlobal).kilnScorer;
        const results = [];
        for (const member of members) {
          // The first call compiles the runtime: give it time; the parity question is about numbers.
          const ranking = await scorer.scoreOffers(member.offers, member.history, { modelUrl, budgetMs: 60_000 });
          results.push({
            servedArm: ranking.servedArm,
            order: ranking.offers.map((o) => o.offerId),
            scores: ranking.servedArm === "device" ? ranking.scores : [],
            detail: ranking.servedArm === "server" ? `${ranking.fallbackReason}: ${ranking.detail}` : undefined,
          });
        }
        return results;
      },
      { members, modelUrl },
    );

    const server = await createNodeScorer(modelBytes, "parity-seed-20261130");
    let vectors = 0;
    let maxDelta = 0;
    try {
      expect(fromBrowser).toHaveLength(members.length);
      for (const [i, member] of members.entries()) {
        const browserResult: BrowserResult = fromBrowser[i]!;
        expect(browserResult.servedArm, browserResult.detail).toBe("device");
        const matrix = featureMatrix(
          member.offers.map((offer) => ({
            server: offer.serverFeatures,
            device: deviceFeatures(member.history, offer),
          })),
        );
        const serverScores = await server.score(matrix);
        expect(browserResult.scores).toHaveLength(member.offers.length);
        for (const [j, score] of serverScores.entries()) {
          const delta = Math.abs(score - browserResult.scores[j]!);
          maxDelta = Math.max(maxDelta, delta);
          expect(delta, `${member.id} ${member.offers[j]!.offerId}`).toBeLessThanOrEqual(1e-5);
          vectors++;
        }
        expect(browserResult.order, member.id).toEqual(rankByScore(member.offers, serverScores).map((o) => o.offerId));
        // The twins tie on both sides and come in offer-id order.
        const twins = browserResult.order.filter((id) => id === `o-${i}-03` || id === `o-${i}-00-twin`);
        expect(twins).toEqual([`o-${i}-00-twin`, `o-${i}-03`]);
      }
    } finally {
      await server.release();
    }
    expect(vectors).toBeGreaterThanOrEqual(500);
    // The scores are not all alike (a constant model would agree trivially).
    const spread = fromBrowser.flatMap((r) => r.scores);
    expect(Math.max(...spread) - Math.min(...spread)).toBeGreaterThan(0.5);
    expect(maxDelta).toBeLessThanOrEqual(1e-5);
  });

  it("the device features matter: the same offers rank differently with and without the history", async () => {
    const member = members.find((m) => m.history && m.history.length > 10)!;
    const [withHistory, withoutHistory] = await page.evaluate(
      async ({ member, modelUrl }) => {
        const scorer = (globalThis as unknown as ScorerGlobal).kilnScorer;
        const a = await scorer.scoreOnDevice(member.offers, member.history, { modelUrl });
        const b = await scorer.scoreOnDevice(member.offers, null, { modelUrl });
        return [a, b];
      },
      { member, modelUrl },
    );
    expect(withHistory).not.toEqual(withoutHistory);
  });

  it("a runtime that cannot load falls back to the server order as a runtime error", async () => {
    const fresh = await harness.openPage(browser);
    try {
      const member = members[2]!;
      const outcome = await fresh.evaluate(
        async ({ member, modelUrl }) => {
          const scorer = (globalThis as unknown as ScorerGlobal).kilnScorer;
          const r = await scorer.scoreOffers(member.offers, member.history, {
            modelUrl,
            runtimeBaseUrl: "/ort/not-there/",
            budgetMs: 10_000,
          });
          return {
            servedArm: r.servedArm,
            reason: r.servedArm === "server" ? r.fallbackReason : null,
            order: r.offers.map((o) => o.offerId),
          };
        },
        { member, modelUrl },
      );
      expect(outcome).toEqual({
        servedArm: "server",
        reason: "runtime-error",
        order: member.offers.map((o) => o.offerId),
      });
    } finally {
      await fresh.context().close();
    }
  });

  it("a missing or corrupt model falls back to the server order with the reason", async () => {
    const corruptUrl = harness.addModel("corrupt", new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const member = members[1]!;
    const outcomes = await page.evaluate(
      async ({ member, urls }) => {
        const scorer = (globalThis as unknown as ScorerGlobal).kilnScorer;
        const results = [];
        for (const modelUrl of urls) {
          const r = await scorer.scoreOffers(member.offers, member.history, { modelUrl, budgetMs: 10_000 });
          results.push({
            servedArm: r.servedArm,
            reason: r.servedArm === "server" ? r.fallbackReason : null,
            order: r.offers.map((o) => o.offerId),
          });
        }
        return results;
      },
      { member, urls: ["/models/offer-ranker/missing.onnx", corruptUrl] },
    );
    for (const outcome of outcomes) {
      expect(outcome).toEqual({
        servedArm: "server",
        reason: "model-error",
        order: member.offers.map((o) => o.offerId),
      });
    }
  });
});
