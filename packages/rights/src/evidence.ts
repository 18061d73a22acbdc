import { createHash, createHmac } from "node:crypto";
import { and, asc, desc, eq, gte, inArray, lte, or } from "drizzle-orm";
import { z } from "zod";
import { appendAudit, canonicalJson, readCheckpoints, writeCheckpoint, type Checkpoint } from "@kiln/audit";
import { requireReviewer, type Actor } from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { evidenceSections, plain, type AuditSubject, type EvidenceScopeIds } from "./evidence-sections";

/**
 * The reviewer's evidence pack (issue 6 item 4, consumer-law-2026.md §8.7): for one member of a co-op,
 * one tier or one subscription, everything a regulator or the member may ask for — terms versions with
 * their hashes, diff chain and reviews; consents with the exact disclosure shown; subscriptions;
 * notices, cancellations, withdrawals and refunds; and the audit chain proof: the entries concerning
 * those objects with enough chain around them to recompute every hash up to a signed checkpoint.
 *
 * The pack is canonical JSON. `packHash` is the SHA-256 of the canonical body; `mac` signs it with the
 * audit checkpoint key (domain-separated), so changing any field fails `verifyEvidencePack`.
 */
export const EVIDENCE_FORMAT = "kiln.evidence-pack/1";
export const PACK_MAC_DOMAIN = "kiln.evidence-pack.v1\n";

export const EvidenceScopeSchema = z
  .object({
    memberUserId: z.uuid().optional(),
    memberEmail: z.email().trim().toLowerCase().optional(),
    tierId: z.uuid().optional(),
    subscriptionId: z.uuid().optional(),
  })
  .refine((s) => [s.memberUserId, s.memberEmail, s.tierId, s.subscriptionId].filter(Boolean).length === 1, {
    message: "Name exactly one of: a member (id or email), a tier, a subscription",
  });
export type EvidenceScopeInput = z.input<typeof EvidenceScopeSchema>;

export const EvidenceLocaleSchema = z.enum(["en", "de"]);
export type EvidenceLocale = z.infer<typeof EvidenceLocaleSchema>;

export interface EvidenceOptions {
  /** Folder of the signed audit checkpoints (config.checkpointDir). */
  checkpointDir: string;
  /** The checkpoint HMAC key (config.auditCheckpointKey); also signs the pack. */
  key: string;
}

export interface PackAuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
  action: string;
  actorUserId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
  personalDataId: string | null;
  occurredAt: string;
}

export interface EvidencePackBody {
  format: typeof EVIDENCE_FORMAT;
  generatedAt: string;
  generatedBy: { userId: string; role: string };
  coop: { id: string; slug: string; name: string };
  scope: {
    kind: "member" | "tier" | "subscription";
    memberUserId: string | null;
    tierId: string | null;
    subscriptionId: string | null;
  };
  /** The member the pack is about (member and subscription scopes); the email identifies them. */
  member: { id: string; email: string } | null;
  tiers: Array<Record<string, unknown>>;
  termsVersions: Array<Record<string, unknown>>;
  waivers: Array<Record<string, unknown>>;
  consents: Array<Record<string, unknown>>;
  subscriptions: Array<Record<string, unknown>>;
  notices: Array<Record<string, unknown>> | null;
  priceChanges: Array<Record<string, unknown>> | null;
  cancellations: Array<Record<string, unknown>> | null;
  withdrawals: Array<Record<string, unknown>> | null;
  refunds: Array<Record<string, unknown>> | null;
  audit: {
    coopId: string;
    /** The seqs of the entries that concern the pack's objects. */
    relevantSeqs: number[];
    /** Every entry from the first relevant one to the checkpoint's, in order (recomputable). */
    entries: PackAuditEntry[];
    checkpoint: Checkpoint | null;
  };
}

export interface EvidencePack extends EvidencePackBody {
  packHash: string;
  mac: string;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

export const packBodyOf = (pack: EvidencePack | EvidencePackBody): EvidencePackBody => {
  const { packHash: _h, mac: _m, ...body } = pack as EvidencePack;
  return body;
};
export const packHashOf = (body: EvidencePackBody) => sha256(canonicalJson(body));
export const packMacOf = (key: string, packHash: string) =>
  createHmac("sha256", key).update(`${PACK_MAC_DOMAIN}${packHash}`, "utf8").digest("hex");

const notFound = () => new AppError("NOT_FOUND", "Not found");
const uniq = <T>(xs: T[]) => [...new Set(xs)];

/** Resolves the scope to ids inside the reviewer's co-op; anything outside it is NOT_FOUND. */
async function resolveScope(tx: Tx, coopId: string, scope: z.output<typeof EvidenceScopeSchema>) {
  let memberUserId: string | null = scope.memberUserId ?? null;
  let subscriptionId: string | null = null;
  let tierId: string | null = null;
  if (scope.memberEmail) {
    // Only members with a consent or a subscription in this co-op are found: an unknown email and a
    // member of another co-op look alike.
    const [user] = await tx
      .select({ id: schema.users.id })
      .from(schema.users)
      .where(eq(schema.users.email, scope.memberEmail));
    memberUserId = user?.id ?? null;
    if (!memberUserId) throw notFound();
  }
  if (scope.subscriptionId) {
    const [sub] = await tx
      .select({ id: schema.subscriptions.id, memberUserId: schema.subscriptions.memberUserId })
      .from(schema.subscriptions)
      .where(and(eq(schema.subscriptions.id, scope.subscriptionId), eq(schema.subscriptions.coopId, coopId)));
    if (!sub) throw notFound();
    subscriptionId = sub.id;
    memberUserId = sub.memberUserId;
  }
  if (scope.tierId) {
    const [tier] = await tx
      .select({ id: schema.subscriptionTiers.id })
      .from(schema.subscriptionTiers)
      .where(and(eq(schema.subscriptionTiers.id, scope.tierId), eq(schema.subscriptionTiers.coopId, coopId)));
    if (!tier) throw notFound();
    tierId = tier.id;
  }
  if (memberUserId && !subscriptionId) {
    const [hasConsent] = await tx
      .select({ id: schema.consents.id })
      .from(schema.consents)
      .where(and(eq(schema.consents.memberUserId, memberUserId), eq(schema.consents.coopId, coopId)))
      .limit(1);
    const [hasSub] = await tx
      .select({ id: schema.subscriptions.id })
      .from(schema.subscriptions)
      .where(and(eq(schema.subscriptions.memberUserId, memberUserId), eq(schema.subscriptions.coopId, coopId)))
      .limit(1);
    if (!hasConsent && !hasSub) throw notFound();
  }
  const kind = subscriptionId ? "subscription" : tierId ? "tier" : "member";
  return { kind, memberUserId, tierId, subscriptionId } as const;
}

/** Changed top-level fields between consecutive versions: the diff chain. */
function changedFields(before: Record<string, unknown> | null, after: Record<string, unknown>) {
  if (!before) return Object.keys(after).sort();
  return uniq([...Object.keys(before), ...Object.keys(after)])
    .filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k]))
    .sort();
}

/** Everything but the audit proof, read in the system context with the co-op filter on every query. */
async function collect(rt: Runtime, a: Actor, input: z.output<typeof EvidenceScopeSchema>) {
  return withSystem(rt, "evidence-pack", async (tx) => {
    const [coop] = await tx
      .select({ id: schema.coops.id, slug: schema.coops.slug, name: schema.coops.name })
      .from(schema.coops)
      .where(eq(schema.coops.id, a.coopId));
    if (!coop) throw notFound();
    const scope = await resolveScope(tx, a.coopId, input);
    const coopId = a.coopId;

    const subscriptions = await tx
      .select()
      .from(schema.subscriptions)
      .where(
        and(
          eq(schema.subscriptions.coopId, coopId),
          scope.subscriptionId ? eq(schema.subscriptions.id, scope.subscriptionId) : undefined,
          scope.kind === "member" ? eq(schema.subscriptions.memberUserId, scope.memberUserId!) : undefined,
          scope.tierId ? eq(schema.subscriptions.tierId, scope.tierId) : undefined,
        ),
      )
      .orderBy(asc(schema.subscriptions.createdAt), asc(schema.subscriptions.id));

    const consents = await tx
      .select()
      .from(schema.consents)
      .where(
        and(
          eq(schema.consents.coopId, coopId),
          scope.subscriptionId
            ? inArray(
                schema.consents.id,
                subscriptions.map((s) => s.consentId),
              )
            : undefined,
          scope.kind === "member" ? eq(schema.consents.memberUserId, scope.memberUserId!) : undefined,
          scope.tierId ? eq(schema.consents.tierId, scope.tierId) : undefined,
        ),
      )
      .orderBy(asc(schema.consents.consentedAt), asc(schema.consents.id));

    const tierIds = uniq([
      ...(scope.tierId ? [scope.tierId] : []),
      ...subscriptions.map((s) => s.tierId),
      ...consents.map((c) => c.tierId),
    ]);
    const tiers = tierIds.length
      ? await tx
          .select()
          .from(schema.subscriptionTiers)
          .where(and(eq(schema.subscriptionTiers.coopId, coopId), inArray(schema.subscriptionTiers.id, tierIds)))
          .orderBy(asc(schema.subscriptionTiers.createdAt), asc(schema.subscriptionTiers.id))
      : [];

    const versions = tierIds.length
      ? await tx
          .select()
          .from(schema.termsVersions)
          .where(and(eq(schema.termsVersions.coopId, coopId), inArray(schema.termsVersions.tierId, tierIds)))
          .orderBy(asc(schema.termsVersions.tierId), asc(schema.termsVersions.version))
      : [];
    // Drafts were never shown to anyone: the pack holds submitted versions only.
    const submitted = versions.filter((v) => v.status !== "draft");
    const versionIds = submitted.map((v) => v.id);
    const reviews = versionIds.length
      ? await tx
          .select()
          .from(schema.termsReviews)
          .where(inArray(schema.termsReviews.termsVersionId, versionIds))
          .orderBy(asc(schema.termsReviews.createdAt), asc(schema.termsReviews.id))
      : [];
    const evaluations = versionIds.length
      ? await tx
          .select()
          .from(schema.complianceEvaluations)
          .where(inArray(schema.complianceEvaluations.termsVersionId, versionIds))
          .orderBy(desc(schema.complianceEvaluations.evaluatedAt))
      : [];
    const waivers = tierIds.length
      ? await tx
          .select()
          .from(schema.complianceWaivers)
          .where(and(eq(schema.complianceWaivers.coopId, coopId), inArray(schema.complianceWaivers.tierId, tierIds)))
          .orderBy(asc(schema.complianceWaivers.createdAt), asc(schema.complianceWaivers.id))
      : [];

    // IP and user agent only where still retained (erased after the consent's retention period).
    const pdIds = consents.flatMap((c) => (c.personalDataId && !c.personalDataErasedAt ? [c.personalDataId] : []));
    const personal = pdIds.length
      ? await tx
          .select()
          .from(schema.auditPersonalData)
          .where(and(eq(schema.auditPersonalData.coopId, coopId), inArray(schema.auditPersonalData.id, pdIds)))
      : [];

    let member: { id: string; email: string } | null = null;
    if (scope.memberUserId) {
      const [u] = await tx
        .select({ id: schema.users.id, email: schema.users.email })
        .from(schema.users)
        .where(eq(schema.users.id, scope.memberUserId));
      member = u ?? null;
    }

    const ids: EvidenceScopeIds = {
      coopId,
      memberUserIds: scope.kind === "tier" ? null : [scope.memberUserId!],
      tierIds,
      subscriptionIds: subscriptions.map((s) => s.id),
      consentIds: consents.map((c) => c.id),
    };
    const extra: Record<string, Array<Record<string, unknown>> | null> = {};
    const subjects: AuditSubject[] = [];
    for (const s of evidenceSections()) {
      if (!s.collect) {
        extra[s.key] = null;
        continue;
      }
      const result = await s.collect(tx, ids);
      extra[s.key] = result.rows;
      subjects.push(...result.subjects);
    }

    const byTierPrev = new Map<string, Record<string, unknown>>();
    const termsVersions = submitted.map((v) => {
      const prev = byTierPrev.get(v.tierId) ?? null;
      byTierPrev.set(v.tierId, { id: v.id, contentHash: v.contentHash, terms: v.terms });
      const latest = evaluations.find((e) => e.termsVersionId === v.id);
      return plain({
        id: v.id,
        tierId: v.tierId,
        version: v.version,
        status: v.status,
        contentHash: v.contentHash,
        terms: v.terms,
        submittedAt: v.submittedAt,
        decidedAt: v.decidedAt,
        reviewRound: v.reviewRound,
        rereviewReason: v.rereviewReason,
        previous: prev ? { id: prev.id, contentHash: prev.contentHash } : null,
        changedFields: changedFields((prev?.terms as Record<string, unknown>) ?? null, v.terms),
        reviews: reviews
          .filter((r) => r.termsVersionId === v.id)
          .map((r) => ({
            reviewerId: r.reviewerId,
            round: r.round,
            decision: r.decision,
            comment: r.comment,
            at: r.createdAt,
          })),
        latestEvaluation: latest
          ? { fingerprint: latest.fingerprint, failing: latest.failing, at: latest.evaluatedAt }
          : null,
      });
    });

    subjects.push(
      // Tiers appear as "tier" (compliance) and "subscription_tier" (billing, publication).
      ...tiers.flatMap((t) => [
        { type: "tier", id: t.id },
        { type: "subscription_tier", id: t.id },
      ]),
      ...submitted.map((v) => ({ type: "terms_version", id: v.id })),
      ...waivers.map((w) => ({ type: "compliance_waiver", id: w.id })),
      ...consents.map((c) => ({ type: "consent", id: c.id })),
      ...subscriptions.map((s) => ({ type: "subscription", id: s.id })),
    );

    return {
      coop,
      scope,
      member,
      subjects,
      sections: {
        tiers: tiers.map((t) =>
          plain({
            id: t.id,
            creatorId: t.creatorId,
            name: t.name,
            jurisdictions: t.jurisdictions,
            status: t.status,
            publishedAt: t.publishedAt,
          }),
        ),
        termsVersions,
        waivers: waivers.map((w) =>
          plain({
            id: w.id,
            tierId: w.tierId,
            jurisdiction: w.jurisdiction,
            ruleId: w.ruleId,
            reason: w.reason,
            expiresAt: w.expiresAt,
            createdBy: w.createdBy,
            createdAt: w.createdAt,
            revokedAt: w.revokedAt,
          }),
        ),
        consents: consents.map((c) => {
          const pd = personal.find((p) => p.id === c.personalDataId);
          return plain({
            id: c.id,
            memberUserId: c.memberUserId,
            tierId: c.tierId,
            termsVersionId: c.termsVersionId,
            termsHash: c.termsHash,
            disclosureHash: c.disclosureHash,
            disclosureText: c.disclosureText,
            buttonLabel: c.buttonLabel,
            checkboxes: c.checkboxes,
            priceShown: c.priceShown,
            jurisdiction: c.jurisdiction,
            locale: c.locale,
            trialEndsAt: c.trialEndsAt,
            consentedAt: c.consentedAt,
            contractEndedAt: c.contractEndedAt,
            retainUntil: c.retainUntil,
            isExpressStartRequest: c.isExpressStartRequest,
            auditSeq: c.auditSeq,
            personalData:
              pd?.data && !pd.erasedAt ? { ip: pd.data.ip ?? null, userAgent: pd.data.userAgent ?? null } : null,
            personalDataErased: c.personalDataErasedAt !== null,
          });
        }),
        subscriptions: subscriptions.map((s) =>
          plain({
            id: s.id,
            memberUserId: s.memberUserId,
            tierId: s.tierId,
            consentId: s.consentId,
            status: s.status,
            currentPeriodEnd: s.currentPeriodEnd,
            cancelAtPeriodEnd: s.cancelAtPeriodEnd,
            createdAt: s.createdAt,
            updatedAt: s.updatedAt,
          }),
        ),
        notices: extra.notices ?? null,
        priceChanges: extra.priceChanges ?? null,
        cancellations: extra.cancellations ?? null,
        withdrawals: extra.withdrawals ?? null,
        refunds: extra.refunds ?? null,
      },
    };
  });
}

/** The entries concerning the subjects, and the chain from the first of them up to the checkpoint. */
async function chainProof(rt: Runtime, coopId: string, subjects: AuditSubject[], options: EvidenceOptions) {
  const bySubject = new Map<string, string[]>();
  for (const s of subjects) bySubject.set(s.type, uniq([...(bySubject.get(s.type) ?? []), s.id]));
  const relevant = bySubject.size
    ? await withSystem(rt, "evidence-pack-audit", (tx) =>
        tx
          .select({ seq: schema.auditLog.seq })
          .from(schema.auditLog)
          .where(
            and(
              eq(schema.auditLog.coopId, coopId),
              or(
                ...[...bySubject].map(([type, ids]) =>
                  and(eq(schema.auditLog.subjectType, type), inArray(schema.auditLog.subjectId, ids)),
                ),
              ),
            ),
          )
          .orderBy(asc(schema.auditLog.seq)),
      )
    : [];
  const relevantSeqs = relevant.map((r) => r.seq);
  const checkpoints = (await readCheckpoints({ dir: options.checkpointDir, key: options.key }, coopId)).flatMap((l) =>
    l.valid ? [l.checkpoint] : [],
  );
  let checkpoint = checkpoints.at(-1) ?? null;
  const lastRelevant = relevantSeqs.at(-1) ?? 0;
  if (!checkpoint || checkpoint.seq < lastRelevant) {
    // Sign the current head (the chain is verified first; a broken chain is never signed).
    try {
      checkpoint = (await writeCheckpoint(rt, coopId, { dir: options.checkpointDir, key: options.key })) ?? checkpoint;
    } catch (error) {
      throw new AppError("CONFLICT", `The audit chain does not verify: ${(error as Error).message}`);
    }
  }
  if (!checkpoint || checkpoint.seq < lastRelevant)
    throw new AppError("CONFLICT", "No signed checkpoint covers these audit entries");
  const first = relevantSeqs[0] ?? checkpoint.seq;
  const rows = await withSystem(rt, "evidence-pack-audit", (tx) =>
    tx
      .select()
      .from(schema.auditLog)
      .where(
        and(
          eq(schema.auditLog.coopId, coopId),
          gte(schema.auditLog.seq, first),
          lte(schema.auditLog.seq, checkpoint.seq),
        ),
      )
      .orderBy(asc(schema.auditLog.seq)),
  );
  const entries: PackAuditEntry[] = rows.map((r) => ({
    seq: r.seq,
    prevHash: r.prevHash,
    hash: r.hash,
    action: r.action,
    actorUserId: r.actorUserId,
    subjectType: r.subjectType,
    subjectId: r.subjectId,
    data: r.data,
    personalDataId: r.personalDataId,
    occurredAt: r.occurredAt.toISOString(),
  }));
  return { coopId, relevantSeqs, entries, checkpoint };
}

/** Builds (does not audit) the signed pack. */
export async function buildEvidencePack(
  rt: Runtime,
  actor: TenantContext,
  input: EvidenceScopeInput,
  options: EvidenceOptions,
): Promise<EvidencePack> {
  const a = requireReviewer(actor);
  const parsed = EvidenceScopeSchema.safeParse(input);
  if (!parsed.success) throw new AppError("BAD_INPUT", parsed.error.issues.map((i) => i.message).join("; "));
  const collected = await collect(rt, a, parsed.data);
  const audit = await chainProof(rt, a.coopId, collected.subjects, options);
  const body: EvidencePackBody = {
    format: EVIDENCE_FORMAT,
    generatedAt: rt.clock.now().toISOString(),
    generatedBy: { userId: a.userId, role: a.role },
    coop: collected.coop,
    scope: {
      kind: collected.scope.kind,
      memberUserId: collected.scope.memberUserId,
      tierId: collected.scope.tierId,
      subscriptionId: collected.scope.subscriptionId,
    },
    member: collected.member,
    ...collected.sections,
    audit,
  };
  const packHash = packHashOf(body);
  return { ...body, packHash, mac: packMacOf(options.key, packHash) };
}

/** The pack as canonical JSON text (what is downloaded and hashed). */
export const evidencePackJson = (pack: EvidencePack) => canonicalJson(pack);

/**
 * Records who exported which pack (in the reviewer's own tenant context). The entry names the scope
 * and the pack hash, never personal data.
 */
export async function auditEvidenceExport(
  rt: Runtime,
  actor: TenantContext,
  pack: EvidencePack,
  format: "json" | "pdf",
) {
  const a = requireReviewer(actor);
  return withTenant(rt, a, (tx) =>
    appendAudit(tx, rt.clock.now(), {
      coopId: a.coopId,
      action: "rights.evidence_pack_exported",
      actorUserId: a.userId,
      subjectType: "evidence_pack",
      subjectId: pack.packHash,
      data: {
        format,
        scope: pack.scope.kind,
        scopeId: pack.scope.subscriptionId ?? pack.scope.tierId ?? pack.scope.memberUserId,
        checkpointSeq: pack.audit.checkpoint?.seq ?? null,
        entries: pack.audit.entries.length,
      },
    }),
  );
}
