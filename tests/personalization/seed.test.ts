import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withSystem } from "@kiln/db";
import {
  FEATURE_NAMES,
  loadMemberHistories,
  loadOfferAttributes,
  loadTrainingExamples,
  SERVER_FEATURES,
  serverFeatures,
  type TrainingExample,
} from "@kiln/personalization";
import {
  createCoopWithPeople,
  createCreator,
  seedPersonalizationHistory,
  type PersonalizationSeedResult,
} from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { getTestRuntime } from "../setup/runtime";

/**
 * The taste-panel seed (issue 9 §4): its stored features are what the history loader reads back as of
 * each list's moment (one meaning of every feature for serving, seeding and training), and its claims
 * follow the hidden tastes, so the features carry a signal popularity does not.
 */
const NOW = new Date("2026-11-30T09:00:00Z");
const rt = await getTestRuntime(NOW);

let coopId: string;
let result: PersonalizationSeedResult;
let examples: TrainingExample[];
beforeAll(async () => {
  const p = await createCoopWithPeople(rt);
  const second = await createCreator(rt, { coopId: p.coop.id });
  coopId = p.coop.id;
  const started = performance.now();
  result = await withSystem(rt, "seed", (tx) =>
    seedPersonalizationHistory(tx, {
      coopId,
      creatorIds: [second.id, p.creator.id],
      factoryId: p.factory.id,
      membership: { creatorId: p.creator.id, ownerUserId: p.owner.id, reviewerUserId: p.reviewer.id, renderOrderPage },
      now: NOW,
      seed: 7,
      emailDomain: `panel-${randomUUID().slice(0, 8)}.test`,
      password: "panel password",
    }),
  );
  console.info(`[seed] personalization history in ${Math.round(performance.now() - started)} ms`, result);
  examples = await loadTrainingExamples(rt, { coopId });
}, 120_000);

describe("personalization seed", () => {
  it("is big enough to train on, with about half the members sharing views", () => {
    expect(result.items).toBeGreaterThan(2000);
    expect(result.claims).toBeGreaterThan(200);
    expect(result.returns).toBeGreaterThan(0);
    expect(result.consentingMembers / result.members).toBeGreaterThan(0.3);
    expect(result.consentingMembers / result.members).toBeLessThan(0.7);
    expect(result.openDrops).toBeGreaterThan(0);
    expect(examples.length).toBeGreaterThan(1500);
    expect(examples.filter((e) => e.label === 1).length).toBeGreaterThan(100);
  });

  it("varies every server-known feature across the training examples (subscribers, tiers, waitlists, member-only drops)", async () => {
    expect(result.subscribers).toBeGreaterThan(5);
    expect(result.subscribers).toBeLessThan(result.members / 2);
    expect(result.memberOnlyDrops).toBeGreaterThan(0);
    expect(result.waitlistJoins).toBeGreaterThan(0);
    const constant = SERVER_FEATURES.filter((name) => {
      const j = FEATURE_NAMES.indexOf(name);
      return new Set(examples.map((e) => e.features[j])).size < 2;
    });
    expect(constant).toEqual([]);
    // Tier rank takes more than "none" and "top": both tiers' subscribers were shown offers.
    const rank = FEATURE_NAMES.indexOf("s_tier_rank");
    expect(new Set(examples.map((e) => e.features[rank])).size).toBeGreaterThanOrEqual(3);
    // Member-only drops were claimed, and only by members subscribed to one of their tiers by then.
    const [gated] = await withSystem(rt, "test", (tx) =>
      tx.execute<{ claims: number; unentitled: number }>(sql`
        select count(*)::int as claims,
          count(*) filter (where not exists (
            select 1 from subscriptions s where s.member_user_id = c.member_user_id
              and s.tier_id = any(d.tier_ids) and s.created_at <= c.created_at))::int as unentitled
        from drop_claims c join drops d on d.id = c.drop_id
        where c.coop_id = ${coopId} and cardinality(d.tier_ids) > 0`),
    );
    expect(gated!.claims).toBeGreaterThan(0);
    expect(gated!.unentitled).toBe(0);
  });

  it("stores the server features the history loader gives as of each list's moment", async () => {
    const lists = await withSystem(rt, "test", (tx) =>
      tx.execute<{ id: string; member_user_id: string; shown_at: Date }>(
        sql`select id, member_user_id, shown_at from offer_exposures where coop_id = ${coopId} order by shown_at, id`,
      ),
    );
    // Every 25th list across the eight weeks (early ones have short histories, late ones long).
    const sample = lists.filter((_, i) => i % 25 === 0);
    expect(sample.length).toBeGreaterThan(20);
    let compared = 0;
    for (const list of sample) {
      const shownAt = new Date(list.shown_at);
      const items = await withSystem(rt, "test", (tx) =>
        tx.execute<{ drop_id: string; server_features: number[] }>(
          sql`select drop_id, server_features from offer_exposure_items where exposure_id = ${list.id} order by position`,
        ),
      );
      const [history, offers] = await withSystem(
        rt,
        "test",
        async (tx) =>
          [
            (await loadMemberHistories(tx, { coopId, memberIds: [list.member_user_id], asOf: shownAt })).get(
              list.member_user_id,
            )!,
            await loadOfferAttributes(tx, { coopId, dropIds: items.map((i) => i.drop_id), asOf: shownAt }),
          ] as const,
      );
      items.forEach((item, i) => {
        const expected = serverFeatures(history, offers[i]!).map(Math.fround);
        expect({ list: list.id, features: item.server_features.map((x) => Math.fround(Number(x))) }).toEqual({
          list: list.id,
          features: expected,
        });
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(50);
  }, 120_000);

  it("claims follow taste: tag affinity of past claims and of viewed products raise the claim rate", () => {
    const rate = (xs: TrainingExample[]) => xs.filter((e) => e.label === 1).length / Math.max(1, xs.length);
    const col = (name: (typeof FEATURE_NAMES)[number]) => FEATURE_NAMES.indexOf(name);
    const affinity = col("s_tag_affinity_purchases");
    const views = col("d_tag_affinity_views");
    const present = col("d_present");
    const high = examples.filter((e) => e.features[affinity]! >= 0.5);
    const low = examples.filter((e) => e.features[affinity]! < 0.2);
    expect(high.length).toBeGreaterThan(200);
    expect(low.length).toBeGreaterThan(200);
    expect(rate(high)).toBeGreaterThan(2 * rate(low));
    const withViews = examples.filter((e) => e.features[present] === 1);
    expect(withViews.length).toBeGreaterThan(300);
    expect(rate(withViews.filter((e) => e.features[views]! >= 0.5))).toBeGreaterThan(
      2 * rate(withViews.filter((e) => e.features[views]! < 0.2)),
    );
  });

  it("is deterministic for a seed: the same history in another co-op", async () => {
    const p = await createCoopWithPeople(rt);
    const second = await createCreator(rt, { coopId: p.coop.id });
    const again = await withSystem(rt, "seed", (tx) =>
      seedPersonalizationHistory(tx, {
        coopId: p.coop.id,
        creatorIds: [second.id, p.creator.id],
        factoryId: p.factory.id,
        membership: {
          creatorId: p.creator.id,
          ownerUserId: p.owner.id,
          reviewerUserId: p.reviewer.id,
          renderOrderPage,
        },
        now: NOW,
        seed: 7,
        emailDomain: `panel-${randomUUID().slice(0, 8)}.test`,
        password: "panel password",
      }),
    );
    expect(again).toEqual(result);
    const labels = (await loadTrainingExamples(rt, { coopId: p.coop.id })).map((e) => [
      e.shownAt.getTime(),
      e.label,
      e.features,
    ]);
    expect(labels).toEqual(examples.map((e) => [e.shownAt.getTime(), e.label, e.features]));
  }, 120_000);
});
