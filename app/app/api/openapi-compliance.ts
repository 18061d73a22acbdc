import type { z } from "zod";
import {
  ConsentListSchema,
  DecisionRequestSchema,
  DecisionResponseSchema,
  FindingSchema,
  ReviewQueueSchema,
  RulePackListSchema,
  TermsVersionDetailSchema,
  TermsVersionSchema,
} from "./compliance-schemas";
import { evidenceComponents, evidencePaths } from "./evidence-schemas";

/** The compliance endpoints (issue 4) of the OpenAPI document: reviewers of the co-op in the path only. */
export const complianceComponents: Array<[z.ZodType, string]> = [
  [FindingSchema, "Finding"],
  [TermsVersionSchema, "TermsVersion"],
  [TermsVersionDetailSchema, "TermsVersionDetail"],
  [ReviewQueueSchema, "ReviewQueue"],
  [DecisionRequestSchema, "DecisionRequest"],
  [DecisionResponseSchema, "DecisionResponse"],
  [ConsentListSchema, "ConsentList"],
  [RulePackListSchema, "RulePackList"],
  ...evidenceComponents,
];

interface Helpers {
  json: (id: string, description: string) => unknown;
  errors: (...statuses: number[]) => Record<string, unknown>;
  secured: (scope: string) => unknown;
  ref: (id: string) => unknown;
}

export function compliancePaths({ json, errors, secured, ref }: Helpers) {
  const coop = { name: "coopSlug", in: "path", required: true, schema: { type: "string" } };
  const id = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };
  const query = (name: string, format: string) => ({
    name,
    in: "query",
    required: false,
    schema: { type: "string", format },
  });
  return {
    "/rule-packs": {
      get: {
        operationId: "listRulePacks",
        summary: "The jurisdiction rule packs with each rule's citation and effective dates",
        security: secured("compliance:read"),
        responses: { "200": json("RulePackList", "The packs"), ...errors(401, 403) },
      },
    },
    "/compliance/{coopSlug}/queue": {
      get: {
        operationId: "getReviewQueue",
        summary: "Terms versions waiting for review in the co-op (reviewers only)",
        security: secured("compliance:read"),
        parameters: [coop],
        responses: { "200": json("ReviewQueue", "The queue, oldest first"), ...errors(401, 403, 404) },
      },
    },
    "/compliance/{coopSlug}/terms-versions/{id}": {
      get: {
        operationId: "getTermsVersion",
        summary: "A terms version with its latest findings (waivers marked) and review decisions",
        security: secured("compliance:read"),
        parameters: [coop, id],
        responses: { "200": json("TermsVersionDetail", "The version"), ...errors(401, 403, 404) },
      },
    },
    "/compliance/{coopSlug}/terms-versions/{id}/decision": {
      post: {
        operationId: "decideTermsVersion",
        summary: "Approve or reject a version in review (separation of duties applies; rejections need a comment)",
        security: secured("compliance:write"),
        parameters: [coop, id],
        requestBody: { required: true, content: { "application/json": { schema: ref("DecisionRequest") } } },
        responses: {
          "200": json("DecisionResponse", "The version's status after the decision"),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    "/compliance/{coopSlug}/consents": {
      get: {
        operationId: "searchConsents",
        summary: "Consent records of the co-op by member, tier and date (reviewers only)",
        security: secured("compliance:read"),
        parameters: [
          coop,
          query("memberUserId", "uuid"),
          query("tierId", "uuid"),
          query("from", "date-time"),
          query("to", "date-time"),
        ],
        responses: { "200": json("ConsentList", "Matching consents, oldest first"), ...errors(400, 401, 403, 404) },
      },
    },
    ...evidencePaths({ json, errors, secured }),
  };
}
