import { and, desc, eq, gt, isNull } from "drizzle-orm";
import { schema, type Tx } from "@kiln/db";
import { localeOf, pagesFor, type OrderPageRenderer } from "./context";
import { styleInputFor } from "./conspicuous";
import { evaluateTerms, type Finding } from "./engine";
import { JurisdictionSchema, ruleFingerprint, type Jurisdiction } from "./rule-packs";
import { TermsSchema } from "./terms";

export type WaivedFinding = Finding & { waiver?: { id: string; reason: string; expiresAt: string } };

export const tierJurisdictions = (codes: readonly string[]): Jurisdiction[] =>
  codes.map((c) => JurisdictionSchema.parse(c));

/** Runs the engine over a version for each jurisdiction the tier sells to (in its language) and stores the run. */
export async function evaluateVersion(
  tx: Tx,
  version: typeof schema.termsVersions.$inferSelect,
  jurisdictions: readonly Jurisdiction[],
  render: OrderPageRenderer,
  at: Date,
) {
  const terms = TermsSchema.parse(version.terms);
  const findings: Finding[] = [];
  for (const jurisdiction of jurisdictions) {
    const locale = localeOf(jurisdiction);
    const order = render(terms, locale, at);
    findings.push(
      ...evaluateTerms({
        terms,
        jurisdictions: [jurisdiction],
        locale,
        at,
        pages: pagesFor(render, locale, order),
        ...styleInputFor(render, order),
      }).findings,
    );
  }
  const fingerprint = ruleFingerprint(jurisdictions, at);
  const failing = findings.filter((f) => f.status === "fail").length;
  const [row] = await tx
    .insert(schema.complianceEvaluations)
    .values({
      coopId: version.coopId,
      creatorId: version.creatorId,
      termsVersionId: version.id,
      fingerprint,
      findings,
      failing,
    })
    .returning();
  return row!;
}

export async function latestEvaluation(tx: Tx, termsVersionId: string) {
  const [row] = await tx
    .select()
    .from(schema.complianceEvaluations)
    .where(eq(schema.complianceEvaluations.termsVersionId, termsVersionId))
    .orderBy(desc(schema.complianceEvaluations.evaluatedAt))
    .limit(1);
  return row ?? null;
}

/** Marks failing findings that an unexpired, unrevoked waiver covers. */
export async function withWaivers(
  tx: Tx,
  tierId: string,
  findings: readonly Finding[],
  at: Date,
): Promise<WaivedFinding[]> {
  const waivers = await tx
    .select()
    .from(schema.complianceWaivers)
    .where(
      and(
        eq(schema.complianceWaivers.tierId, tierId),
        isNull(schema.complianceWaivers.revokedAt),
        gt(schema.complianceWaivers.expiresAt, at),
      ),
    );
  return findings.map((f) => {
    const w =
      f.status === "fail" ? waivers.find((x) => x.ruleId === f.ruleId && x.jurisdiction === f.jurisdiction) : undefined;
    return w ? { ...f, waiver: { id: w.id, reason: w.reason, expiresAt: w.expiresAt.toISOString() } } : f;
  });
}
