import { z } from "zod";
import { AppError } from "@kiln/core";

/**
 * The evidence-pack endpoints (issue 6 item 4): the query they take and the pack they answer with,
 * registered in the OpenAPI document beside the compliance endpoints.
 */
export const EvidenceQuerySchema = z
  .object({
    memberUserId: z.uuid().optional(),
    tierId: z.uuid().optional(),
    subscriptionId: z.uuid().optional(),
    lang: z.enum(["en", "de"]).default("en"),
  })
  .refine((q) => [q.memberUserId, q.tierId, q.subscriptionId].filter(Boolean).length === 1, {
    message: "Name exactly one of memberUserId, tierId, subscriptionId",
  });

export function parseApiQuery<S extends z.ZodType>(request: Request, schema: S): z.output<S> {
  const parsed = schema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success)
    throw new AppError(
      "BAD_INPUT",
      parsed.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`).join("; "),
    );
  return parsed.data;
}

const Rows = z.array(z.record(z.string(), z.unknown()));
const AuditEntry = z.object({
  seq: z.number().int(),
  prevHash: z.string(),
  hash: z.string(),
  action: z.string(),
  actorUserId: z.string().nullable(),
  subjectType: z.string().nullable(),
  subjectId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  personalDataId: z.string().nullable(),
  occurredAt: z.string(),
});

/** The pack (canonical JSON). `packHash` = SHA-256 of the rest; `mac` signs it with the checkpoint key. */
export const EvidencePackSchema = z.object({
  format: z.literal("kiln.evidence-pack/1"),
  generatedAt: z.string(),
  generatedBy: z.object({ userId: z.string(), role: z.string() }),
  coop: z.object({ id: z.string(), slug: z.string(), name: z.string() }),
  scope: z.object({
    kind: z.enum(["member", "tier", "subscription"]),
    memberUserId: z.string().nullable(),
    tierId: z.string().nullable(),
    subscriptionId: z.string().nullable(),
  }),
  member: z.object({ id: z.string(), email: z.string() }).nullable(),
  tiers: Rows,
  termsVersions: Rows,
  waivers: Rows,
  consents: Rows,
  subscriptions: Rows,
  notices: Rows.nullable(),
  priceChanges: Rows.nullable(),
  cancellations: Rows.nullable(),
  withdrawals: Rows.nullable(),
  refunds: Rows.nullable(),
  audit: z.object({
    coopId: z.string(),
    relevantSeqs: z.array(z.number().int()),
    entries: z.array(AuditEntry),
    checkpoint: z
      .object({ coopId: z.string(), seq: z.number().int(), hash: z.string(), at: z.string(), mac: z.string() })
      .nullable(),
  }),
  packHash: z.string(),
  mac: z.string(),
});

export const evidenceComponents: Array<[z.ZodType, string]> = [[EvidencePackSchema, "EvidencePack"]];

interface Helpers {
  json: (id: string, description: string) => unknown;
  errors: (...statuses: number[]) => Record<string, unknown>;
  secured: (scope: string) => unknown;
}

export function evidencePaths({ json, errors, secured }: Helpers) {
  const coop = { name: "coopSlug", in: "path", required: true, schema: { type: "string" } };
  const scope = ["memberUserId", "tierId", "subscriptionId"].map((name) => ({
    name,
    in: "query",
    required: false,
    description: "Name exactly one of memberUserId, tierId, subscriptionId",
    schema: { type: "string", format: "uuid" },
  }));
  return {
    "/compliance/{coopSlug}/evidence": {
      get: {
        operationId: "getEvidencePack",
        summary:
          "The signed evidence pack of a member, tier or subscription: terms versions, consents with the disclosure shown, notices, cancellations, withdrawals, refunds and the audit chain proof (reviewers only; audited)",
        security: secured("compliance:read"),
        parameters: [coop, ...scope],
        responses: { "200": json("EvidencePack", "The pack as canonical JSON"), ...errors(400, 401, 403, 404) },
      },
    },
    "/compliance/{coopSlug}/evidence/pdf": {
      get: {
        operationId: "getEvidencePackPdf",
        summary: "The same evidence pack as a readable PDF (reviewers only; audited)",
        security: secured("compliance:read"),
        parameters: [
          coop,
          ...scope,
          { name: "lang", in: "query", required: false, schema: { type: "string", enum: ["en", "de"] } },
        ],
        responses: {
          "200": {
            description: "The PDF",
            content: { "application/pdf": { schema: { type: "string", format: "binary" } } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
  };
}
