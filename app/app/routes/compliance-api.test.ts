import { describe, expect, it } from "vitest";
import { createApiToken } from "@kiln/auth";
import { createTermsDraft, submitTermsVersion } from "@kiln/compliance";
import { createCoopWithPeople, createSubscriptionTier } from "@kiln/seed";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { sampleTermsFor } from "../../../tests/compliance/samples";
import { renderOrderPage } from "../compliance.server";
import { argsFor, settle, testRequest, testServices } from "../testing/context";
import * as consents from "./api.v1.compliance.$coopSlug.consents";
import * as queue from "./api.v1.compliance.$coopSlug.queue";
import * as version from "./api.v1.compliance.$coopSlug.terms-versions.$id";
import * as decision from "./api.v1.compliance.$coopSlug.terms-versions.$id.decision";
import * as openapi from "./api.v1.openapi";
import * as rulePacks from "./api.v1.rule-packs";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
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

async function submittedVersion() {
  const p = await createCoopWithPeople(rt);
  const tier = await createSubscriptionTier(rt, { coopId: p.coop.id, creatorId: p.creator.id, jurisdictions: ["DE"] });
  const creator = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
  const v = await createTermsDraft(rt, creator, { tierId: tier.id, terms: sampleTermsFor("DE").terms });
  await submitTermsVersion(rt, creator, { termsVersionId: v.id }, renderOrderPage);
  const token = async (userId: string, scopes: string[]) => ({
    Authorization: `Bearer ${(await createApiToken(rt, userId, { name: "t", scopes })).token}`,
  });
  return { p, v, token };
}

describe("/api/v1 compliance", () => {
  it("a reviewer reads the queue and a version's findings with citations, then approves it", async () => {
    const { p, v, token } = await submittedVersion();
    const headers = await token(p.reviewer.id, ["compliance:read", "compliance:write"]);
    const params = { coopSlug: p.coop.slug, id: v.id };
    const q = await call(queue, "loader", testRequest(`/api/v1/compliance/${p.coop.slug}/queue`, { headers }), params);
    expect(q.status, JSON.stringify(q.body)).toBe(200);
    expect((q.body as { queue: Array<{ id: string }> }).queue.map((x) => x.id)).toContain(v.id);
    const detail = await call(
      version,
      "loader",
      testRequest(`/api/v1/compliance/${p.coop.slug}/terms-versions/${v.id}`, { headers }),
      params,
    );
    const findings = (detail.body as { findings: Array<{ ruleId: string; citation: string; status: string }> })
      .findings;
    const c2 = findings.find((f) => f.ruleId === "X-C2");
    expect(c2?.status).toBe("pass");
    expect(c2?.citation).toContain("§ 312j");
    const decided = await call(
      decision,
      "action",
      testRequest(`/api/v1/compliance/${p.coop.slug}/terms-versions/${v.id}/decision`, {
        headers,
        json: { decision: "approve" },
      }),
      params,
    );
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body).toEqual({ status: "approved" });
  });

  it("the creator, a reviewer of another co-op and a token without the scope are refused", async () => {
    const { p, v, token } = await submittedVersion();
    const params = { coopSlug: p.coop.slug, id: v.id };
    const url = `/api/v1/compliance/${p.coop.slug}/terms-versions/${v.id}`;
    const asCreator = await call(
      version,
      "loader",
      testRequest(url, { headers: await token(p.owner.id, ["compliance:read"]) }),
      params,
    );
    expect(asCreator.status).toBe(404);
    const b = await createCoopWithPeople(rt);
    const foreign = await call(
      version,
      "loader",
      testRequest(url, { headers: await token(b.reviewer.id, ["compliance:read"]) }),
      { coopSlug: b.coop.slug, id: v.id },
    );
    expect(foreign.status).toBe(404);
    const noScope = await call(
      consents,
      "loader",
      testRequest(`/api/v1/compliance/${p.coop.slug}/consents`, { headers: await token(p.reviewer.id, ["me:read"]) }),
      params,
    );
    expect(noScope.status).toBe(403);
  });

  it("lists rule packs and documents the endpoints in OpenAPI", async () => {
    const { p, token } = await submittedVersion();
    const packs = await call(
      rulePacks,
      "loader",
      testRequest("/api/v1/rule-packs", { headers: await token(p.reviewer.id, ["compliance:read"]) }),
    );
    expect((packs.body as { packs: Array<{ jurisdiction: string }> }).packs.map((x) => x.jurisdiction)).toContain(
      "US-CA",
    );
    const doc = await call(openapi, "loader", testRequest("/api/v1/openapi.json"));
    const paths = Object.keys((doc.body as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/compliance/{coopSlug}/queue",
        "/compliance/{coopSlug}/terms-versions/{id}/decision",
        "/compliance/{coopSlug}/consents",
        "/rule-packs",
      ]),
    );
  });
});
