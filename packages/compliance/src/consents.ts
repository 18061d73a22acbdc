import { createHash } from "node:crypto";
import { and, asc, eq, gte, inArray, isNotNull, isNull, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { requireActor } from "./context";
import { evaluateRule } from "./engine";
import { JurisdictionSchema, rulesFor, type Jurisdiction } from "./rule-packs";
import { TermsSchema } from "./terms";

export const ConsentInputSchema = z.object({
  memberUserId: z.uuid(),
  tierId: z.uuid(),
  termsVersionId: z.uuid(),
  /** The plain text of the disclosure block the member saw (hashed and kept). */
  disclosureText: z.string().min(20),
  buttonLabel: z.string().min(2),
  checkboxes: z.array(z.object({ name: z.string(), label: z.string().min(5), checked: z.boolean() })).min(1),
  priceShown: z.object({
    amountMinor: z.number().int().nonnegative(),
    currency: z.string().length(3),
    interval: z.string(),
  }),
  jurisdiction: JurisdictionSchema,
  locale: z.enum(["en", "de"]),
  trialEndsAt: z.coerce.date().nullish(),
  /** Personal data, stored beside the audit chain and erased after retention. */
  ip: z.string().max(100).nullish(),
  userAgent: z.string().max(1000).nullish(),
  /**
   * The order's setup Checkout Session (billing): at most one consent per session. A second call for
   * the same session (double press, retry) returns the consent already recorded instead of a new one.
   */
  checkoutSessionId: z.string().min(3).max(255).nullish(),
});
export type ConsentInput = z.input<typeof ConsentInputSchema>;

const YEAR = 365.25 * 86_400_000;
const add = (d: Date, ms: number) => new Date(d.getTime() + ms);
const later = (...dates: Date[]) => new Date(Math.max(...dates.map((d) => d.getTime())));

/**
 * How long a consent record is kept: the longest applicable rule. California (applied everywhere,
 * being the only fixed period found): max(3 years from consent, 1 year after the contract ends),
 * § 17602(a)(6). EU/UK (design assumption, research §8.7): withdrawal period + 12 months + a 3-year
 * limitation period, and 3 years after the contract ends.
 */
export function retainUntil(jurisdiction: Jurisdiction, consentedAt: Date, contractEndedAt?: Date | null): Date {
  const candidates = [add(consentedAt, 3 * YEAR)];
  if (contractEndedAt) candidates.push(add(contractEndedAt, YEAR));
  if (jurisdiction === "EU" || jurisdiction === "DE" || jurisdiction === "UK") {
    candidates.push(add(consentedAt, 14 * 86_400_000 + 4 * YEAR));
    if (contractEndedAt) candidates.push(add(contractEndedAt, 3 * YEAR));
  }
  return later(...candidates);
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * Records a member's consent at the order button (X-C4), for billing and drops. Runs in the system
 * context (a member acts across tenants): the terms version must be the tier's approved one; the
 * record must satisfy the jurisdiction's consent-record rules; the auto-renew box must be ticked.
 * One audit entry per consent, with IP and user agent as erasable personal data beside the chain.
 */
export async function recordConsent(rt: Runtime, input: ConsentInput) {
  return withSystem(rt, "consent", (tx) => recordConsentIn(tx, input, rt.clock.now()));
}

/** recordConsent inside the caller's system transaction (the demo seed records its members' consents so). */
export async function recordConsentIn(tx: Tx, input: ConsentInput, now: Date) {
  const parsed = ConsentInputSchema.safeParse(input);
  if (!parsed.success)
    throw new AppError("BAD_INPUT", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const c = parsed.data;
  const [row] = await tx
    .select({ version: schema.termsVersions, tier: schema.subscriptionTiers })
    .from(schema.termsVersions)
    .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.termsVersions.tierId))
    .where(and(eq(schema.termsVersions.id, c.termsVersionId), eq(schema.termsVersions.tierId, c.tierId)));
  if (!row) throw new AppError("NOT_FOUND", "Not found");
  if (row.version.status !== "approved") throw new AppError("CONFLICT", "These terms are not approved for sale");
  if (!row.tier.jurisdictions.includes(c.jurisdiction))
    throw new AppError("CONFLICT", `This tier is not sold in ${c.jurisdiction}`);
  const autoRenew = c.checkboxes.find((b) => b.name === "auto-renew");
  if (TermsSchema.parse(row.version.terms).renewal.automatic && !autoRenew?.checked)
    throw new AppError("BAD_INPUT", "The member did not tick the automatic-renewal consent", {
      fields: { checkboxes: ["auto-renew must be ticked"] },
    });

  const record = {
    memberUserId: c.memberUserId,
    termsHash: row.version.contentHash,
    disclosureHash: sha256(c.disclosureText),
    disclosureText: c.disclosureText,
    buttonLabel: c.buttonLabel,
    checkboxes: c.checkboxes,
    priceShown: c.priceShown,
    jurisdiction: c.jurisdiction,
    locale: c.locale,
    consentedAt: now.toISOString(),
  };
  for (const { rule, pack } of rulesFor(c.jurisdiction).filter((r) => r.rule.check.kind === "consent-record")) {
    const finding = evaluateRule(rule, pack, c.jurisdiction, {
      terms: TermsSchema.parse(row.version.terms),
      jurisdictions: [c.jurisdiction],
      locale: c.locale,
      at: now,
      pages: { order: "" },
      record,
    });
    if (finding.status === "fail") throw new AppError("BAD_INPUT", `${rule.id}: ${finding.detail}`);
  }

  if (c.checkoutSessionId) {
    // Serialises concurrent presses for one session (the unique index is the last wall).
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`kiln-consent:${c.checkoutSessionId}`}, 0))`);
    const [existing] = await tx
      .select()
      .from(schema.consents)
      .where(eq(schema.consents.checkoutSessionId, c.checkoutSessionId));
    if (existing) {
      if (
        existing.memberUserId !== c.memberUserId ||
        existing.tierId !== c.tierId ||
        existing.termsVersionId !== c.termsVersionId
      )
        throw new AppError("CONFLICT", "This card session was used for another order: add the card again");
      return existing;
    }
  }

  const id = crypto.randomUUID();
  const { seq } = await appendAudit(tx, now, {
    coopId: row.tier.coopId,
    action: "compliance.consent_recorded",
    actorUserId: c.memberUserId,
    subjectType: "consent",
    subjectId: id,
    data: {
      tierId: c.tierId,
      termsVersionId: c.termsVersionId,
      termsHash: record.termsHash,
      disclosureHash: record.disclosureHash,
      buttonLabel: c.buttonLabel,
      jurisdiction: c.jurisdiction,
    },
    personalData: { ip: c.ip ?? null, userAgent: c.userAgent ?? null },
    subjectUserId: c.memberUserId,
  });
  const [entry] = await tx
    .select({ personalDataId: schema.auditLog.personalDataId })
    .from(schema.auditLog)
    .where(and(eq(schema.auditLog.coopId, row.tier.coopId), eq(schema.auditLog.seq, seq)));
  const [consent] = await tx
    .insert(schema.consents)
    .values({
      id,
      coopId: row.tier.coopId,
      creatorId: row.tier.creatorId,
      memberUserId: c.memberUserId,
      tierId: c.tierId,
      termsVersionId: c.termsVersionId,
      termsHash: record.termsHash,
      disclosureHash: record.disclosureHash,
      disclosureText: c.disclosureText,
      buttonLabel: c.buttonLabel,
      checkboxes: c.checkboxes,
      priceShown: c.priceShown,
      jurisdiction: c.jurisdiction,
      locale: c.locale,
      trialEndsAt: c.trialEndsAt ?? null,
      consentedAt: now,
      retainUntil: retainUntil(c.jurisdiction, now),
      personalDataId: entry?.personalDataId ?? null,
      auditSeq: seq,
      isExpressStartRequest: c.checkboxes.some((b) => b.name === "express-start" && b.checked),
      checkoutSessionId: c.checkoutSessionId ?? null,
    })
    .returning();
  return consent!;
}

/** Billing calls this when the contract ends: retention becomes the longer rule (1 year after the end for CA). */
export async function markContractEnded(rt: Runtime, input: { consentId: string; endedAt: Date }) {
  return withSystem(rt, "consent-contract-ended", async (tx) => {
    const [c] = await tx.select().from(schema.consents).where(eq(schema.consents.id, input.consentId));
    if (!c) throw new AppError("NOT_FOUND", "Not found");
    const until = retainUntil(JurisdictionSchema.parse(c.jurisdiction), c.consentedAt, input.endedAt);
    await tx
      .update(schema.consents)
      .set({ contractEndedAt: input.endedAt, retainUntil: later(until, c.retainUntil) })
      .where(eq(schema.consents.id, c.id));
  });
}

/**
 * Retention job: past a consent's retain-until date, its IP and user agent (beside the audit chain)
 * are erased; the consent's proof (hashes, texts, labels) stays, and the chain keeps verifying.
 */
export async function eraseExpiredConsentData(rt: Runtime): Promise<{ erased: number }> {
  const now = rt.clock.now();
  return withSystem(rt, "consent-retention", async (tx) => {
    const due = await tx
      .select({
        id: schema.consents.id,
        coopId: schema.consents.coopId,
        personalDataId: schema.consents.personalDataId,
      })
      .from(schema.consents)
      .where(
        and(
          lte(schema.consents.retainUntil, now),
          isNull(schema.consents.personalDataErasedAt),
          isNotNull(schema.consents.personalDataId),
        ),
      );
    if (!due.length) return { erased: 0 };
    await tx
      .update(schema.auditPersonalData)
      .set({ data: null, erasedAt: sql`kiln_now()` })
      .where(
        inArray(
          schema.auditPersonalData.id,
          due.map((d) => d.personalDataId!),
        ),
      );
    await tx
      .update(schema.consents)
      .set({ personalDataErasedAt: now })
      .where(
        inArray(
          schema.consents.id,
          due.map((d) => d.id),
        ),
      );
    const perCoop = new Map<string, number>();
    for (const d of due) perCoop.set(d.coopId, (perCoop.get(d.coopId) ?? 0) + 1);
    for (const [coopId, records] of perCoop)
      await appendAudit(tx, now, { coopId, action: "compliance.consent_personal_data_erased", data: { records } });
    return { erased: due.length };
  });
}

export const ConsentSearchSchema = z.object({
  memberUserId: z.uuid().optional(),
  /** Resolved only to members who have a consent in the reviewer's co-op (reviewers cannot read users). */
  memberEmail: z.email().trim().toLowerCase().optional(),
  tierId: z.uuid().optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

/**
 * A member email → the ids of users with that email who consented in this co-op. Runs in the system
 * context (reviewers cannot read users) but only ever answers with members of the co-op's own consent
 * records, so an unknown email and someone who never consented here look alike (an empty list).
 */
async function memberIdsByEmail(rt: Runtime, coopId: string, email: string): Promise<string[]> {
  const rows = await withSystem(rt, "consent-search-email", (tx) =>
    tx
      .selectDistinct({ id: schema.users.id })
      .from(schema.users)
      .innerJoin(schema.consents, eq(schema.consents.memberUserId, schema.users.id))
      .where(and(eq(schema.users.email, email), eq(schema.consents.coopId, coopId))),
  );
  return rows.map((r) => r.id);
}

/** Reviewers (and co-op admins) search their co-op's consents by member (id or email), tier and date. */
export async function searchConsents(
  rt: Runtime,
  actor: TenantContext,
  input: z.input<typeof ConsentSearchSchema> = {},
) {
  const a = requireActor(actor);
  if (a.role !== "compliance_reviewer" && a.role !== "coop_admin") throw new AppError("NOT_FOUND", "Not found");
  const q = ConsentSearchSchema.parse(input);
  const byEmail = q.memberEmail ? await memberIdsByEmail(rt, a.coopId, q.memberEmail) : undefined;
  if (byEmail && byEmail.length === 0) return [];
  return withTenant(rt, a, (tx) =>
    tx
      .select()
      .from(schema.consents)
      .where(
        and(
          eq(schema.consents.coopId, a.coopId),
          q.memberUserId ? eq(schema.consents.memberUserId, q.memberUserId) : undefined,
          byEmail ? inArray(schema.consents.memberUserId, byEmail) : undefined,
          q.tierId ? eq(schema.consents.tierId, q.tierId) : undefined,
          q.from ? gte(schema.consents.consentedAt, q.from) : undefined,
          q.to ? lte(schema.consents.consentedAt, q.to) : undefined,
        ),
      )
      .orderBy(asc(schema.consents.consentedAt))
      .limit(q.limit),
  );
}
