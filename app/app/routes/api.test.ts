import { describe, expect, it } from "vitest";
import { createApiToken, signIn } from "@kiln/auth";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { argsFor, settle, testRequest, testServices } from "../testing/context";
import * as notFoundRoute from "./api.v1.$";
import * as me from "./api.v1.me";
import * as openapi from "./api.v1.openapi";
import * as tokens from "./api.v1.tokens";
import * as tokenById from "./api.v1.tokens.$id";

const rt = await getTestRuntime();
const services = testServices(rt);
/** The API's error shape, exactly: {"error": {"code", "message"}}. */
function expectErrorShape(body: unknown) {
  const { error, ...rest } = body as { error: { code: unknown; message: unknown } };
  expect(rest).toEqual({});
  expect(Object.keys(error).sort()).toEqual(["code", "message"]);
  expect(typeof error.code).toBe("string");
  expect(typeof error.message).toBe("string");
}

async function tokenWith(scopes: string[]) {
  const user = await createUser(rt);
  const { token } = await createApiToken(rt, user.id, { name: "test", scopes });
  return { user, bearer: { Authorization: `Bearer ${token}` } };
}

const call = async (
  route: { loader?: unknown; action?: unknown },
  kind: "loader" | "action",
  request: Request,
  params: Record<string, string> = {},
) => {
  const fn = route[kind] as (args: unknown) => Promise<unknown>;
  return settle(async () => fn(await argsFor(services, request, params)));
};

describe("/api/v1 authentication and errors", () => {
  it("answers without a token with 401 in the error shape", async () => {
    const result = await call(me, "loader", testRequest("/api/v1/me"));
    expect(result.status).toBe(401);
    expect(result.body).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    expect(result.headers.get("WWW-Authenticate")).toMatch(/Bearer/);
  });

  it("answers an unknown or malformed token with 401", async () => {
    for (const value of ["Bearer kiln_nope", "Basic abc", "Bearer"]) {
      const result = await call(me, "loader", testRequest("/api/v1/me", { headers: { Authorization: value } }));
      expect(result.status).toBe(401);
      expectErrorShape(result.body);
    }
  });

  it("answers a token without the scope with 403, and with it 200", async () => {
    const { user, bearer } = await tokenWith(["tokens:read"]);
    const denied = await call(me, "loader", testRequest("/api/v1/me", { headers: bearer }));
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: "FORBIDDEN" } });
    const list = await call(tokens, "loader", testRequest("/api/v1/tokens", { headers: bearer }));
    expect(list.status).toBe(200);
    expect((list.body as { tokens: unknown[] }).tokens).toHaveLength(1);

    const allowed = await tokenWith(["me:read"]);
    const ok = await call(me, "loader", testRequest("/api/v1/me", { headers: allowed.bearer }));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ user: { id: allowed.user.id, email: allowed.user.email } });
    expect(JSON.stringify(ok.body)).not.toContain("password");
    expect(user.id).not.toBe(allowed.user.id);
  });

  it("accepts the browser session instead of a token", async () => {
    const user = await createUser(rt);
    const { token } = await signIn(rt, {
      email: user.email,
      password: DEFAULT_TEST_PASSWORD,
      ip: null,
      userAgent: null,
    });
    const result = await call(me, "loader", testRequest("/api/v1/me", { sessionToken: token }));
    expect(result.status).toBe(200);
  });

  it("validates bodies with zod: 400 with the issues, nothing created", async () => {
    const { bearer } = await tokenWith(["tokens:read", "tokens:write"]);
    const bad = await call(
      tokens,
      "action",
      testRequest("/api/v1/tokens", { json: { name: "", scopes: ["root"] }, headers: bearer }),
    );
    expect(bad.status).toBe(400);
    const { error } = bad.body as { error: { code: string; message: string; details: Record<string, string[]> } };
    expect(error.code).toBe("BAD_INPUT");
    expect(error.message).toMatch(/name/);
    expect(Object.keys(error.details)).toEqual(expect.arrayContaining(["name", "scopes.0"]));
    const notJson = await call(
      tokens,
      "action",
      testRequest("/api/v1/tokens", { method: "POST", headers: { ...bearer, "Content-Type": "text/plain" } }),
    );
    expect(notJson.status).toBe(400);
    const list = await call(tokens, "loader", testRequest("/api/v1/tokens", { headers: bearer }));
    expect((list.body as { tokens: unknown[] }).tokens).toHaveLength(1);
  });

  it("creates a token (secret once), lists it without the secret, revokes it; foreign ids are 404", async () => {
    const { bearer } = await tokenWith(["tokens:read", "tokens:write"]);
    const created = await call(
      tokens,
      "action",
      testRequest("/api/v1/tokens", { json: { name: "ci", scopes: ["me:read"], expiresInDays: 30 }, headers: bearer }),
    );
    expect(created.status).toBe(201);
    const { token, record } = created.body as { token: string; record: { id: string; expiresAt: string } };
    expect(token).toMatch(/^kiln_/);
    expect(record.expiresAt).toBeTruthy();
    const list = await call(tokens, "loader", testRequest("/api/v1/tokens", { headers: bearer }));
    expect(JSON.stringify(list.body)).not.toContain(token);

    const other = await tokenWith(["tokens:write"]);
    const foreign = await call(
      tokenById,
      "action",
      testRequest(`/api/v1/tokens/${record.id}`, { method: "DELETE", headers: other.bearer }),
      { id: record.id },
    );
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ error: { code: "NOT_FOUND" } });

    const revoked = await call(
      tokenById,
      "action",
      testRequest(`/api/v1/tokens/${record.id}`, { method: "DELETE", headers: bearer }),
      { id: record.id },
    );
    expect(revoked.status).toBe(204);
    const after = await call(
      me,
      "loader",
      testRequest("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } }),
    );
    expect(after.status).toBe(401);
  });

  it("answers unknown paths and wrong methods in the error shape", async () => {
    const missing = await call(notFoundRoute, "loader", testRequest("/api/v1/nothing"));
    expect(missing.status).toBe(404);
    expectErrorShape(missing.body);
    const wrong = await call(me, "action", testRequest("/api/v1/me", { method: "POST" }));
    expect(wrong.status).toBe(405);
    expectErrorShape(wrong.body);
  });
});

describe("/api/v1/openapi.json", () => {
  it("is an OpenAPI 3.1 document generated from the zod schemas", async () => {
    const result = await call(openapi, "loader", testRequest("/api/v1/openapi.json"));
    expect(result.status).toBe(200);
    const doc = result.body as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { type?: string; properties?: Record<string, unknown> }> };
    };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/me", "/tokens", "/tokens/{id}"]));
    expect(doc.paths["/me"]?.get?.responses["200"]).toBeDefined();
    // The request body schema is the form's zod schema: same fields, same limits.
    const create = doc.components.schemas.CreateApiToken!;
    expect(create.type).toBe("object");
    expect(Object.keys(create.properties ?? {})).toEqual(["name", "scopes", "expiresInDays"]);
    expect(JSON.stringify(create)).toContain("me:read");
    // Every $ref points at a schema or response that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(0);
    const components = doc.components as unknown as Record<string, Record<string, unknown>>;
    for (const [, kind, name] of refs) expect(components[kind!]?.[name!], `${kind}/${name}`).toBeDefined();
  });
});
