import { describe, expect, it } from "vitest";
import { createApiToken, signIn } from "@kiln/auth";
import { createCapacityRequest, lockAllocationRun, runAllocation, setWindow } from "@kiln/capacity";
import { createCoopWithPeople, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { argsFor, settle, testRequest, testServices } from "../testing/context";
import * as coopFactories from "./api.v1.coops.$coopSlug.capacity.factories";
import * as coopRun from "./api.v1.coops.$coopSlug.capacity.runs.$runId";
import * as coopRunLock from "./api.v1.coops.$coopSlug.capacity.runs.$runId.lock";
import * as coopRuns from "./api.v1.coops.$coopSlug.capacity.runs";
import * as coopWindows from "./api.v1.coops.$coopSlug.capacity.windows";
import * as creatorAllocations from "./api.v1.creators.$creatorSlug.capacity.allocations";
import * as creatorRequests from "./api.v1.creators.$creatorSlug.capacity.requests";
import * as openapi from "./api.v1.openapi";
import * as factoryHome from "./factory.$factoryId";
import * as factoryCsv from "./factory.$factoryId.work.csv";
import * as pool from "./coop.$coopSlug.capacity";
import * as studio from "./studio.$creatorSlug.capacity";

const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
const services = testServices(rt);

const call = async (
  route: { loader?: unknown; action?: unknown },
  kind: "loader" | "action",
  request: Request,
  params: Record<string, string> = {},
) => {
  const fn = route[kind] as (args: unknown) => Promise<unknown>;
  return settle(async () => fn(await argsFor(services, request, params)));
};

const bearerFor = async (userId: string) => {
  const { token } = await createApiToken(rt, userId, { name: "capacity", scopes: ["capacity:read", "capacity:write"] });
  return { Authorization: `Bearer ${token}` };
};

describe("capacity API", () => {
  it("runs the worked example over /api/v1: factories, windows, requests, run, lock, explained allocation", async () => {
    const { coop, creator, admin, owner } = await createCoopWithPeople(rt);
    const adminAuth = await bearerFor(admin.id);
    const ownerAuth = await bearerFor(owner.id);
    const c = { coopSlug: coop.slug };
    const factoryIds: string[] = [];
    for (const [name, units] of [
      ["F1", 100],
      ["F2", 50],
    ] as const) {
      const made = await call(
        coopFactories,
        "action",
        testRequest(`/api/v1/coops/${coop.slug}/capacity/factories`, {
          headers: adminAuth,
          json: {
            name,
            location: "Leipzig",
            capabilities: ["screenprint"],
            leadTimeDays: 5,
            costPerUnitCents: 100,
            isActive: true,
          },
        }),
        c,
      );
      expect(made.status).toBe(201);
      const id = (made.body as { factory: { id: string } }).factory.id;
      factoryIds.push(id);
      const set = await call(
        coopWindows,
        "action",
        testRequest(`/api/v1/coops/${coop.slug}/capacity/windows`, {
          method: "PUT",
          headers: adminAuth,
          json: { factoryId: id, capability: "screenprint", period: "2026-W49", units },
        }),
        c,
      );
      expect(set.status).toBe(204);
    }
    const asked = await call(
      creatorRequests,
      "action",
      testRequest(`/api/v1/creators/${creator.slug}/capacity/requests`, {
        headers: ownerAuth,
        json: { capability: "screenprint", period: "2026-W49", units: 200 },
      }),
      { creatorSlug: creator.slug },
    );
    expect(asked.status).toBe(201);

    const bad = await call(
      creatorRequests,
      "action",
      testRequest(`/api/v1/creators/${creator.slug}/capacity/requests`, {
        headers: ownerAuth,
        json: { capability: "screenprint", period: "2026-W49", units: 2.5, minBatch: 10 },
      }),
      { creatorSlug: creator.slug },
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "BAD_INPUT" } });
    expect((bad.body as { error: { message: string } }).error.message).toContain("whole number");

    const ran = await call(
      coopRuns,
      "action",
      testRequest(`/api/v1/coops/${coop.slug}/capacity/runs`, {
        headers: adminAuth,
        json: { period: "2026-W49", allowBackup: false },
      }),
      c,
    );
    expect(ran.status).toBe(201);
    const { runId } = ran.body as { runId: string };
    const view = await call(
      coopRun,
      "loader",
      testRequest(`/api/v1/coops/${coop.slug}/capacity/runs/${runId}`, { headers: adminAuth }),
      { ...c, runId },
    );
    const run = (
      view.body as {
        run: {
          plans: {
            optimal: {
              summary: { totalUnits: number; solver: { mipGap: number } };
              outcomes: { explanation: string }[];
            };
          };
        };
      }
    ).run;
    expect(run.plans.optimal.summary.totalUnits).toBe(150);
    expect(run.plans.optimal.summary.solver.mipGap).toBeLessThanOrEqual(1e-4);
    expect(run.plans.optimal.outcomes[0]!.explanation).toContain("You got 150 of the 200 screenprint units");

    const locked = await call(
      coopRunLock,
      "action",
      testRequest(`/api/v1/coops/${coop.slug}/capacity/runs/${runId}/lock`, {
        headers: adminAuth,
        json: { method: "optimal" },
      }),
      { ...c, runId },
    );
    expect(locked.status).toBe(204);
    const mine = await call(
      creatorAllocations,
      "loader",
      testRequest(`/api/v1/creators/${creator.slug}/capacity/allocations`, { headers: ownerAuth }),
      { creatorSlug: creator.slug },
    );
    const allocations = (mine.body as { allocations: { allocated: number; explanation: string }[] }).allocations;
    expect(allocations.map((a) => a.allocated)).toEqual([150]);
    expect(allocations[0]!.explanation).toContain("Capacity bound you");

    // Another co-op's admin: 404 for this co-op, in the API's error shape. A creator is not an admin.
    const other = await createCoopWithPeople(rt);
    const foreign = await call(
      coopRun,
      "loader",
      testRequest(`/api/v1/coops/${coop.slug}/capacity/runs/${runId}`, { headers: await bearerFor(other.admin.id) }),
      { ...c, runId },
    );
    expect(foreign.status).toBe(404);
    const creatorAsAdmin = await call(
      coopRuns,
      "loader",
      testRequest(`/api/v1/coops/${coop.slug}/capacity/runs`, { headers: ownerAuth }),
      c,
    );
    expect(creatorAsAdmin.status).toBe(404);
    const narrow = await createApiToken(rt, admin.id, { name: "me only", scopes: ["me:read"] });
    const noScope = await call(
      coopRuns,
      "loader",
      testRequest(`/api/v1/coops/${coop.slug}/capacity/runs`, { headers: { Authorization: `Bearer ${narrow.token}` } }),
      c,
    );
    expect(noScope.status).toBe(403);
  });

  it("lists the capacity endpoints in the OpenAPI document", async () => {
    const doc = await call(openapi, "loader", testRequest("/api/v1/openapi.json"));
    const paths = Object.keys((doc.body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining(["/coops/{coopSlug}/capacity/runs", "/creators/{creatorSlug}/capacity/requests"]),
    );
  });
});

describe("capacity screens", () => {
  it("admin adds a factory and a window, the creator requests, the admin runs; bad input gets a message", async () => {
    const { coop, creator, admin, owner } = await createCoopWithPeople(rt);
    const session = async (email: string) =>
      (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: null, userAgent: null })).token;
    const adminSession = await session(admin.email);
    const path = `/coop/${coop.slug}/capacity`;
    const made = await call(
      pool,
      "action",
      testRequest(path, {
        sessionToken: adminSession,
        form: {
          intent: "factory",
          name: "Riso Hall",
          location: "Halle",
          capabilities: "risograph",
          leadTimeDays: "3",
          costPerUnitCents: "50",
          isActive: "on",
        },
      }),
      { coopSlug: coop.slug },
    );
    expect(made.status).toBe(302);
    const page = await call(pool, "loader", testRequest(`${path}?period=2026-W49`, { sessionToken: adminSession }), {
      coopSlug: coop.slug,
    });
    const factory = (page.body as { factories: { id: string; name: string }[] }).factories.find(
      (f) => f.name === "Riso Hall",
    )!;
    const window = await call(
      pool,
      "action",
      testRequest(path, {
        sessionToken: adminSession,
        form: { intent: "window", factoryId: factory.id, capability: "risograph", period: "2026-W49", units: "-4" },
      }),
      { coopSlug: coop.slug },
    );
    expect(window.status).toBe(400);
    expect(JSON.stringify(window.body)).toContain("The capacity cannot be negative");

    const ownerSession = await session(owner.email);
    const studioPath = `/studio/${creator.slug}/capacity`;
    const asked = await call(
      studio,
      "action",
      testRequest(studioPath, {
        sessionToken: ownerSession,
        form: {
          intent: "request",
          capability: "risograph",
          period: "2026-W49",
          units: "10",
          minBatch: "1",
          latestShipDate: "",
          preferredFactoryIds: "",
        },
      }),
      { creatorSlug: creator.slug },
    );
    expect(asked.status).toBe(302);
    const ran = await call(
      pool,
      "action",
      testRequest(path, { sessionToken: adminSession, form: { intent: "run", period: "2026-W49" } }),
      { coopSlug: coop.slug },
    );
    expect(ran.status).toBe(302);
    expect(ran.headers.get("Location")).toMatch(new RegExp(`^/coop/${coop.slug}/capacity/runs/`));
    // The creator's studio cannot open the admin's pool.
    const denied = await call(pool, "loader", testRequest(path, { sessionToken: ownerSession }), {
      coopSlug: coop.slug,
    });
    expect(denied.status).toBe(404);
  });
});

describe("capacity messages in German", () => {
  it("translates the capacity schemas' validation messages", async () => {
    const { CapacityRequestSchema, FactorySchema, WindowSchema } = await import("@kiln/capacity/schemas");
    const { GERMAN_MESSAGES } = await import("../i18n/messages-de");
    const issues = [
      CapacityRequestSchema.safeParse({ capability: "Bad Name!", period: "2026-49", units: 2.5, minBatch: 0 }),
      CapacityRequestSchema.safeParse({ capability: "screenprint", period: "2026-W49", units: 5, minBatch: 9 }),
      WindowSchema.safeParse({ factoryId: "x", capability: "", period: "", units: -1 }),
      FactorySchema.safeParse({ name: "", location: "", capabilities: "", leadTimeDays: 400, costPerUnitCents: -1 }),
    ].flatMap((r) => r.error?.issues.map((i) => i.message) ?? []);
    expect(issues.length).toBeGreaterThanOrEqual(10);
    for (const message of issues) expect(GERMAN_MESSAGES[message], message).toBeDefined();
  });
});

describe("factory operator screen", () => {
  it("shows the locked batch, marks it started and exports CSV", async () => {
    const { coop, creator, factory, admin, owner, operator } = await createCoopWithPeople(rt);
    const adminCtx = { userId: admin.id, coopId: coop.id, role: "coop_admin" };
    await setWindow(rt, adminCtx, { factoryId: factory.id, capability: "screenprint", period: "2026-W49", units: 50 });
    await createCapacityRequest(
      rt,
      { userId: owner.id, coopId: coop.id, creatorId: creator.id, role: "creator_owner" },
      { capability: "screenprint", period: "2026-W49", units: 30 },
    );
    const { runId } = await runAllocation(rt, adminCtx, { period: "2026-W49", allowBackup: false });
    await lockAllocationRun(rt, adminCtx, { runId, method: "optimal" });
    const { token } = await signIn(rt, {
      email: operator.email,
      password: DEFAULT_TEST_PASSWORD,
      ip: null,
      userAgent: null,
    });
    const path = `/factory/${factory.id}`;
    const page = await call(factoryHome, "loader", testRequest(path, { sessionToken: token }), {
      factoryId: factory.id,
    });
    const work = (page.body as { work: { allocationId: string; units: number; startedAt: string | null }[] }).work;
    expect(work.map((w) => w.units)).toEqual([30]);
    const marked = await call(
      factoryHome,
      "action",
      testRequest(path, {
        sessionToken: token,
        form: { intent: "mark", allocationId: work[0]!.allocationId, step: "started" },
      }),
      { factoryId: factory.id },
    );
    expect(marked.status).toBe(302);
    const csv = await call(factoryCsv, "loader", testRequest(`${path}/work.csv`, { sessionToken: token }), {
      factoryId: factory.id,
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toMatch(/text\/csv/);
    expect(String(csv.body)).toMatch(
      /^window,capability,creator,units,ship_by,started_at,shipped_at,batch_id\r\n2026-W49,screenprint,/,
    );
    expect(String(csv.body)).toContain(",30,2026-12-07,2026-11-20T10:00:00.000Z,,");
    // Another factory's id is a 404 for this operator.
    const other = await createCoopWithPeople(rt);
    const foreign = await call(
      factoryCsv,
      "loader",
      testRequest(`/factory/${other.factory.id}/work.csv`, { sessionToken: token }),
      { factoryId: other.factory.id },
    );
    expect(foreign.status).toBe(404);
  });
});
