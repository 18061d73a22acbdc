import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import {
  exportLogisticToOnnx,
  getDefaultModelStore,
  rankOffersForMember,
  registerModel,
  type UpliftReport,
} from "@kiln/personalization";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { argsFor, testIp, testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as modelFile from "../../app/app/routes/models.offer-ranker.$file";
import * as beacon from "../../app/app/routes/api.v1.personalization.exposures.$id";
import * as openapi from "../../app/app/routes/api.v1.openapi";
import { ServedArmEnvelope } from "../../app/app/api/openapi-personalization";
import { ErrorResponseSchema } from "../../app/app/api/schemas";
import * as studioPage from "../../app/app/routes/studio.$creatorSlug.personalization";
import { getTestRuntime } from "../setup/runtime";
import { activateSeededModel, createOffersShop } from "./offers-world";

const rt = await getTestRuntime("2026-12-08T10:00:00Z");
const services = testServices(rt);
let shop: Awaited<ReturnType<typeof createOffersShop>>;
let model: Awaited<ReturnType<typeof activateSeededModel>>;

const call = (route: RouteModule, kind: "loader" | "action", request: Request, params: Record<string, string> = {}) =>
  callRoute(services, route, kind, request, params);
async function tokenFor(email: string) {
  return (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;
}

beforeAll(async () => {
  shop = await createOffersShop(rt, { offers: 3 });
  model = await activateSeededModel(rt, shop, 4242);
});
afterAll(async () => {
  await getDefaultModelStore().close();
});

describe("GET /models/offer-ranker/<version>.onnx", () => {
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const file = path.split("/").at(-1)!.split("?")[0]!;
    const args = await argsFor(services, testRequest(path, { headers }), { file });
    return modelFile.loader(args);
  };

  it("serves the active model's bytes, immutable, with its sha256 as ETag", async () => {
    const response = await get(`/models/offer-ranker/${model.version}.onnx?sha256=${model.sha256}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/octet-stream");
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("ETag")).toBe(`"${model.sha256}"`);
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(model.onnx))).toBe(true);
    // Without the hash too (the version alone names it).
    expect((await get(`/models/offer-ranker/${model.version}.onnx`)).status).toBe(200);
    const revalidated = await get(`/models/offer-ranker/${model.version}.onnx`, {
      "If-None-Match": `"${model.sha256}"`,
    });
    expect(revalidated.status).toBe(304);
  });

  it("404s an unknown version, a wrong hash, a never-activated candidate and a bad file name", async () => {
    expect((await get("/models/offer-ranker/no-such-version.onnx")).status).toBe(404);
    expect((await get(`/models/offer-ranker/${model.version}.onnx?sha256=${"0".repeat(64)}`)).status).toBe(404);
    expect((await get(`/models/offer-ranker/${model.version}.onnx?sha256=nothex`)).status).toBe(404);
    expect((await get(`/models/offer-ranker/${model.version}.json`)).status).toBe(404);
    const candidate = `candidate-${Date.now().toString(36)}`;
    await registerModel(rt, {
      coopId: shop.coop.id,
      version: candidate,
      onnx: new Uint8Array(exportLogisticToOnnx({ weights: new Array(16).fill(0.1), bias: 0 }, { version: candidate })),
      card: {},
    });
    const unknown = await get(`/models/offer-ranker/${candidate}.onnx`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("POST /api/v1/personalization/exposures/{id}", () => {
  it("the member reports the served arm of their own exposure; others get 404; bad bodies 400", async () => {
    const member = await createUser(rt);
    const other = await createUser(rt);
    const payload = await rankOffersForMember(rt, {
      creatorSlug: shop.creator.slug,
      memberId: member.id,
      now: rt.clock.now(),
      weights: { device: 1, server: 0, holdout: 0 },
    });
    const path = `/api/v1/personalization/exposures/${payload.exposureId}`;
    const params = { id: payload.exposureId! };
    const token = await tokenFor(member.email);

    const ok = await call(
      beacon,
      "action",
      testRequest(path, { sessionToken: token, json: { servedArm: "device" } }),
      params,
    );
    expect(ok).toMatchObject({ status: 200, body: { exposure: { id: payload.exposureId, servedArm: "device" } } });
    // The bodies are what the OpenAPI document says (parsed with the schemas it is generated from).
    expect(ServedArmEnvelope.safeParse(ok.body).success).toBe(true);

    const bad = await call(
      beacon,
      "action",
      testRequest(path, { sessionToken: token, json: { servedArm: "device", fallbackReason: "time-budget" } }),
      params,
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("fallbackReason");
    const unknownArm = await call(
      beacon,
      "action",
      testRequest(path, { sessionToken: token, json: { servedArm: "moon" } }),
      params,
    );
    expect(unknownArm.status).toBe(400);

    const foreign = await call(
      beacon,
      "action",
      testRequest(path, { sessionToken: await tokenFor(other.email), json: { servedArm: "server" } }),
      params,
    );
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    expect(ErrorResponseSchema.safeParse(foreign.body).success).toBe(true);
    const anonymous = await call(beacon, "action", testRequest(path, { json: { servedArm: "server" } }), params);
    expect(anonymous.status).toBe(401);
    const notUuid = await call(
      beacon,
      "action",
      testRequest("/api/v1/personalization/exposures/x", { sessionToken: token, json: { servedArm: "server" } }),
      { id: "x" },
    );
    expect(notUuid.status).toBe(404);
    expect((await call(beacon, "loader", testRequest(path, { sessionToken: token }), params)).status).toBe(405);
  });

  it("is in the OpenAPI document with its body schema", async () => {
    const doc = (await call(openapi, "loader", testRequest("/api/v1/openapi.json"), {})).body as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.paths["/personalization/exposures/{id}"]?.post).toBeDefined();
    expect(Object.keys(doc.components.schemas.ServedArmReport?.properties ?? {})).toEqual([
      "servedArm",
      "fallbackReason",
    ]);
  });
});

describe("studio personalisation screen", () => {
  it("shows the creator team their arms and the active model; other people get 404", async () => {
    const path = `/studio/${shop.creator.slug}/personalization`;
    const params = { creatorSlug: shop.creator.slug };
    const shown = await call(
      studioPage,
      "loader",
      testRequest(path, { sessionToken: await tokenFor(shop.owner.email) }),
      params,
    );
    expect(shown.status).toBe(200);
    const report = (shown.body as { report: UpliftReport }).report;
    expect(report.arms.map((a) => a.arm)).toEqual(["device", "server", "holdout"]);
    expect(report.activeModel?.version).toBe(model.version);

    const stranger = await createUser(rt);
    const refused = await call(
      studioPage,
      "loader",
      testRequest(path, { sessionToken: await tokenFor(stranger.email) }),
      params,
    );
    expect(refused.status).toBe(404);
  });
});
