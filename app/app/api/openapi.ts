import { z } from "zod";
import {
  ApiTokenSchema,
  CreateApiTokenSchema,
  ErrorResponseSchema,
  MeResponseSchema,
  TokenCreatedResponseSchema,
  TokenListResponseSchema,
  UserSchema,
} from "./schemas";
import { billingMemberComponents } from "./billing-member-schemas";
import { billingComponents, billingPaths, memberBillingPaths } from "./openapi-billing";
import { capacityPaths, registerCapacitySchemas } from "./openapi-capacity";
import { complianceComponents, compliancePaths } from "./openapi-compliance";
import { dropsComponents, dropsPaths } from "./openapi-drops";
import { personalizationComponents, personalizationPaths } from "./openapi-personalization";

/** The OpenAPI 3.1 document of /api/v1, generated from the same zod schemas the endpoints use. */
export function buildOpenApiDocument(serverUrl: string) {
  const registry = z.registry<{ id: string }>();
  registry.add(ErrorResponseSchema, { id: "Error" });
  registry.add(UserSchema, { id: "User" });
  registry.add(MeResponseSchema, { id: "MeResponse" });
  registry.add(ApiTokenSchema, { id: "ApiToken" });
  registry.add(TokenListResponseSchema, { id: "TokenList" });
  registry.add(TokenCreatedResponseSchema, { id: "TokenCreated" });
  registry.add(CreateApiTokenSchema, { id: "CreateApiToken" });
  registerCapacitySchemas(registry);
  for (const [schema, id] of complianceComponents) registry.add(schema, { id });
  for (const [schema, id] of billingComponents) registry.add(schema, { id });
  for (const [schema, id] of billingMemberComponents) registry.add(schema, { id });
  for (const [schema, id] of dropsComponents) registry.add(schema, { id });
  for (const [schema, id] of personalizationComponents) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  });
  for (const schema of Object.values(schemas)) delete (schema as { $schema?: unknown }).$schema;

  const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
  const json = (id: string, description: string) => ({
    description,
    content: { "application/json": { schema: ref(id) } },
  });
  const errors = (...statuses: number[]) =>
    Object.fromEntries(
      statuses.map((status) => [String(status), { $ref: `#/components/responses/${ERROR_RESPONSES[status]}` }]),
    );
  const secured = (scope: string) => [{ bearerAuth: [scope] }, { sessionCookie: [] }];

  return {
    openapi: "3.1.0",
    info: {
      title: "Kiln API",
      version: "1.0.0",
      description:
        "Kiln's JSON API. Authenticate with an API token from the account page (`Authorization: Bearer <token>`) " +
        'or a signed-in browser session. Errors are always `{"error": {"code", "message"}}`.',
    },
    servers: [{ url: `${serverUrl}/api/v1` }],
    paths: {
      "/ping": {
        get: {
          operationId: "ping",
          summary: 'The API\'s no-op: answers {"ok": true}, no authentication, no database',
          security: [],
          responses: {
            "200": {
              description: "Reachable",
              content: {
                "application/json": {
                  schema: { type: "object", properties: { ok: { const: true } }, required: ["ok"] },
                },
              },
            },
          },
        },
      },
      "/me": {
        get: {
          operationId: "getMe",
          summary: "The authenticated user",
          security: secured("me:read"),
          responses: { "200": json("MeResponse", "The user"), ...errors(401, 403) },
        },
      },
      "/tokens": {
        get: {
          operationId: "listTokens",
          summary: "The user's API tokens, newest first (never the secrets)",
          security: secured("tokens:read"),
          responses: { "200": json("TokenList", "The tokens"), ...errors(401, 403) },
        },
        post: {
          operationId: "createToken",
          summary: "Create an API token; the secret is in this response only",
          security: secured("tokens:write"),
          requestBody: { required: true, content: { "application/json": { schema: ref("CreateApiToken") } } },
          responses: { "201": json("TokenCreated", "The new token"), ...errors(400, 401, 403) },
        },
      },
      "/tokens/{id}": {
        delete: {
          operationId: "revokeToken",
          summary: "Revoke one of the user's API tokens",
          security: secured("tokens:write"),
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          responses: { "204": { description: "Revoked" }, ...errors(401, 403, 404) },
        },
      },
      ...capacityPaths({ ref, errors, secured }),
      ...compliancePaths({ json, errors, secured, ref }),
      ...billingPaths({ json, ref }),
      ...memberBillingPaths({ json, ref, errors, secured }),
      ...dropsPaths({ json, ref, errors, secured }),
      ...personalizationPaths({ json, ref, errors, secured }),
    },
    components: {
      schemas,
      responses: {
        BadInput: json("Error", "The body failed validation (BAD_INPUT); details lists the issues per field"),
        Unauthenticated: json("Error", "No valid token or session (UNAUTHENTICATED)"),
        Forbidden: json("Error", "The token lacks the scope (FORBIDDEN)"),
        NotFound: json("Error", "No such resource, or not yours (NOT_FOUND)"),
      },
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An API token (kiln_…) with scopes" },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "kiln_session",
          description: "A signed-in browser session",
        },
      },
    },
  };
}

const ERROR_RESPONSES: Record<number, string> = {
  400: "BadInput",
  401: "Unauthenticated",
  403: "Forbidden",
  404: "NotFound",
};
