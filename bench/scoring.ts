/**
 * Server scoring (issue 9 §8): the storefront's server path for 50 offers end to end — one
 * `rankOffersForMember` call as the storefront makes it for a server-arm member (storefront and offer
 * attributes, the member's history, server features + DEVICE_DEFAULTS, ONE batched onnxruntime-node
 * run, rankByScore, and the exposure written with its 50 items) on a PostgreSQL server database with
 * seeded members, claims and a trained-shape logistic model — divided by a raw `session.run` of the same
 * 50-row batch on the same session, interleaved in the same run. Goal: ≤ 3.
 *
 * Also measured, to show where the time goes: the in-process part alone (feature matrix + run + rank,
 * no database) and a `select 1` transaction round trip. The browser's side (bytes downloaded to score,
 * first-score time in Chromium) comes from bench/scoring-browser.ts when Chromium is available.
 *
 * Needs a PostgreSQL server (DATABASE_URL, default the local one); a temporary database is created,
 * migrated and dropped.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { Tensor } from "onnxruntime-node";
import { migrateDatabase, openDatabase, systemClock, withSystem, type Runtime } from "@kiln/db";
import {
  DEVICE_DEFAULTS,
  FEATURE_COUNT,
  featureMatrix,
  loadMemberHistories,
  loadOfferAttributes,
  MODEL_INPUT,
  ModelStore,
  rankByScore,
  rankOffersForMember,
  recordExposure,
  registryModelSource,
} from "@kiln/personalization";
import { createUser } from "@kiln/seed";
import { claimDrop } from "../packages/drops/src/index";
import { activateSeededModel, createOffersShop } from "../tests/personalization/offers-world";
import { defineBench, environment, find, measureInterleaved, type Ratio } from "./lib";
import { measureBrowserScoring, type BrowserScoringResult } from "./scoring-browser";

const OFFERS = 50;
const GOAL = 3;
const SERVER_ONLY = { device: 0, server: 1, holdout: 0 } as const;

async function openServerDatabase(serverUrl: string) {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const name = `kiln_bench_scoring_${process.pid}_${Date.now()}`;
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), max: 4 });
  return {
    database,
    drop: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export default defineBench({
  name: "scoring",
  description:
    `Server scoring of ${OFFERS} offers end to end (rankOffersForMember for a server-arm member: offers, attributes and ` +
    "history from PostgreSQL, features, one batched onnxruntime-node run, rank, exposure written) ÷ a raw session.run " +
    `of the same ${OFFERS}-row batch, interleaved in one run; goal ≤ ${GOAL}. Browser bytes and first-score time from ` +
    "bench/scoring-browser.ts (Chromium).",
  async run({ quick, signal }) {
    const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const server = await openServerDatabase(serverUrl);
    const store = new ModelStore({ source: registryModelSource });
    try {
      await migrateDatabase(server.database);
      const rt: Runtime = { database: server.database, clock: systemClock };

      // Seed: a storefront with 50 tagged offers (two thirds open), members with claims, an active model.
      const shop = await createOffersShop(rt, { offers: OFFERS });
      const model = await activateSeededModel(rt, shop, 20261130);
      const open = shop.drops.filter((d) => d.opensAt.getTime() <= Date.now());
      const members: string[] = [];
      for (let m = 0; m < (quick ? 10 : 30); m++) {
        const member = await createUser(rt);
        members.push(member.id);
        for (let k = 0; k < 3; k++) {
          const drop = open[(m * 7 + k * 5) % open.length]!;
          await claimDrop(
            rt,
            { userId: member.id },
            { dropId: drop.dropId, quantity: 1, idempotencyKey: `bench-${m}-${k}` },
          );
        }
      }
      const found = await store.scorerFor(rt, shop.coop.id);
      if (!found.ok) throw new Error(`the bench model did not load (${found.reason})`);
      const session = found.scorer.session;

      // The same 50-row batch the end-to-end call scores, for the raw reference.
      const sample = await rankOffersForMember(rt, {
        creatorSlug: shop.creator.slug,
        memberId: members[0]!,
        now: new Date(),
        models: store,
        weights: SERVER_ONLY,
      });
      if (sample.servedArm !== "server" || sample.offers.length !== OFFERS) {
        throw new Error(`expected ${OFFERS} server-ranked offers, got ${sample.offers.length} (${sample.servedArm})`);
      }
      const rows = sample.offers.map((o) => ({ server: o.serverFeatures, device: DEVICE_DEFAULTS }));
      const matrix = featureMatrix(rows);
      const tensor = new Tensor("float32", matrix, [OFFERS, FEATURE_COUNT]);

      let next = 0;
      const measurements = await measureInterleaved(
        [
          {
            key: "end-to-end",
            label: `rankOffersForMember, ${OFFERS} offers (PostgreSQL server)`,
            op: () =>
              rankOffersForMember(rt, {
                creatorSlug: shop.creator.slug,
                memberId: members[next++ % members.length]!,
                now: new Date(),
                models: store,
                weights: SERVER_ONLY,
              }),
          },
          {
            key: "raw-run",
            label: `raw session.run, ${OFFERS}×${FEATURE_COUNT}`,
            op: () => session.run({ [MODEL_INPUT]: tensor }),
          },
          {
            key: "in-process",
            label: "features matrix + run + rankByScore (no database)",
            op: async () => rankByScore(sample.offers, await found.scorer.score(featureMatrix(rows))),
          },
          {
            key: "attributes",
            label: `  part: loadOfferAttributes of ${OFFERS} drops (own transaction)`,
            op: () =>
              withSystem(rt, "bench", (tx) =>
                loadOfferAttributes(tx, {
                  coopId: shop.coop.id,
                  dropIds: shop.drops.map((d) => d.dropId),
                  asOf: new Date(),
                }),
              ),
          },
          {
            key: "history",
            label: "  part: loadMemberHistories of one member (own transaction)",
            op: () =>
              withSystem(rt, "bench", (tx) =>
                loadMemberHistories(tx, {
                  coopId: shop.coop.id,
                  memberIds: [members[next++ % members.length]!],
                  asOf: new Date(),
                }),
              ),
          },
          {
            key: "exposure",
            label: `  part: recordExposure with ${OFFERS} items (own transaction)`,
            op: () =>
              withSystem(rt, "bench", (tx) =>
                recordExposure(tx, {
                  coopId: shop.coop.id,
                  creatorId: shop.creator.id,
                  memberUserId: members[0]!,
                  experimentKey: "bench",
                  assignedArm: "server",
                  servedArm: "server",
                  modelVersion: model.version,
                  shownAt: new Date(),
                  items: sample.offers.map((o) => ({
                    dropId: o.dropId,
                    productId: o.productId,
                    serverFeatures: o.serverFeatures,
                  })),
                }),
              ),
          },
          {
            key: "select-1",
            label: "withSystem(select 1) round trip",
            op: () => withSystem(rt, "bench", (tx) => tx.execute(sql`select 1`)),
          },
        ],
        {
          warmupOps: quick ? 20 : 100,
          rounds: quick ? 3 : 6,
          roundMs: quick ? 400 : 1_500,
          maxOpsPerRound: 5_000,
          signal,
        },
      );
      const e2e = find(measurements, "end-to-end");
      const raw = find(measurements, "raw-run");
      const inProcess = find(measurements, "in-process");
      const roundTrip = find(measurements, "select-1");
      const ratios: Ratio[] = [
        {
          label: `end-to-end ÷ raw session.run (median; goal ≤ ${GOAL})`,
          value: e2e.medianUs / raw.medianUs,
          meaning: `${e2e.medianUs / raw.medianUs <= GOAL ? "meets" : "misses"} the goal; includes two database transactions`,
        },
        {
          label: "in-process (features + run + rank) ÷ raw session.run (median)",
          value: inProcess.medianUs / raw.medianUs,
          meaning: `the scoring code's own overhead over onnxruntime; ≤ ${GOAL} is the goal without the database`,
        },
        {
          label: "end-to-end ÷ withSystem(select 1) round trip (median)",
          value: e2e.medianUs / roundTrip.medianUs,
          meaning: "how many empty transactions the end-to-end call costs",
        },
      ];
      const part = (key: string) => find(measurements, key).medianUs / roundTrip.medianUs;
      ratios.push({
        label: "parts ÷ select 1 round trip (median): attributes / history / exposure write",
        value: part("attributes") + part("history") + part("exposure"),
        meaning: `attributes ${part("attributes").toFixed(1)}, history ${part("history").toFixed(1)}, exposure ${part("exposure").toFixed(1)} (sum shown): where the end-to-end time goes`,
      });
      const notes = [
        `Model ${model.version} (logistic, ${FEATURE_COUNT} features); ${members.length} members with 3 claims each; every end-to-end call records an exposure with ${OFFERS} items (as the storefront does).`,
        "The end-to-end path is two transactions (read: storefront, offers, attributes, history; write: exposure) of about 12 statements; a raw run of a 50-row logistic model is tens of microseconds, so the database round trips dominate the ratio.",
      ];

      let browser: BrowserScoringResult | null = null;
      try {
        browser = await measureBrowserScoring({ offers: OFFERS });
      } catch (error) {
        notes.push(`Browser numbers not measured: ${(error as Error).message}`);
      }
      if (browser) {
        notes.push(
          `Browser (Chromium, onnxruntime-web ${browser.onnxruntimeWeb} wasm, ${browser.offers} offers): ` +
            `${(browser.transferredBytes / 1024).toFixed(0)} KiB transferred (${(browser.decodedBytes / 1024).toFixed(0)} KiB decoded) to score, ` +
            `first score ${browser.firstScoreMs.toFixed(0)} ms cold, ${browser.warmScoreMs.toFixed(1)} ms warm, ` +
            `${browser.returningFirstScoreMs.toFixed(0)} ms for a returning visitor (${browser.returningTransferredBytes} bytes transferred).`,
          ...browser.files.map(
            (f) => `  ${f.path}: ${f.transferredBytes} bytes transferred, ${f.decodedBytes} decoded`,
          ),
        );
      }
      return {
        environment: {
          ...environment(),
          database: "PostgreSQL server",
          offers: OFFERS,
          ...(browser
            ? {
                browserTransferredBytes: browser.transferredBytes,
                browserDecodedBytes: browser.decodedBytes,
                browserFirstScoreMs: Number(browser.firstScoreMs.toFixed(1)),
                browserWarmScoreMs: Number(browser.warmScoreMs.toFixed(2)),
              }
            : {}),
        },
        measurements,
        ratios,
        notes,
      };
    } finally {
      await store.close();
      await server.drop();
    }
  },
});
