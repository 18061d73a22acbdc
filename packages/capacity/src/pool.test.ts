import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { withSystem, withTenant, type TenantContext } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { assignRole, createCoopWithPeople, createCreator, createUser } from "../../seed/src/factories";
import {
  adjustAllocation,
  createCapacityRequest,
  createFactory,
  exportFactoryWorkCsv,
  getAllocationRun,
  getLockedAllocation,
  listAllocationRuns,
  listCapacityRequests,
  listCreatorAllocations,
  listFactoryWork,
  listWindows,
  lockAllocationRun,
  markBatch,
  renderExplanation,
  listCreatorWeights,
  runAllocation,
  setCreatorWeight,
  setQuarterWindows,
  setWindow,
  withdrawCapacityRequest,
} from "./index";

const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");

/** A co-op with the docs' worked example: F1 100 and F2 50 screenprint units; creators A, B, C. */
async function workedExample() {
  const people = await createCoopWithPeople(rt);
  const admin: TenantContext = { userId: people.admin.id, coopId: people.coop.id, role: "coop_admin" };
  const f1 = await createFactory(rt, admin, {
    name: "F1",
    location: "Leipzig",
    capabilities: "screenprint",
    leadTimeDays: 5,
    costPerUnitCents: 300,
    isBackup: false,
    isActive: true,
  });
  const f2 = await createFactory(rt, admin, {
    name: "F2",
    location: "Halle",
    capabilities: "screenprint, sewing",
    leadTimeDays: 5,
    costPerUnitCents: 200,
    isBackup: false,
    isActive: true,
  });
  await setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W49", units: 100 });
  await setWindow(rt, admin, { factoryId: f2.id, capability: "screenprint", period: "2026-W49", units: 50 });
  const creators: Record<string, TenantContext & { creatorId: string }> = {};
  for (const [name, units] of [
    ["A", 80],
    ["B", 60],
    ["C", 20],
  ] as const) {
    const creator =
      name === "A" ? people.creator : await createCreator(rt, { coopId: people.coop.id, displayName: name });
    const owner = name === "A" ? people.owner : await createUser(rt);
    if (name !== "A")
      await assignRole(rt, { userId: owner.id, coopId: people.coop.id, role: "creator_owner", creatorId: creator.id });
    creators[name] = { userId: owner.id, coopId: people.coop.id, creatorId: creator.id, role: "creator_owner" };
    await createCapacityRequest(rt, creators[name], { capability: "screenprint", period: "2026-W49", units });
    rt.clock.advance(1000);
  }
  const operator: TenantContext = {
    userId: people.operator.id,
    coopId: people.coop.id,
    role: "factory_operator",
    factoryId: f1.id,
  };
  await withSystem(rt, "test", (tx) =>
    tx.execute(sql`update role_assignments set factory_id = ${f1.id} where user_id = ${people.operator.id}`),
  );
  return {
    people,
    admin,
    f1,
    f2,
    creators: creators as Record<"A" | "B" | "C", TenantContext & { creatorId: string }>,
    operator,
  };
}

describe("capacity pool", () => {
  it("runs the worked example end to end: C 20, B 60, A 70, explained, locked, visible to the right people", async () => {
    const { admin, creators, operator, f1 } = await workedExample();
    const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    const run = await getAllocationRun(rt, admin, runId);
    for (const method of ["fair", "optimal"] as const) {
      const byName = Object.fromEntries(run.plans[method].outcomes.map((o) => [o.creatorName, o.allocated]));
      expect(byName).toMatchObject({ B: 60, C: 20 });
      expect(run.plans[method].summary.totalUnits).toBe(150);
    }
    expect(run.plans.optimal.summary.solver?.mipGap).toBeLessThanOrEqual(1e-4);
    const a = run.plans.fair.outcomes.find((o) => o.creatorId === creators.A.creatorId)!;
    expect(a.allocated).toBe(70);
    expect(renderExplanation(a.parts)).toContain("Capacity bound you");
    expect(run.plans.fair.utilisation.every((u) => u.utilisation === 1)).toBe(true);

    // Nothing is locked yet: creators and the operator see nothing, drops get zero.
    expect(await listCreatorAllocations(rt, creators.A)).toEqual([]);
    expect(
      (
        await getLockedAllocation(rt, creators.A, {
          creatorId: creators.A.creatorId,
          capability: "screenprint",
          window: "2026-W49",
        })
      ).units,
    ).toBe(0);

    await lockAllocationRun(rt, admin, { runId, method: "fair" });
    const mine = await listCreatorAllocations(rt, creators.A);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.allocated).toBe(70);
    expect(renderExplanation(mine[0]!.parts)).toContain("You got 70 of the 80 screenprint units");
    const locked = await getLockedAllocation(rt, creators.A, {
      creatorId: creators.A.creatorId,
      capability: "screenprint",
      window: "2026-W49",
    });
    expect(locked.units).toBe(70);
    expect(locked.batches[0]!.shipBy).toBe("2026-12-05");

    // A creator cannot read another creator's allocation; asking is NOT_FOUND.
    await expect(
      getLockedAllocation(rt, creators.A, {
        creatorId: creators.B.creatorId,
        capability: "screenprint",
        window: "2026-W49",
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await listCapacityRequests(rt, creators.A)).map((r) => r.creatorId)).toEqual([creators.A.creatorId]);
    expect(await listCapacityRequests(rt, admin)).toHaveLength(3);

    // The operator sees only F1's batches.
    const work = await listFactoryWork(rt, operator);
    expect(work.reduce((s, w) => s + w.units, 0)).toBe(100);
    expect((await listWindows(rt, operator)).map((w) => w.factoryId)).toEqual([f1.id]);

    // A locked run cannot be adjusted; a second locked run supersedes the first.
    await expect(
      adjustAllocation(rt, admin, { runId, method: "fair", requestId: a.requestId, factoryId: f1.id, units: 1 }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    rt.clock.advance(60_000);
    const second = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    await lockAllocationRun(rt, admin, { runId: second.runId, method: "optimal" });
    const runs = await listAllocationRuns(rt, admin);
    expect(runs.map((r) => r.status)).toEqual(["locked", "superseded"]);
    expect(
      (
        await getLockedAllocation(rt, admin, {
          creatorId: creators.A.creatorId,
          capability: "screenprint",
          window: "2026-W49",
        })
      ).units,
    ).toBe(70);

    const actions = await withSystem(rt, "test", (tx) =>
      tx.execute<{ action: string }>(sql`select action from audit_log where coop_id = ${admin.coopId} order by seq`),
    );
    expect(actions.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        "capacity.run.created",
        "capacity.run.locked",
        "capacity.window.set",
        "capacity.request.created",
        "capacity.factory.created",
      ]),
    );
  });

  it("lets an admin adjust a draft within the rules, and refuses a change that breaks one", async () => {
    const { admin, f1, f2 } = await workedExample();
    const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    const run = await getAllocationRun(rt, admin, runId);
    const batch = run.plans.fair.batches.find((b) => b.factoryId === f1.id)!;
    await expect(
      adjustAllocation(rt, admin, {
        runId,
        method: "fair",
        requestId: batch.requestId,
        factoryId: f1.id,
        units: batch.units + 1,
      }),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    await adjustAllocation(rt, admin, {
      runId,
      method: "fair",
      requestId: batch.requestId,
      factoryId: f1.id,
      units: batch.units - 5,
    });
    const after = await getAllocationRun(rt, admin, runId);
    expect(after.plans.fair.summary.totalUnits).toBe(145);
    expect(
      after.plans.fair.batches.find((b) => b.requestId === batch.requestId && b.factoryId === f1.id),
    ).toMatchObject({ units: batch.units - 5, isAdjusted: true });
    expect(after.plans.fair.utilisation.find((u) => u.factoryId === f1.id)!.allocated).toBe(95);
    expect(after.plans.fair.utilisation.find((u) => u.factoryId === f2.id)!.utilisation).toBe(1);
  });

  it("refuses invalid input with clear messages and changes nothing", async () => {
    const { admin, creators, f1 } = await workedExample();
    const bad = [
      [{ capability: "screenprint", period: "2026-W49", units: -3 }, "The units cannot be negative"],
      [{ capability: "screenprint", period: "2026-W49", units: 2.5 }, "Enter the units as a whole number"],
      [{ capability: "embroidery", period: "2026-W49", units: 10 }, "No factory of the co-op has this capability"],
      [{ capability: "screenprint", period: "2026-W40", units: 10 }, "This production window is in the past"],
      [
        { capability: "screenprint", period: "2026-W49", units: 10, minBatch: 20 },
        "The minimum batch cannot be larger than the units you ask for",
      ],
    ] as const;
    for (const [input, message] of bad) {
      const error = await createCapacityRequest(rt, creators.B, input).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "BAD_INPUT" });
      expect((error as Error).message).toContain(message);
    }
    expect(await listCapacityRequests(rt, creators.B)).toHaveLength(1);
    await expect(
      setWindow(rt, admin, { factoryId: f1.id, capability: "sewing", period: "2026-W50", units: 10 }),
    ).rejects.toMatchObject({ message: "This factory does not have that capability" });
    await expect(
      setWindow(rt, admin, { factoryId: f1.id, capability: "screenprint", period: "2026-W46", units: 10 }),
    ).rejects.toMatchObject({ message: "This production window is in the past" });
    // Only admins manage capacity; a creator asking is told there is no such place.
    await expect(
      setWindow(rt, creators.A, { factoryId: f1.id, capability: "screenprint", period: "2026-W50", units: 10 }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("enters a quarter in bulk (weeks not yet over), and withdrawn requests leave the run", async () => {
    const { admin, creators, f2 } = await workedExample();
    const { periods } = await setQuarterWindows(rt, admin, {
      factoryId: f2.id,
      capability: "sewing",
      quarter: "2026-Q4",
      units: 30,
    });
    expect(periods[0]).toBe("2026-W47");
    expect(periods.at(-1)).toBe("2026-W53");
    expect((await listWindows(rt, admin, { periods })).filter((w) => w.capability === "sewing")).toHaveLength(7);
    const [request] = await listCapacityRequests(rt, creators.C);
    await withdrawCapacityRequest(rt, creators.C, request!.id);
    await expect(withdrawCapacityRequest(rt, creators.B, request!.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    const run = await getAllocationRun(rt, admin, runId);
    // Without C, A (80) and B (60) fit into 150 whole.
    expect(run.plans.fair.outcomes.map((o) => [o.creatorId, o.allocated])).toEqual([
      [creators.A.creatorId, 80],
      [creators.B.creatorId, 60],
    ]);
  });

  it("shows co-op B's admin nothing of co-op A's runs, and an infeasible window is explained, not an error", async () => {
    const { admin, creators } = await workedExample();
    const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    const other = await createCoopWithPeople(rt);
    const otherAdmin: TenantContext = { userId: other.admin.id, coopId: other.coop.id, role: "coop_admin" };
    await expect(getAllocationRun(rt, otherAdmin, runId)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(lockAllocationRun(rt, otherAdmin, { runId, method: "fair" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // A window with requests but no capacity.
    await createCapacityRequest(rt, creators.A, { capability: "sewing", period: "2026-W50", units: 10 });
    const empty = await runAllocation(rt, admin, { period: "2026-W50", allowBackup: true });
    const view = await getAllocationRun(rt, admin, empty.runId);
    expect(view.plans.optimal.summary.solver?.status).toBe("Empty");
    expect(view.plans.fair.outcomes[0]).toMatchObject({ allocated: 0, boundBy: "eligibility" });
  });

  it("holds at the database too: raw SQL sees only what each role may see (RLS)", async () => {
    const { admin, creators, operator, f1, f2 } = await workedExample();
    const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    await lockAllocationRun(rt, admin, { runId, method: "fair" });
    const count = (ctx: TenantContext, query: ReturnType<typeof sql>) =>
      withTenant(rt, ctx, (tx) => tx.execute(query)).then((rows) => rows.length);
    // The operator of F1: F1's windows and batches only, no runs, no requests, no outcomes.
    expect(await count(operator, sql`select 1 from capacity_windows where factory_id = ${f2.id}`)).toBe(0);
    expect(await count(operator, sql`select 1 from capacity_windows where factory_id = ${f1.id}`)).toBe(1);
    expect(await count(operator, sql`select 1 from allocations where factory_id = ${f2.id}`)).toBe(0);
    expect(await count(operator, sql`select 1 from allocations where factory_id = ${f1.id}`)).toBeGreaterThan(0);
    for (const table of ["allocation_runs", "capacity_requests", "allocation_outcomes"])
      expect(await count(operator, sql`select 1 from ${sql.identifier(table)}`)).toBe(0);
    // A creator: their own requests, outcomes and batches; no runs; cannot write capacity.
    const a = creators.A;
    expect(await count(a, sql`select 1 from capacity_requests where creator_id <> ${a.creatorId}`)).toBe(0);
    expect(await count(a, sql`select 1 from allocation_outcomes where creator_id <> ${a.creatorId}`)).toBe(0);
    expect(await count(a, sql`select 1 from allocations where creator_id <> ${a.creatorId}`)).toBe(0);
    expect(await count(a, sql`select 1 from allocation_outcomes where creator_id = ${a.creatorId}`)).toBeGreaterThan(0);
    expect(await count(a, sql`select 1 from allocation_runs`)).toBe(0);
    expect(await count(a, sql`update capacity_windows set units = 1000 returning 1`)).toBe(0);
    const forged = await withTenant(rt, a, (tx) =>
      tx.execute(sql`insert into capacity_requests (coop_id, creator_id, capability, period, units)
        values (${a.coopId}, ${creators.B.creatorId}, 'screenprint', '2026-W49', 5)`),
    ).then(
      () => "inserted",
      (error: unknown) => String((error as { cause?: { message?: string } }).cause?.message ?? error),
    );
    expect(forged).toMatch(/row-level security/);
  });

  it("weighs creators by the co-op's policy: A with weight 2 gets A 80, B 50, C 20", async () => {
    const { admin, creators } = await workedExample();
    await expect(
      setCreatorWeight(rt, creators.A, { creatorId: creators.A.creatorId, weight: 5 }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await setCreatorWeight(rt, admin, { creatorId: creators.A.creatorId, weight: 2 });
    expect((await listCreatorWeights(rt, admin)).find((c) => c.id === creators.A.creatorId)?.weight).toBe(2);
    const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    const fair = (await getAllocationRun(rt, admin, runId)).plans.fair.outcomes;
    const got = Object.fromEntries(fair.map((o) => [o.creatorId, o.allocated]));
    expect(got).toEqual({ [creators.A.creatorId]: 80, [creators.B.creatorId]: 50, [creators.C.creatorId]: 20 });
    const b = fair.find((o) => o.creatorId === creators.B.creatorId)!;
    expect(renderExplanation(b.parts)).toContain("Your weight in the co-op's policy is 1");
  });

  it("lets the operator mark their batches started, then shipped, and export them as CSV", async () => {
    const { admin, operator, f2, creators } = await workedExample();
    const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: false });
    // Nothing to mark before the lock.
    expect(await listFactoryWork(rt, operator)).toEqual([]);
    await lockAllocationRun(rt, admin, { runId, method: "fair" });
    const [first] = await listFactoryWork(rt, operator);
    await expect(markBatch(rt, operator, { allocationId: first!.allocationId, step: "shipped" })).rejects.toMatchObject(
      {
        code: "CONFLICT",
        message: "Mark production as started first",
      },
    );
    await markBatch(rt, operator, { allocationId: first!.allocationId, step: "started" });
    rt.clock.advance(3 * 86_400_000);
    await markBatch(rt, operator, { allocationId: first!.allocationId, step: "shipped" });
    await expect(markBatch(rt, operator, { allocationId: first!.allocationId, step: "shipped" })).rejects.toMatchObject(
      {
        code: "CONFLICT",
      },
    );
    const marked = (await listFactoryWork(rt, operator)).find((w) => w.allocationId === first!.allocationId)!;
    expect(marked.shippedAt!.getTime() - marked.startedAt!.getTime()).toBe(3 * 86_400_000);
    // Another factory's batch is not there for this operator.
    const other = (await getAllocationRun(rt, admin, runId)).plans.fair.batches.find((b) => b.factoryId === f2.id)!;
    const otherId = await withSystem(rt, "test", (tx) =>
      tx.execute<{ id: string }>(
        sql`select id from allocations where run_id = ${runId} and method = 'fair' and factory_id = ${f2.id} and request_id = ${other.requestId}`,
      ),
    );
    await expect(markBatch(rt, operator, { allocationId: otherId[0]!.id, step: "started" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const csv = await exportFactoryWorkCsv(rt, operator);
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("window,capability,creator,units,ship_by,started_at,shipped_at,batch_id");
    expect(lines).toHaveLength(1 + (await listFactoryWork(rt, operator)).length);
    expect(csv).toContain(first!.allocationId);
    // The creator whose batch it is sees its progress; nobody else's.
    const [owner] = await withSystem(rt, "test", (tx) =>
      tx.execute<{ creator_id: string }>(
        sql`select creator_id from batch_progress where allocation_id = ${first!.allocationId}`,
      ),
    );
    const ctxOf = Object.values(creators).find((c) => c.creatorId === owner!.creator_id)!;
    const stranger = Object.values(creators).find((c) => c.creatorId !== owner!.creator_id)!;
    const visible = (ctx: TenantContext) =>
      withTenant(rt, ctx, (tx) => tx.execute(sql`select 1 from batch_progress`)).then((r) => r.length);
    expect(await visible(ctxOf)).toBe(1);
    expect(await visible(stranger)).toBe(0);
  });
});
