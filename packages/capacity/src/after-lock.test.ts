import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { AppError } from "@kiln/core";
import { withSystem, type TenantContext } from "@kiln/db";
import { getTestRuntime, type TestRuntime } from "../../../tests/setup/runtime";
import { assignRole, createCoopWithPeople, createCreator, createUser } from "../../seed/src/factories";
import { createDrop, createProduct } from "../../drops/src/index";
import {
  createCapacityRequest,
  createFactory,
  getAllocationJob,
  getAllocationRun,
  getLeadTimeReport,
  leadTimeStats,
  listCreatorAllocations,
  listFactoryWork,
  listFlaggedAllocations,
  lockAllocationRun,
  markBatch,
  processAllocationJob,
  runAllocation,
  setCapacitySettings,
  setFactoryActive,
  setWindow,
  startAllocation,
  updateFactory,
} from "./index";

/**
 * A co-op whose seeded factory is F1 (screenprint, 5 days) with 100 units in 2026-W49, and F2
 * (10 days) with 100 units only in 2026-W50; creators A (60, submitted first) and B (30) in W49.
 * Both fit F1, so the locked plan puts both there.
 */
async function lockedPool(rt: TestRuntime) {
  const people = await createCoopWithPeople(rt);
  const admin: TenantContext = { userId: people.admin.id, coopId: people.coop.id, role: "coop_admin" };
  const factory = (name: string, leadTimeDays: number) => ({
    name,
    location: "Leipzig",
    capabilities: "screenprint",
    leadTimeDays,
    costPerUnitCents: 100,
    isBackup: false,
    isActive: true,
  });
  const f1 = await updateFactory(rt, admin, people.factory.id, factory("F1", 5));
  const f2 = await createFactory(rt, admin, factory("F2", 10));
  await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 100 });
  await setWindow(rt, admin, { factoryId: f2.id, capability: "screenprint", period: "2026-W50", units: 100 });
  const a: TenantContext = {
    userId: people.owner.id,
    coopId: people.coop.id,
    creatorId: people.creator.id,
    role: "creator_owner",
  };
  const bCreator = await createCreator(rt, { coopId: people.coop.id, displayName: "B" });
  const bOwner = await createUser(rt);
  await assignRole(rt, { userId: bOwner.id, coopId: people.coop.id, role: "creator_owner", creatorId: bCreator.id });
  const b: TenantContext = { userId: bOwner.id, coopId: people.coop.id, creatorId: bCreator.id, role: "creator_owner" };
  await createCapacityRequest(rt, a, { capability: "screenprint", period: "2026-W49", units: 60 });
  rt.clock.advance(1000);
  await createCapacityRequest(rt, b, { capability: "screenprint", period: "2026-W49", units: 30 });
  const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
  const operator: TenantContext = {
    userId: people.operator.id,
    coopId: people.coop.id,
    role: "factory_operator",
    factoryId: f1.id,
  };
  return { people, admin, f1, f2, a, b, operator, runId };
}

describe("lead-time statistics (pure)", () => {
  it("computes on-time rate, mean, variance, delay and the offshore delta from known batches", () => {
    const base = { factoryName: "F1", creatorId: "c1", creatorName: "A", windowStart: "2026-11-30", promisedDays: 5 };
    const stats = leadTimeStats(
      [
        { ...base, factoryId: "f1", shippedOn: "2026-12-03" }, // 3 days, on time
        { ...base, factoryId: "f1", shippedOn: "2026-12-05" }, // 5 days, on time (on the day)
        { ...base, factoryId: "f1", shippedOn: "2026-12-10" }, // 10 days, late
        { ...base, factoryId: "f2", factoryName: "F2", promisedDays: 10, shippedOn: "2026-12-08" }, // 8, on time
      ],
      42,
      "factory",
    );
    expect(stats).toEqual([
      {
        id: "f1",
        name: "F1",
        shipped: 3,
        onTime: 2,
        onTimeRate: 0.67,
        meanDays: 6,
        varianceDays: 8.67,
        meanPromisedDays: 5,
        meanDelayDays: 1,
        deltaVsOffshoreDays: -36,
      },
      {
        id: "f2",
        name: "F2",
        shipped: 1,
        onTime: 1,
        onTimeRate: 1,
        meanDays: 8,
        varianceDays: 0,
        meanPromisedDays: 10,
        meanDelayDays: -2,
        deltaVsOffshoreDays: -34,
      },
    ]);
    expect(leadTimeStats([], 42, "creator")).toEqual([]);
  });
});

describe("lead-time report", () => {
  it("reports shipped batches per factory and creator against the default, then the co-op's baseline", async () => {
    const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
    const { admin, operator, runId } = await lockedPool(rt);
    await lockAllocationRun(rt, admin, { runId, method: "optimal" });
    const work = (await listFactoryWork(rt, operator)).sort((x, y) => y.units - x.units);
    expect(work.map((w) => w.units)).toEqual([60, 30]);
    rt.clock.set("2026-12-01T09:00:00.000Z");
    for (const w of work) await markBatch(rt, operator, { allocationId: w.allocationId, step: "started" });
    rt.clock.set("2026-12-04T10:00:00.000Z"); // A's batch: 4 days, promised 5 → on time
    await markBatch(rt, operator, { allocationId: work[0]!.allocationId, step: "shipped" });
    rt.clock.set("2026-12-08T10:00:00.000Z"); // B's batch: 8 days → late
    await markBatch(rt, operator, { allocationId: work[1]!.allocationId, step: "shipped" });

    const report = await getLeadTimeReport(rt, admin);
    expect(report).toMatchObject({ offshoreLeadTimeDays: 42, isDefaultBaseline: true });
    expect(report.factories).toEqual([
      expect.objectContaining({ name: "F1", shipped: 2, onTime: 1, onTimeRate: 0.5, meanDays: 6, varianceDays: 4 }),
    ]);
    expect(report.factories[0]).toMatchObject({ meanDelayDays: 1, deltaVsOffshoreDays: -36 });
    expect(report.creators.map((c) => [c.shipped, c.meanDays])).toEqual(
      expect.arrayContaining([
        [1, 4],
        [1, 8],
      ]),
    );
    // Promised vs actual per batch, newest shipment first.
    expect(
      report.batches.map((b) => [b.units, b.promisedShipBy, b.shippedOn, b.promisedDays, b.actualDays, b.lateDays]),
    ).toEqual([
      [30, "2026-12-05", "2026-12-08", 5, 8, 3],
      [60, "2026-12-05", "2026-12-04", 5, 4, -1],
    ]);

    await setCapacitySettings(rt, admin, { offshoreLeadTimeDays: 30 });
    const again = await getLeadTimeReport(rt, admin);
    expect(again).toMatchObject({ offshoreLeadTimeDays: 30, isDefaultBaseline: false });
    expect(again.factories[0]!.deltaVsOffshoreDays).toBe(-24);
    await expect(setCapacitySettings(rt, admin, { offshoreLeadTimeDays: 0 })).rejects.toThrow(/at least 1 day/);
    // Only admins: a creator or another co-op's admin gets NOT_FOUND.
    const other = await createCoopWithPeople(rt);
    await expect(
      getLeadTimeReport(rt, { userId: other.owner.id, coopId: other.coop.id, role: "creator_owner" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("re-planning after capacity changes", () => {
  it("flags batches that no longer fit, with revised ship-by dates, and clears them when capacity returns", async () => {
    const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
    const { admin, f1, f2, a, b, operator, runId } = await lockedPool(rt);
    await lockAllocationRun(rt, admin, { runId, method: "optimal" });
    expect(await listFlaggedAllocations(rt, admin)).toEqual([]);

    // Window cut to 70: A (submitted first, 60) keeps its place; B's 30 no longer fit.
    await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 70 });
    const flagged = await listFlaggedAllocations(rt, admin);
    expect(flagged.map((f) => [f.creatorName, f.units, f.reason, f.shipBy, f.revisedShipBy])).toEqual([
      ["B", 30, "window_reduced", "2026-12-05", "2026-12-17"], // F2 in W50: 2026-12-07 + 10 days
    ]);
    const bSees = await listCreatorAllocations(rt, b);
    expect(bSees[0]!.batches[0]).toMatchObject({ flagReason: "window_reduced", revisedShipBy: "2026-12-17" });
    expect((await listCreatorAllocations(rt, a))[0]!.batches[0]).toMatchObject({ flagReason: null });
    const work = await listFactoryWork(rt, operator);
    expect(work.map((w) => [w.units, w.flagReason, w.revisedShipBy]).sort()).toEqual([
      [30, "window_reduced", "2026-12-17"],
      [60, null, null],
    ]);

    // F1 paused: both batches are flagged; F2's W50 (100) takes A's 60 then B's 30.
    await setFactoryActive(rt, admin, { factoryId: f1.id, isActive: false });
    const paused = await listFlaggedAllocations(rt, admin);
    expect(paused.map((f) => [f.units, f.reason, f.revisedShipBy]).sort()).toEqual([
      [30, "factory_paused", "2026-12-17"],
      [60, "factory_paused", "2026-12-17"],
    ]);
    // Resumed: the window rule applies again (B still does not fit 70).
    await setFactoryActive(rt, admin, { factoryId: f1.id, isActive: true });
    expect((await listFlaggedAllocations(rt, admin)).map((f) => [f.creatorName, f.reason])).toEqual([
      ["B", "window_reduced"],
    ]);
    // Window back to 100: nothing is flagged.
    await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 100 });
    expect(await listFlaggedAllocations(rt, admin)).toEqual([]);
    // Cut to 0: both are flagged.
    await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 0 });
    // F2's W50 (100) takes the larger batch first (60); the 30 still fit (40 left).
    const cut = await listFlaggedAllocations(rt, admin);
    expect(cut.map((f) => [f.units, f.revisedShipBy]).sort()).toEqual([
      [30, "2026-12-17"],
      [60, "2026-12-17"],
    ]);
    await setWindow(rt, admin, { factoryId: f2.id, capability: "screenprint", period: "2026-W50", units: 80 });
    await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 1 });
    const none = await listFlaggedAllocations(rt, admin);
    expect(none.map((f) => [f.units, f.revisedShipBy]).sort()).toEqual([
      [30, null],
      [60, "2026-12-17"],
    ]);
  });
});

describe("email to operators when a run is locked", () => {
  it("queues one email per operator of a factory with batches, in the operator's language", async () => {
    const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
    const { people, admin, f1, runId } = await lockedPool(rt);
    const german = await createUser(rt, { displayName: "Grete" });
    await assignRole(rt, { userId: german.id, coopId: people.coop.id, role: "factory_operator", factoryId: f1.id });
    await withSystem(rt, "test", (tx) => tx.execute(sql`update users set locale = 'de' where id = ${german.id}`));
    const { emailsQueued } = await lockAllocationRun(
      rt,
      admin,
      { runId, method: "fair" },
      { appUrl: "https://kiln.test/" },
    );
    expect(emailsQueued).toBe(2);
    const mails = await withSystem(rt, "test", (tx) =>
      tx.execute<{ to_address: string; subject: string; text_body: string; locale: string; template: string }>(
        sql`select to_address, subject, text_body, locale, template from email_outbox where coop_id = ${people.coop.id} order by locale`,
      ),
    );
    expect(mails.map((m) => [m.to_address, m.locale, m.template])).toEqual([
      [german.email, "de", "capacity-run-locked"],
      [people.operator.email, "en", "capacity-run-locked"],
    ]);
    expect(mails[0]!.subject).toBe("Produktionsplan 2026-W49 für F1: 90 Einheiten");
    expect(mails[1]!.subject).toBe("Production plan 2026-W49 for F1: 90 units");
    expect(mails[1]!.text_body).toContain("Ship by: 2026-12-05");
    expect(mails[1]!.text_body).toContain(`https://kiln.test/factory/${f1.id}`);
  });
});

describe("allocation runs as background jobs", () => {
  it("runs small windows synchronously, queues long ones and records the worker's progress", async () => {
    const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
    const { admin, people } = await lockedPool(rt);
    const sent: string[] = [];
    const send = async (jobId: string) => {
      sent.push(jobId);
    };
    const small = await startAllocation(rt, admin, { period: "2026-W49" }, send);
    expect(small.kind).toBe("run");
    expect(sent).toEqual([]);

    const queued = await startAllocation(rt, admin, { period: "2026-W49", background: true }, send);
    if (queued.kind !== "job") throw new Error("expected a job");
    expect(sent).toEqual([queued.jobId]);
    expect(await getAllocationJob(rt, admin, queued.jobId)).toMatchObject({ status: "queued", progress: 0 });
    const done = await processAllocationJob(rt, queued.jobId);
    expect(done).toMatchObject({ status: "done", stage: "done", progress: 100 });
    const run = await getAllocationRun(rt, admin, done!.runId!);
    expect(run.plans.optimal.summary.totalUnits).toBe(90);
    // A second delivery of the same job does nothing.
    expect(await processAllocationJob(rt, queued.jobId)).toBeNull();

    // A send that fails marks the job failed and surfaces the error.
    await expect(
      startAllocation(rt, admin, { period: "2026-W49", background: true }, async () => {
        throw new Error("queue down");
      }),
    ).rejects.toThrow("queue down");
    // A job for a window that is past by the time it runs fails with the reason.
    const late = await startAllocation(rt, admin, { period: "2026-W49", background: true }, send);
    if (late.kind !== "job") throw new Error("expected a job");
    rt.clock.set("2026-12-20T10:00:00.000Z");
    expect(await processAllocationJob(rt, late.jobId)).toMatchObject({
      status: "failed",
      error: "This production window is in the past",
    });
    // Another co-op's admin cannot read the job.
    const other = await createCoopWithPeople(rt);
    await expect(
      getAllocationJob(rt, { userId: other.admin.id, coopId: other.coop.id, role: "coop_admin" }, queued.jobId),
    ).rejects.toBeInstanceOf(AppError);
    expect(people.coop.id).not.toBe(other.coop.id);
  });
});

describe("products declare their capability and units per item", () => {
  it("accepts a capability of the co-op's pool and whole positive units; refuses anything else and writes nothing", async () => {
    const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
    const { a, admin, people } = await lockedPool(rt);
    const product = (over: Record<string, unknown>) => ({
      title: "Tote",
      priceMinor: 2500,
      currency: "EUR",
      capability: "screenprint",
      capacityUnitsPerItem: 2,
      sku: `TOTE-${Math.random().toString(36).slice(2, 8)}`,
      ...over,
    });
    const made = await createProduct(rt, a, product({}));
    expect(made).toMatchObject({ capability: "screenprint", capacityUnitsPerItem: 2 });
    const fieldsOf = (promise: Promise<unknown>): Promise<unknown[] | null> =>
      promise.then(
        () => null,
        (error: unknown) => {
          if (error instanceof AppError) return [error.code, error.message, error.fields];
          throw error;
        },
      );
    // No factory of this co-op embroiders (another co-op's factory does not count).
    const other = await createCoopWithPeople(rt);
    await updateFactory(rt, { userId: other.admin.id, coopId: other.coop.id, role: "coop_admin" }, other.factory.id, {
      name: "Elsewhere",
      location: "Bremen",
      capabilities: "embroidery",
      leadTimeDays: 3,
      costPerUnitCents: 10,
      isActive: true,
    });
    expect(await fieldsOf(createProduct(rt, a, product({ capability: "embroidery" })))).toEqual([
      "BAD_INPUT",
      "No factory of the co-op has this capability",
      { capability: ["No factory of the co-op has this capability"] },
    ]);
    for (const units of [0, -1, 1.5])
      expect((await fieldsOf(createProduct(rt, a, product({ capacityUnitsPerItem: units }))))?.[0]).toBe("BAD_INPUT");
    const rows = await withSystem(rt, "test", (tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from products where coop_id = ${people.coop.id}`),
    );
    expect(rows[0]!.n).toBe(1);
    // A paused factory's capability still counts (the pool may resume it); a new factory's at once.
    await setFactoryActive(rt, admin, { factoryId: people.factory.id, isActive: false });
    await createFactory(rt, admin, {
      name: "Emboss",
      location: "Leipzig",
      capabilities: "emboss",
      leadTimeDays: 3,
      costPerUnitCents: 10,
      isActive: true,
    });
    await expect(createProduct(rt, a, product({ capability: "screenprint" }))).resolves.toBeTruthy();
    await expect(
      createProduct(rt, a, product({ capability: "emboss", capacityUnitsPerItem: 1 })),
    ).resolves.toBeTruthy();
  });
});

describe("drops follow their allocation's ship-by date", () => {
  it("revises a drop's ship-by when capacity changes after locking, and back when it returns", async () => {
    const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
    const { admin, a, b, f1, f2, runId, people } = await lockedPool(rt);
    await lockAllocationRun(rt, admin, { runId, method: "optimal" });
    const hoodie = await createProduct(rt, a, {
      title: "Hoodie",
      priceMinor: 5900,
      currency: "EUR",
      capability: "screenprint",
      capacityUnitsPerItem: 2,
      sku: "HOOD-1",
    });
    const drop = await createDrop(rt, a, {
      productId: hoodie.id,
      title: "Winter hoodies",
      quantity: 10,
      period: "2026-W49",
      opensAt: new Date("2026-11-25T10:00:00Z"),
    });
    expect(drop.shipBy).toBe("2026-12-05"); // W49 starts 2026-11-30, F1's lead time 5 days
    const shipByOf = async (id: string) =>
      (
        await withSystem(rt, "test", (tx) =>
          tx.execute<{ ship_by: string }>(sql`select ship_by::text as ship_by from drops where id = ${id}`),
        )
      )[0]!.ship_by;
    const revisions = () =>
      withSystem(rt, "test", (tx) =>
        tx.execute<{ data: { from: string; to: string } }>(
          sql`select data from audit_log
              where action = 'capacity.drop.ship_by_revised' and subject_id = ${drop.id} order by seq`,
        ),
      );

    // Cutting B's share only (70 left) leaves A's batch, and so the drop, on time.
    await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 70 });
    expect(await shipByOf(drop.id)).toBe("2026-12-05");
    // Cut to 50: A's 60 no longer fit; F2's W50 takes them: 2026-12-07 + 10 days.
    await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 50 });
    expect(await shipByOf(drop.id)).toBe("2026-12-17");
    expect((await listCreatorAllocations(rt, a))[0]!.batches[0]).toMatchObject({
      flagReason: "window_reduced",
      revisedShipBy: "2026-12-17",
    });
    // Capacity returns: the drop's date returns too.
    await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 100 });
    expect(await shipByOf(drop.id)).toBe("2026-12-05");
    // The factory fails: the date moves again; B (no drop) is untouched.
    await setFactoryActive(rt, admin, { factoryId: f1.id, isActive: false });
    expect(await shipByOf(drop.id)).toBe("2026-12-17");
    expect((await revisions()).map((r) => [r.data.from, r.data.to])).toEqual([
      ["2026-12-05", "2026-12-17"],
      ["2026-12-17", "2026-12-05"],
      ["2026-12-05", "2026-12-17"],
    ]);
    // B has no drop: nothing else was revised.
    const all = await withSystem(rt, "test", (tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from audit_log where coop_id = ${people.coop.id} and action = 'capacity.drop.ship_by_revised'`,
      ),
    );
    expect(all[0]!.n).toBe(3);
    expect(b.creatorId).not.toBe(a.creatorId);

    // The admin re-plans: F2 opens W49, the window is run again without F1 and locked; the drop
    // follows the new plan's batch (F2 in W49: 2026-11-30 + 10 days) and the flags are gone.
    await setWindow(rt, admin, { factoryId: f2.id, capability: "screenprint", period: "2026-W49", units: 100 });
    const again = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    await lockAllocationRun(rt, admin, { runId: again.runId, method: "fair" });
    expect(await listFlaggedAllocations(rt, admin)).toEqual([]);
    expect(await shipByOf(drop.id)).toBe("2026-12-10");
    expect((await revisions()).at(-1)!.data).toMatchObject({ from: "2026-12-17", to: "2026-12-10" });
  });
});
