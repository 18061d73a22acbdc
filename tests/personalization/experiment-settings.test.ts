import { and, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import {
  currentExperiment,
  DEFAULT_ARM_WEIGHTS,
  experimentKey,
  getOfferUplift,
  listExperiments,
  ModelStore,
  rankOffersForMember,
  registryModelSource,
  setArmWeights,
} from "@kiln/personalization";
import { createUser } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";
import { activateSeededModel, createOffersShop } from "./offers-world";

/** Per-co-op arm weights as experiment versions (decision 021). */
const rt = await getTestRuntime("2026-12-08T10:00:00Z");
const store = new ModelStore({ source: registryModelSource, logError: () => {} });
afterAll(() => store.close());

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message }),
  );

const auditOf = (coopId: string) =>
  withSystem(rt, "test", (tx) =>
    tx
      .select({ action: schema.auditLog.action, data: schema.auditLog.data, actor: schema.auditLog.actorUserId })
      .from(schema.auditLog)
      .where(
        and(
          eq(schema.auditLog.coopId, coopId),
          eq(schema.auditLog.action, "personalization.experiment.weights_changed"),
        ),
      ),
  );

const storedRows = (coopId: string) =>
  withSystem(rt, "test", (tx) =>
    tx.execute<{ version: number }>(sql`select version from offer_experiments where coop_id = ${coopId}`),
  ).then((rows) => rows.length);

describe("co-op arm weights", () => {
  it("start at version 1 with the default weights; a change starts version 2 with its own key, audited", async () => {
    const shop = await createOffersShop(rt, { offers: 2 });
    await activateSeededModel(rt, shop, 77);
    const coopId = shop.coop.id;
    const show = (memberId: string) =>
      rankOffersForMember(rt, { creatorSlug: shop.creator.slug, memberId, now: rt.clock.now(), models: store });
    const exposureKeys = (memberId: string) =>
      withSystem(rt, "test", (tx) =>
        tx
          .select({ key: schema.offerExposures.experimentKey, arm: schema.offerExposures.assignedArm })
          .from(schema.offerExposures)
          .where(eq(schema.offerExposures.memberUserId, memberId)),
      );

    const before = await listExperiments(rt, shop.adminCtx);
    expect(before).toEqual([
      expect.objectContaining({
        version: 1,
        weights: DEFAULT_ARM_WEIGHTS,
        current: true,
        stored: false,
        startedAt: null,
      }),
    ]);
    const early = await createUser(rt);
    await show(early.id);
    expect((await exposureKeys(early.id)).map((e) => e.key)).toEqual([experimentKey(coopId, 1)]);
    const firstShown = rt.clock.now();
    rt.clock.advance(3_600_000);

    // Bad input, the same weights, or someone who is not the co-op's admin: refused, nothing changes.
    expect(await errorOf(setArmWeights(rt, shop.adminCtx, { device: 50, server: 45, holdout: 10 }))).toEqual({
      code: "BAD_INPUT",
      message: "The three arms must add up to 100 % (they add up to 105 %)",
    });
    const noHoldout = await errorOf(setArmWeights(rt, shop.adminCtx, { device: 50, server: 50, holdout: 0 }));
    expect(noHoldout?.code).toBe("BAD_INPUT");
    expect(noHoldout?.message).toMatch(/uplift cannot be measured/);
    expect(await errorOf(setArmWeights(rt, shop.adminCtx, { device: 45, server: 45, holdout: 10 }))).toEqual({
      code: "CONFLICT",
      message: "Version 1 already runs with these weights: nothing was changed",
    });
    expect(await errorOf(setArmWeights(rt, shop.creatorCtx, { device: 0, server: 90, holdout: 10 }))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await storedRows(coopId)).toBe(0);
    expect(await auditOf(coopId)).toEqual([]);

    // The admin sends every member to the server arm with no holdout (confirmed).
    const changed = await setArmWeights(rt, shop.adminCtx, { device: 0, server: 100, holdout: 0, noHoldout: true });
    expect(changed).toEqual({ version: 2, previousVersion: 1, weights: { device: 0, server: 100, holdout: 0 } });
    const after = await listExperiments(rt, shop.adminCtx);
    expect(after.map((e) => [e.version, e.current, e.stored, e.weights])).toEqual([
      [2, true, true, { device: 0, server: 100, holdout: 0 }],
      [1, false, true, DEFAULT_ARM_WEIGHTS],
    ]);
    expect(after[1]!.startedAt).toEqual(firstShown); // version 1 began with its first exposure
    expect(after[1]!.endedAt).toEqual(rt.clock.now());
    expect(after[0]!.startedAt).toEqual(rt.clock.now());
    expect(await auditOf(coopId)).toEqual([
      {
        action: "personalization.experiment.weights_changed",
        actor: shop.admin.id,
        data: {
          version: 2,
          previousVersion: 1,
          weights: { device: 0, server: 100, holdout: 0 },
          previous: DEFAULT_ARM_WEIGHTS,
        },
      },
    ]);
    // The co-op's creator team reads the versions; another co-op's admin sees only its own.
    const other = await createOffersShop(rt, { offers: 1 });
    expect((await listExperiments(rt, shop.creatorCtx)).map((e) => e.version)).toEqual([2, 1]);
    expect((await listExperiments(rt, other.adminCtx)).map((e) => [e.version, e.stored])).toEqual([[1, false]]);
    expect((await withSystem(rt, "test", (tx) => currentExperiment(tx, coopId))).key).toBe(experimentKey(coopId, 2));

    // Serving follows the new version: its key, its weights (everyone on the server arm).
    const members = await Promise.all(Array.from({ length: 6 }, () => createUser(rt)));
    for (const m of members) await show(m.id);
    await show(early.id);
    for (const m of members)
      expect(await exposureKeys(m.id)).toEqual([{ key: experimentKey(coopId, 2), arm: "server" }]);
    expect((await exposureKeys(early.id)).map((e) => e.key).sort()).toEqual(
      [experimentKey(coopId, 1), experimentKey(coopId, 2)].sort(),
    );

    // The creator's report defaults to the current version and says uplift cannot be measured.
    const report = await getOfferUplift(rt, shop.creatorCtx);
    expect(report.experiment).toMatchObject({ version: 2, current: true, measurable: false });
    expect(report.experimentKey).toBe(experimentKey(coopId, 2));
    expect(report.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(await errorOf(getOfferUplift(rt, shop.creatorCtx, { version: 9 }))).toEqual({
      code: "NOT_FOUND",
      message: "No experiment version 9",
    });

    // A third version stores no second copy of version 1.
    rt.clock.advance(60_000);
    expect((await setArmWeights(rt, shop.adminCtx, { device: 40, server: 40, holdout: 20 })).version).toBe(3);
    expect((await listExperiments(rt, shop.adminCtx)).map((e) => [e.version, e.current])).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
    expect(await auditOf(coopId)).toHaveLength(2);
  });

  it("the database refuses weights that break the rules even from the system context", async () => {
    const shop = await createOffersShop(rt, { offers: 1 });
    const insert = (device: number, server: number, holdout: number) =>
      withSystem(rt, "test", (tx) =>
        tx.execute(sql`insert into offer_experiments (coop_id, version, device_weight, server_weight, holdout_weight, started_at)
          values (${shop.coop.id}, 5, ${device}, ${server}, ${holdout}, ${rt.clock.now().toISOString()})`),
      ).then(
        () => "stored",
        () => "refused",
      );
    expect(await insert(50, 45, 10)).toBe("refused");
    expect(await insert(0, 0, 100)).toBe("refused");
    expect(await insert(-5, 95, 10)).toBe("refused");
    expect(await storedRows(shop.coop.id)).toBe(0);
  });
});
