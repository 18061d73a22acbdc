import { z } from "zod";

/** Response and request shapes of the compliance endpoints (documented in the OpenAPI document). */
export const FindingSchema = z.object({
  ruleId: z.string(),
  checklistId: z.string(),
  jurisdiction: z.string(),
  pack: z.string(),
  status: z.enum(["pass", "fail", "warn", "skipped"]),
  severity: z.enum(["error", "warning"]),
  title: z.string(),
  citation: z.string(),
  confidence: z.enum(["T", "S", "?"]),
  effectiveFrom: z.string(),
  message: z.object({ en: z.string(), de: z.string() }),
  fix: z.object({ en: z.string(), de: z.string() }),
  detail: z.string(),
  waiver: z.object({ id: z.string(), reason: z.string(), expiresAt: z.string() }).optional(),
});

export const TermsVersionSchema = z.object({
  id: z.uuid(),
  tierId: z.uuid(),
  version: z.number().int(),
  status: z.enum(["draft", "in_review", "approved", "rejected", "superseded"]),
  contentHash: z.string(),
  reviewRound: z.number().int(),
  submittedAt: z.string().nullable(),
  rereviewReason: z.string().nullable(),
  terms: z.record(z.string(), z.unknown()),
});

export const TermsVersionDetailSchema = z.object({
  version: TermsVersionSchema,
  findings: z.array(FindingSchema),
  reviews: z.array(
    z.object({
      reviewerId: z.uuid(),
      decision: z.enum(["approve", "reject"]),
      round: z.number().int(),
      comment: z.string(),
      createdAt: z.string(),
    }),
  ),
});

export const ReviewQueueSchema = z.object({
  queue: z.array(
    z.object({
      id: z.uuid(),
      version: z.number().int(),
      tierId: z.uuid(),
      tierName: z.string(),
      creatorName: z.string(),
      jurisdictions: z.array(z.string()),
      failing: z.number().int().nullable(),
      submittedAt: z.string().nullable(),
      rereviewReason: z.string().nullable(),
    }),
  ),
});

export const DecisionRequestSchema = z.object({
  decision: z.enum(["approve", "reject"]),
  comment: z.string().max(4000).optional(),
});
export const DecisionResponseSchema = z.object({ status: TermsVersionSchema.shape.status });

export const ConsentRecordSchema = z.object({
  id: z.uuid(),
  memberUserId: z.uuid(),
  tierId: z.uuid(),
  termsVersionId: z.uuid(),
  termsHash: z.string(),
  disclosureHash: z.string(),
  disclosureText: z.string(),
  buttonLabel: z.string(),
  checkboxes: z.array(z.object({ name: z.string(), label: z.string(), checked: z.boolean() })),
  priceShown: z.object({ amountMinor: z.number(), currency: z.string(), interval: z.string() }),
  jurisdiction: z.string(),
  locale: z.string(),
  consentedAt: z.string(),
  retainUntil: z.string(),
  personalDataErased: z.boolean(),
});
export const ConsentListSchema = z.object({ consents: z.array(ConsentRecordSchema) });

export const RulePackListSchema = z.object({
  packs: z.array(
    z.object({
      jurisdiction: z.string(),
      name: z.string(),
      version: z.string(),
      extends: z.array(z.string()),
      rules: z.array(
        z.object({
          id: z.string(),
          title: z.string(),
          citation: z.string(),
          effectiveFrom: z.string(),
          effectiveUntil: z.string().nullable(),
          severity: z.string(),
          kind: z.string(),
        }),
      ),
    }),
  ),
});

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toTermsVersion(v: {
  id: string;
  tierId: string;
  version: number;
  status: z.infer<typeof TermsVersionSchema>["status"];
  contentHash: string;
  reviewRound: number;
  submittedAt: Date | null;
  rereviewReason: string | null;
  terms: Record<string, unknown>;
}): z.infer<typeof TermsVersionSchema> {
  return { ...v, submittedAt: iso(v.submittedAt) };
}
