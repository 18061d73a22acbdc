import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { createApiToken } from "@kiln/auth";
import {
  createCapacityRequest,
  createFactory,
  listFactoryWork,
  lockAllocationRun,
  markBatch,
  runAllocation,
  setWindow,
} from "@kiln/capacity";
import { createCoopWithPeople } from "@kiln/seed";
import { getTestRuntime } from "../../../tests/setup/runtime";
import {
  AllocationRunListItemResponse,
  AllocationRunResponse,
  CapacityFactoryResponse,
  CapacityRequestResponse,
  CapacityWindowResponse,
  CreatorAllocationResponse,
  FactoryWorkItemResponse,
  LeadTimeReportResponse,
} from "../api/capacity-responses";
import { argsFor, settle, testRequest, testServices } from "../testing/context";
import * as factories from "./api.v1.coops.$coopSlug.capacity.factories";
import * as leadTimes from "./api.v1.coops.$coopSlug.capacity.lead-times";
import * as coopRequests from "./api.v1.coops.$coopSlug.capacity.requests";
import * as runs from "./api.v1.coops.$coopSlug.capacity.runs";
import * as runRoute from "./api.v1.coops.$coopSlug.capacity.runs.$runId";
import * as windows from "./api.v1.coops.$coopSlug.capacity.windows";
import * as creatorAllocations from "./api.v1.creators.$creatorSlug.capacity.allocations";
import * as creatorRequests from "./api.v1.creators.$creatorSlug.capacity.requests";
import * as work from "./api.v1.factories.$factoryId.work";
import * as openapi from "./api.v1.openapi";

/**
 * Issue 7 §8: the OpenAPI document describes factories, windows, requests, runs and their results with
 * real schemas, and the endpoints return what it says (each body parsed with the schema the document
 * is generated from).
 */

const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
const services = testServices(rt);

const get = async (route: { loader?: unknown }, path: string, headers: Record<string, string>, params = {}) => {
  const fn = route.loader as (args: unknown) => Promise<unknown>;
  const res = await settle(async () => fn(await argsFor(services, testRequest(path, { headers }), params)));
  expect(res.status, path).toBe(200);
  return res.body as Record<string, unknown>;
};

const bearer = async (userId: string) => {
  const { token } = await createApiToken(rt, userId, { name: "openapi", scopes: ["capacity:read", "capacity:write"] });
  return { Authorization: `Bearer ${token}` };
};

/** Parses with the schema; on a mismatch the failure names the path and the issue. */
const conforms = <S extends z.ZodType>(schema: S, value: unknown, what: string) => {
  const parsed = schema.safeParse(value);
  expect(parsed.success ? [] : parsed.error.issues.map((i) => `${what}.${i.path.join(".")}: ${i.message}`)).toEqual([]);
};

describe("capacity API responses match the OpenAPI document", () => {
  it("returns factories, windows, requests, runs, results, allocations, work and lead times as documented", async () => {
    const people = await createCoopWithPeople(rt);
    const admin = { userId: people.admin.id, coopId: people.coop.id, role: "coop_admin" as const };
    const owner = {
      userId: people.owner.id,
      coopId: people.coop.id,
      creatorId: people.creator.id,
      role: "creator_owner" as const,
    };
    const backup = await createFactory(rt, admin, {
      name: "Backup",
      location: "Halle",
      capabilities: "screenprint",
      leadTimeDays: 9,
      costPerUnitCents: 200,
      isBackup: true,
      isActive: true,
    });
    await setWindow(rt, admin, {
      factoryId: people.factory.id,
      capability: "screenprint",
      period: "2026-W49",
      units: 20,
    });
    await setWindow(rt, admin, { factoryId: backup.id, capability: "screenprint", period: "2026-W49", units: 20 });
    await createCapacityRequest(rt, owner, {
      capability: "screenprint",
      period: "2026-W49",
      units: 30,
      minBatch: 5,
      latestShipDate: "2026-12-20",
    });
    const { runId } = await runAllocation(rt, admin, { period: "2026-W49", allowBackup: true });
    await lockAllocationRun(rt, admin, { runId, method: "optimal" });
    const operator = {
      userId: people.operator.id,
      coopId: people.coop.id,
      role: "factory_operator" as const,
      factoryId: people.factory.id,
    };
    const [batch] = await listFactoryWork(rt, operator);
    rt.clock.set("2026-12-01T10:00:00.000Z");
    await markBatch(rt, operator, { allocationId: batch!.allocationId, step: "started" });
    rt.clock.set("2026-12-03T10:00:00.000Z");
    await markBatch(rt, operator, { allocationId: batch!.allocationId, step: "shipped" });

    const adminAuth = await bearer(people.admin.id);
    const c = { coopSlug: people.coop.slug };
    const base = `/api/v1/coops/${people.coop.slug}/capacity`;
    const f = await get(factories, `${base}/factories`, adminAuth, c);
    expect(f.factories).toHaveLength(2);
    for (const x of f.factories as unknown[]) conforms(CapacityFactoryResponse, x, "factory");
    const w = await get(windows, `${base}/windows?period=2026-W49`, adminAuth, c);
    expect(w.windows).toHaveLength(2);
    for (const x of w.windows as unknown[]) conforms(CapacityWindowResponse, x, "window");
    const r = await get(coopRequests, `${base}/requests`, adminAuth, c);
    expect(r.requests).toHaveLength(1);
    for (const x of r.requests as unknown[]) conforms(CapacityRequestResponse, x, "request");
    const l = await get(runs, `${base}/runs`, adminAuth, c);
    for (const x of l.runs as unknown[]) conforms(AllocationRunListItemResponse, x, "runs[]");
    const run = await get(runRoute, `${base}/runs/${runId}`, adminAuth, { ...c, runId });
    conforms(AllocationRunResponse, run.run, "run");
    const plan = (run.run as z.infer<typeof AllocationRunResponse>).plans.optimal;
    // Backup capacity filled what primary could not: both factories, with their utilisation and the gap.
    expect(plan.batches.map((b) => b.units).sort()).toEqual([10, 20]);
    expect(plan.summary.solver?.mipGap).not.toBeUndefined();
    const leads = await get(leadTimes, `${base}/lead-times`, adminAuth, c);
    conforms(LeadTimeReportResponse, leads.leadTimes, "leadTimes");
    expect((leads.leadTimes as z.infer<typeof LeadTimeReportResponse>).batches).toHaveLength(1);

    const ownerAuth = await bearer(people.owner.id);
    const cr = { creatorSlug: people.creator.slug };
    const mine = await get(creatorRequests, `/api/v1/creators/${people.creator.slug}/capacity/requests`, ownerAuth, cr);
    for (const x of mine.requests as unknown[]) conforms(CapacityRequestResponse, x, "creator request");
    const allocations = await get(
      creatorAllocations,
      `/api/v1/creators/${people.creator.slug}/capacity/allocations`,
      ownerAuth,
      cr,
    );
    expect(allocations.allocations).toHaveLength(1);
    for (const x of allocations.allocations as unknown[]) conforms(CreatorAllocationResponse, x, "allocation");

    const opAuth = await bearer(people.operator.id);
    const items = await get(work, `/api/v1/factories/${people.factory.id}/work`, opAuth, {
      factoryId: people.factory.id,
    });
    expect(items.work).toHaveLength(1);
    for (const x of items.work as unknown[]) conforms(FactoryWorkItemResponse, x, "work");

    // The document references these components from the endpoints' responses.
    const doc = (await get(openapi, "/api/v1/openapi.json", {})) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const responseOf = (path: string, method: string, status: string) =>
      JSON.stringify(doc.paths[path]?.[method]?.responses[status]);
    for (const [path, method, status, component] of [
      ["/coops/{coopSlug}/capacity/factories", "get", "200", "CapacityFactory"],
      ["/coops/{coopSlug}/capacity/factories", "post", "201", "CapacityFactory"],
      ["/coops/{coopSlug}/capacity/windows", "get", "200", "CapacityWindow"],
      ["/coops/{coopSlug}/capacity/requests", "get", "200", "CapacityRequest"],
      ["/creators/{creatorSlug}/capacity/requests", "post", "201", "CapacityRequest"],
      ["/coops/{coopSlug}/capacity/runs", "get", "200", "AllocationRunListItem"],
      ["/coops/{coopSlug}/capacity/runs/{runId}", "get", "200", "AllocationRun"],
      ["/creators/{creatorSlug}/capacity/allocations", "get", "200", "CreatorAllocation"],
      ["/coops/{coopSlug}/capacity/lead-times", "get", "200", "CapacityLeadTimeReport"],
      ["/factories/{factoryId}/work", "get", "200", "FactoryWorkItem"],
    ] as const)
      expect(responseOf(path, method, status), `${method} ${path}`).toContain(`#/components/schemas/${component}`);
    expect(Object.keys(doc.components.schemas.AllocationRun?.properties ?? {})).toEqual(
      expect.arrayContaining(["period", "status", "plans"]),
    );
    expect(Object.keys(doc.components.schemas.CreatorAllocation?.properties ?? {})).toEqual(
      expect.arrayContaining(["allocated", "fairShare", "boundBy", "explanation", "batches"]),
    );
  });
});
