import { describe, expect, it } from "vitest";
import { createApiToken, signIn } from "@kiln/auth";
import { createCapacityRequest, listFactoryWork, runAllocation, setWindow } from "@kiln/capacity";
import { schema, withSystem } from "@kiln/db";
import { createCoopWithPeople, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { argsFor, settle, testRequest, testServices } from "../testing/context";
import * as flags from "./api.v1.coops.$coopSlug.capacity.flags";
import * as jobRoute from "./api.v1.coops.$coopSlug.capacity.jobs.$jobId";
import * as leadTimes from "./api.v1.coops.$coopSlug.capacity.lead-times";
import * as adjustments from "./api.v1.coops.$coopSlug.capacity.runs.$runId.adjustments";
import * as lock from "./api.v1.coops.$coopSlug.capacity.runs.$runId.lock";
import * as runs from "./api.v1.coops.$coopSlug.capacity.runs";
import * as settings from "./api.v1.coops.$coopSlug.capacity.settings";
import * as weights from "./api.v1.coops.$coopSlug.capacity.weights";
import * as quarter from "./api.v1.coops.$coopSlug.capacity.windows.quarter";
import * as work from "./api.v1.factories.$factoryId.work";
import * as workBatch from "./api.v1.factories.$factoryId.work.$allocationId";
import * as openapi from "./api.v1.openapi";
import * as poolScreen from "./coop.$coopSlug.capacity";

const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
const sentJobs: string[] = [];
const services = { ...testServices(rt), sendAllocationJob: async (jobId: string) => sentJobs.push(jobId) };

const call = async (
  route: { loader?: unknown; action?: unknown },
  kind: "loader" | "action",
  request: Request,
  params: Record<string, string> = {},
) => {
  const fn = route[kind] as (args: unknown) => Promise<unknown>;
  return settle(async () => fn(await argsFor(services, request, params)));
};

const bearer = async (userId: string, scopes: ("capacity:read" | "capacity:write" | "me:read")[]) => {
  const { token } = await createApiToken(rt, userId, { name: "capacity", scopes });
  return { Authorization: `Bearer ${token}` };
};

/** A co-op whose seeded factory has 50 screenprint units in W49 and the creator a request for 30. */
async function pool() {
  const people = await createCoopWithPeople(rt);
  const adminCtx = { userId: people.admin.id, coopId: people.coop.id, role: "coop_admin" };
  await setWindow(rt, adminCtx, {
    factoryId: people.factory.id,
    capability: "screenprint",
    period: "2026-W49",
    units: 50,
  });
  const request = await createCapacityRequest(
    rt,
    { userId: people.owner.id, coopId: people.coop.id, creatorId: people.creator.id, role: "creator_owner" },
    { capability: "screenprint", period: "2026-W49", units: 30 },
  );
  return {
    ...people,
    adminCtx,
    request,
    admin: { ...people.admin, auth: await bearer(people.admin.id, ["capacity:read", "capacity:write"]) },
  };
}

describe("capacity API: weights, quarter entry, adjustments, settings, lead times", () => {
  it("answers 401 without a token, 403 without the scope, 404 across co-ops and 400 on bad bodies", async () => {
    const p = await pool();
    const c = { coopSlug: p.coop.slug };
    const url = `/api/v1/coops/${p.coop.slug}/capacity/weights`;
    const anonymous = await call(weights, "loader", testRequest(url), c);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    const readOnly = await bearer(p.admin.id, ["capacity:read"]);
    const noWrite = await call(
      weights,
      "action",
      testRequest(url, { method: "PUT", headers: readOnly, json: { creatorId: p.creator.id, weight: 2 } }),
      c,
    );
    expect(noWrite.status).toBe(403);
    const other = await createCoopWithPeople(rt);
    const foreign = await call(
      weights,
      "loader",
      testRequest(url, { headers: await bearer(other.admin.id, ["capacity:read"]) }),
      c,
    );
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ error: { code: "NOT_FOUND" } });
    const bad = await call(
      weights,
      "action",
      testRequest(url, { method: "PUT", headers: p.admin.auth, json: { creatorId: p.creator.id, weight: -1 } }),
      c,
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "BAD_INPUT" } });
    const otherCreator = await call(
      weights,
      "action",
      testRequest(url, { method: "PUT", headers: p.admin.auth, json: { creatorId: other.creator.id, weight: 2 } }),
      c,
    );
    expect(otherCreator.status).toBe(404);
    const set = await call(
      weights,
      "action",
      testRequest(url, { method: "PUT", headers: p.admin.auth, json: { creatorId: p.creator.id, weight: 2.5 } }),
      c,
    );
    expect(set.status).toBe(204);
    const list = await call(weights, "loader", testRequest(url, { headers: p.admin.auth }), c);
    expect((list.body as { weights: { id: string; weight: number }[] }).weights).toEqual([
      expect.objectContaining({ id: p.creator.id, weight: 2.5 }),
    ]);

    const q = await call(
      quarter,
      "action",
      testRequest(`/api/v1/coops/${p.coop.slug}/capacity/windows/quarter`, {
        method: "PUT",
        headers: p.admin.auth,
        json: { factoryId: p.factory.id, capability: "screenprint", quarter: "2026-Q4", units: 40 },
      }),
      c,
    );
    expect(q.status).toBe(200);
    // 2026-11-20 is in W47: the current week and W48 … W53 (2026 has 53 ISO weeks) are not past.
    expect((q.body as { periods: string[] }).periods).toEqual([
      "2026-W47",
      "2026-W48",
      "2026-W49",
      "2026-W50",
      "2026-W51",
      "2026-W52",
      "2026-W53",
    ]);
    const badQuarter = await call(
      quarter,
      "action",
      testRequest(`/api/v1/coops/${p.coop.slug}/capacity/windows/quarter`, {
        method: "PUT",
        headers: p.admin.auth,
        json: { factoryId: p.factory.id, capability: "screenprint", quarter: "2026-Q5", units: 40 },
      }),
      c,
    );
    expect(badQuarter.status).toBe(400);
    expect(JSON.stringify(badQuarter.body)).toContain("A quarter looks like 2026-Q4");

    const s = `/api/v1/coops/${p.coop.slug}/capacity/settings`;
    expect((await call(settings, "loader", testRequest(s, { headers: p.admin.auth }), c)).body).toEqual({
      settings: { offshoreLeadTimeDays: 42, isDefaultBaseline: true },
    });
    const badSettings = await call(
      settings,
      "action",
      testRequest(s, { method: "PUT", headers: p.admin.auth, json: { offshoreLeadTimeDays: 1.5 } }),
      c,
    );
    expect(badSettings.status).toBe(400);
    expect(
      (
        await call(
          settings,
          "action",
          testRequest(s, { method: "PUT", headers: p.admin.auth, json: { offshoreLeadTimeDays: 35 } }),
          c,
        )
      ).status,
    ).toBe(204);
    const lt = await call(
      leadTimes,
      "loader",
      testRequest(`/api/v1/coops/${p.coop.slug}/capacity/lead-times`, { headers: p.admin.auth }),
      c,
    );
    expect(lt.body).toMatchObject({ leadTimes: { offshoreLeadTimeDays: 35, isDefaultBaseline: false, factories: [] } });
  });

  it("adjusts a draft run, runs in the background on request, locks, and lets the operator mark batches", async () => {
    const p = await pool();
    const c = { coopSlug: p.coop.slug };
    const { runId } = await runAllocation(rt, p.adminCtx, { period: "2026-W49", allowBackup: false });
    const adjustUrl = `/api/v1/coops/${p.coop.slug}/capacity/runs/${runId}/adjustments`;
    const over = await call(
      adjustments,
      "action",
      testRequest(adjustUrl, {
        headers: p.admin.auth,
        json: { method: "fair", requestId: p.request.id, factoryId: p.factory.id, units: 60 },
      }),
      { ...c, runId },
    );
    expect(over.status).toBe(400);
    expect((over.body as { error: { message: string } }).error.message).toMatch(/breaks a rule/);
    const adjusted = await call(
      adjustments,
      "action",
      testRequest(adjustUrl, {
        headers: p.admin.auth,
        json: { method: "fair", requestId: p.request.id, factoryId: p.factory.id, units: 20 },
      }),
      { ...c, runId },
    );
    expect(adjusted.status).toBe(204);
    const unknownRun = await call(
      adjustments,
      "action",
      testRequest(adjustUrl, {
        headers: p.admin.auth,
        json: { method: "fair", requestId: p.request.id, factoryId: p.factory.id, units: 20 },
      }),
      { ...c, runId: "00000000-0000-4000-8000-000000000000" },
    );
    expect(unknownRun.status).toBe(404);

    // background: true → 202 with a job; the job is readable (and 404 for another co-op's admin).
    const queued = await call(
      runs,
      "action",
      testRequest(`/api/v1/coops/${p.coop.slug}/capacity/runs`, {
        headers: p.admin.auth,
        json: { period: "2026-W49", background: true },
      }),
      c,
    );
    expect(queued.status).toBe(202);
    const { jobId } = queued.body as { jobId: string };
    expect(sentJobs).toContain(jobId);
    const jobUrl = `/api/v1/coops/${p.coop.slug}/capacity/jobs/${jobId}`;
    const job = await call(jobRoute, "loader", testRequest(jobUrl, { headers: p.admin.auth }), { ...c, jobId });
    expect(job.body).toMatchObject({ job: { status: "queued", progress: 0, runId: null } });
    const other = await createCoopWithPeople(rt);
    const foreignJob = await call(
      jobRoute,
      "loader",
      testRequest(jobUrl, { headers: await bearer(other.admin.id, ["capacity:read"]) }),
      { coopSlug: other.coop.slug, jobId },
    );
    expect(foreignJob.status).toBe(404);

    const locked = await call(
      lock,
      "action",
      testRequest(`/api/v1/coops/${p.coop.slug}/capacity/runs/${runId}/lock`, {
        headers: p.admin.auth,
        json: { method: "fair" },
      }),
      { ...c, runId },
    );
    expect(locked.status).toBe(204);
    const mails = (await withSystem(rt, "test", (tx) => tx.select().from(schema.emailOutbox))).filter(
      (m) => m.coopId === p.coop.id && m.template === "capacity-run-locked",
    );
    expect(mails.map((m) => m.toAddress)).toEqual([p.operator.email]);

    const operatorAuth = await bearer(p.operator.id, ["capacity:read", "capacity:write"]);
    const f = { factoryId: p.factory.id };
    const mine = await call(
      work,
      "loader",
      testRequest(`/api/v1/factories/${p.factory.id}/work`, { headers: operatorAuth }),
      f,
    );
    const batches = (mine.body as { work: { allocationId: string; units: number }[] }).work;
    expect(batches.map((b) => b.units)).toEqual([20]);
    const batchUrl = `/api/v1/factories/${p.factory.id}/work/${batches[0]!.allocationId}`;
    const params = { ...f, allocationId: batches[0]!.allocationId };
    const tooEarly = await call(
      workBatch,
      "action",
      testRequest(batchUrl, { headers: operatorAuth, json: { step: "shipped" } }),
      params,
    );
    expect(tooEarly.status).toBe(409);
    const badStep = await call(
      workBatch,
      "action",
      testRequest(batchUrl, { headers: operatorAuth, json: { step: "lost" } }),
      params,
    );
    expect(badStep.status).toBe(400);
    const started = await call(
      workBatch,
      "action",
      testRequest(batchUrl, { headers: operatorAuth, json: { step: "started" } }),
      params,
    );
    expect(started.status).toBe(204);
    const opCtx = { userId: p.operator.id, coopId: p.coop.id, role: "factory_operator", factoryId: p.factory.id };
    expect((await listFactoryWork(rt, opCtx))[0]!.startedAt).not.toBeNull();
    // The admin is no operator; another co-op's operator gets 404; a bad batch id is 404.
    const adminAsOperator = await call(
      work,
      "loader",
      testRequest(`/api/v1/factories/${p.factory.id}/work`, { headers: p.admin.auth }),
      f,
    );
    expect(adminAsOperator.status).toBe(404);
    const foreignOperator = await call(
      workBatch,
      "action",
      testRequest(batchUrl, {
        headers: await bearer(other.operator.id, ["capacity:write"]),
        json: { step: "shipped" },
      }),
      params,
    );
    expect(foreignOperator.status).toBe(404);
    const badId = await call(
      workBatch,
      "action",
      testRequest(`/api/v1/factories/${p.factory.id}/work/nope`, { headers: operatorAuth, json: { step: "shipped" } }),
      { ...f, allocationId: "nope" },
    );
    expect(badId.status).toBe(404);
    const flagged = await call(
      flags,
      "loader",
      testRequest(`/api/v1/coops/${p.coop.slug}/capacity/flags`, { headers: p.admin.auth }),
      c,
    );
    expect(flagged.body).toEqual({ flagged: [] });
  });

  it("lists the new endpoints in the OpenAPI document", async () => {
    const doc = await call(openapi, "loader", testRequest("/api/v1/openapi.json"));
    const paths = Object.keys((doc.body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/coops/{coopSlug}/capacity/weights",
        "/coops/{coopSlug}/capacity/windows/quarter",
        "/coops/{coopSlug}/capacity/runs/{runId}/adjustments",
        "/coops/{coopSlug}/capacity/settings",
        "/coops/{coopSlug}/capacity/lead-times",
        "/coops/{coopSlug}/capacity/flags",
        "/coops/{coopSlug}/capacity/jobs/{jobId}",
        "/factories/{factoryId}/work",
        "/factories/{factoryId}/work/{allocationId}",
      ]),
    );
    expect(JSON.stringify(doc.body)).not.toContain("responses/undefined");
  });
});

describe("capacity pool screen after locking", () => {
  it("queues a background run, shows its status, lead times and flagged batches", async () => {
    const p = await pool();
    const { token } = await signIn(rt, {
      email: p.admin.email,
      password: DEFAULT_TEST_PASSWORD,
      ip: null,
      userAgent: null,
    });
    const path = `/coop/${p.coop.slug}/capacity?period=2026-W49`;
    const queued = await call(
      poolScreen,
      "action",
      testRequest(path, { sessionToken: token, form: { intent: "run", period: "2026-W49", background: "on" } }),
      { coopSlug: p.coop.slug },
    );
    expect(queued.status).toBe(302);
    expect(queued.headers.get("Location")).toBe(path);
    const badSettings = await call(
      poolScreen,
      "action",
      testRequest(path, { sessionToken: token, form: { intent: "settings", offshoreLeadTimeDays: "0" } }),
      { coopSlug: p.coop.slug },
    );
    expect(badSettings.status).toBe(400);
    expect(JSON.stringify(badSettings.body)).toContain("The offshore lead time is at least 1 day");
    const { runId } = await runAllocation(rt, p.adminCtx, { period: "2026-W49", allowBackup: false });
    const { lockAllocationRun, setFactoryActive } = await import("@kiln/capacity");
    await lockAllocationRun(rt, p.adminCtx, { runId, method: "optimal" });
    await setFactoryActive(rt, p.adminCtx, { factoryId: p.factory.id, isActive: false });
    const page = await call(poolScreen, "loader", testRequest(path, { sessionToken: token }), {
      coopSlug: p.coop.slug,
    });
    const data = page.body as {
      jobs: { status: string; period: string }[];
      flagged: { units: number; reason: string; revisedShipBy: string | null }[];
      leadTimes: { offshoreLeadTimeDays: number; factories: unknown[] };
    };
    expect(data.jobs.map((j) => [j.period, j.status])).toEqual([["2026-W49", "queued"]]);
    expect(data.flagged).toEqual([
      expect.objectContaining({ units: 30, reason: "factory_paused", revisedShipBy: null }),
    ]);
    expect(data.leadTimes).toMatchObject({ offshoreLeadTimeDays: 42, factories: [] });
  });
});
