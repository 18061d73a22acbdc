import { eq } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { schema, type Tx } from "@kiln/db";
import { recordConsentIn } from "./consents";
import type { OrderPageRenderer } from "./context";
import { buildDisclosure, termsDates, type Locale } from "./disclosure";
import { evaluateVersion, tierJurisdictions } from "./evaluate-version";
import { checkTierPublishable } from "./publish";
import type { Jurisdiction } from "./rule-packs";
import { TermsSchema, type TermsInput } from "./terms";
import { contentHash } from "./terms-versions";

export interface SeedTierInput {
  coopId: string;
  creatorId: string;
  name: string;
  jurisdictions: string[];
  terms: TermsInput;
  /** The creator (owner) who drafts, submits and publishes. */
  ownerUserId: string;
  /** The independent reviewer who approves (stage approved or live). */
  reviewerUserId?: string;
  stage: "draft" | "in_review" | "approved" | "live";
}

/**
 * Seeds one tier through the same steps the workflow takes (draft → submitted with the engine's
 * findings on the real order page → approved → published through the gate), inside the caller's
 * open transaction (`seedDemo` runs in one system transaction; withTenant cannot nest). Audit
 * entries are written as the workflow writes them. A `live` tier the gate refuses is an error, so
 * the demo never shows a published tier that fails its rules.
 */
export async function seedTierWithTerms(tx: Tx, input: SeedTierInput, render: OrderPageRenderer, at: Date) {
  const terms = TermsSchema.parse(input.terms);
  const [tier] = await tx
    .insert(schema.subscriptionTiers)
    .values({
      coopId: input.coopId,
      creatorId: input.creatorId,
      name: input.name,
      jurisdictions: input.jurisdictions,
    })
    .returning();
  let [version] = await tx
    .insert(schema.termsVersions)
    .values({
      coopId: input.coopId,
      creatorId: input.creatorId,
      tierId: tier!.id,
      version: 1,
      terms,
      contentHash: contentHash(terms),
      createdBy: input.ownerUserId,
    })
    .returning();
  if (input.stage === "draft") return { tier: tier!, version: version! };

  const evaluation = await evaluateVersion(tx, version!, tierJurisdictions(input.jurisdictions), render, at);
  [version] = await tx
    .update(schema.termsVersions)
    .set({ status: "in_review", submittedAt: at, updatedAt: at })
    .where(eq(schema.termsVersions.id, version!.id))
    .returning();
  await appendAudit(tx, at, {
    coopId: input.coopId,
    action: "compliance.terms_submitted",
    actorUserId: input.ownerUserId,
    subjectType: "terms_version",
    subjectId: version!.id,
    data: {
      tierId: tier!.id,
      version: 1,
      contentHash: version!.contentHash,
      failing: evaluation.failing,
      fingerprint: evaluation.fingerprint,
    },
  });
  if (input.stage === "in_review") return { tier: tier!, version: version! };

  if (!input.reviewerUserId) throw new Error("seedTierWithTerms: an approved tier needs a reviewer");
  await tx.insert(schema.termsReviews).values({
    coopId: input.coopId,
    creatorId: input.creatorId,
    termsVersionId: version!.id,
    round: version!.reviewRound,
    reviewerId: input.reviewerUserId,
    decision: "approve",
    comment: "Demo: every rule passes for the jurisdictions this tier sells to.",
  });
  [version] = await tx
    .update(schema.termsVersions)
    .set({ status: "approved", decidedAt: at, updatedAt: at })
    .where(eq(schema.termsVersions.id, version!.id))
    .returning();
  await appendAudit(tx, at, {
    coopId: input.coopId,
    action: "compliance.terms_approval",
    actorUserId: input.reviewerUserId,
    subjectType: "terms_version",
    subjectId: version!.id,
    data: { round: version!.reviewRound, contentHash: version!.contentHash, status: "approved" },
  });
  if (input.stage === "approved") return { tier: tier!, version: version! };

  const check = await checkTierPublishable(tx, tier!.id, render, at);
  if (!check.ok)
    throw new Error(
      `seedTierWithTerms: ${input.name} cannot be published: ${check.blockers.map((b) => `${b.jurisdiction} ${b.ruleId}`).join(", ")}`,
    );
  const [live] = await tx
    .update(schema.subscriptionTiers)
    .set({ status: "live", publishedAt: at, updatedAt: at })
    .where(eq(schema.subscriptionTiers.id, tier!.id))
    .returning();
  await appendAudit(tx, at, {
    coopId: input.coopId,
    action: "compliance.tier_published",
    actorUserId: input.ownerUserId,
    subjectType: "subscription_tier",
    subjectId: tier!.id,
    data: { termsVersionId: version!.id },
  });
  return { tier: live!, version: version! };
}

export interface SeedConsentInput {
  memberUserId: string;
  tierId: string;
  termsVersionId: string;
  jurisdiction: Jurisdiction;
  /** The member's language: the order page (and so the consented text) is shown in it. */
  locale: Locale;
  ip: string;
  userAgent: string;
}

/**
 * A demo member's consent at the order button, written as the order flow writes it (X-C4): the
 * disclosure text, button label and checkbox labels are rebuilt from the approved terms exactly as
 * the order route does, the boxes are ticked as a member must tick them, and recordConsentIn checks
 * the jurisdiction's consent-record rules and audits it with IP and user agent as erasable data.
 */
export async function seedMemberConsent(tx: Tx, input: SeedConsentInput, at: Date) {
  const [version] = await tx
    .select()
    .from(schema.termsVersions)
    .where(eq(schema.termsVersions.id, input.termsVersionId));
  if (!version) throw new Error("seedMemberConsent: no such terms version");
  const terms = TermsSchema.parse(version.terms);
  const model = buildDisclosure(terms, { locale: input.locale, asOf: at });
  return recordConsentIn(
    tx,
    {
      memberUserId: input.memberUserId,
      tierId: input.tierId,
      termsVersionId: input.termsVersionId,
      disclosureText: model.text,
      buttonLabel: model.buttonLabel,
      checkboxes: model.consents.map((c) => ({ name: c.name, label: c.label, checked: true })),
      priceShown: { amountMinor: terms.price.amountMinor, currency: terms.price.currency, interval: terms.interval },
      jurisdiction: input.jurisdiction,
      locale: input.locale,
      trialEndsAt: terms.trial ? termsDates(terms, at).firstCharge : null,
      ip: input.ip,
      userAgent: input.userAgent,
    },
    at,
  );
}
