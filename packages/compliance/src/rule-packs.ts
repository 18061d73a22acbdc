import { createHash } from "node:crypto";
import { z } from "zod";
import de from "../../../legal/packs/de.json";
import defaultPack from "../../../legal/packs/default.json";
import eu from "../../../legal/packs/eu.json";
import uk from "../../../legal/packs/uk.json";
import usCa from "../../../legal/packs/us-ca.json";
import usNy from "../../../legal/packs/us-ny.json";
import us from "../../../legal/packs/us.json";

/**
 * Rule packs are data (legal/packs/*.json), validated here when first loaded: a malformed pack stops
 * the process with the pack, the rule and the field, rather than silently checking less.
 */
const Localized = z.object({ en: z.string().min(1), de: z.string().min(1) });
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date like 2026-06-19");

export const ConditionSchema = z.object({
  path: z.string().min(1),
  op: z.enum(["eq", "neq", "lt", "lte", "gt", "gte", "includes", "exists", "absent", "truthy", "falsy"]),
  value: z.unknown().optional(),
  /** Compare with another terms field instead of a constant. */
  valuePath: z.string().optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;

const ElementSpec = z.union([z.string(), z.object({ id: z.string(), when: z.array(ConditionSchema) })]);
const LabelList = z.object({ en: z.array(z.string().min(1)).min(1), de: z.array(z.string().min(1)).min(1) });

/**
 * A legal send window for a notice, in whole days relative to an event (negative = before it):
 * `from` the earliest, `to` the latest; null leaves that side open ("at least 7 days before" is
 * `{ from: null, to: -7 }`). `everyMonths`: a cadence — at least one such notice every N months,
 * counted from the previous one (or the contract's conclusion), for plans that renew more often.
 */
export const NoticeWindowSchema = z
  .object({
    event: z.enum(["conclusion", "trial-end", "renewal", "cancel-deadline", "price-change"]),
    fromDays: z.number().int().nullable(),
    toDays: z.number().int().nullable(),
    everyMonths: z.number().int().min(1).max(24).optional(),
  })
  .refine((w) => w.fromDays === null || w.toDays === null || w.fromDays <= w.toDays, "fromDays must not exceed toDays");
export type NoticeWindow = z.infer<typeof NoticeWindowSchema>;

export const CheckSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("elements"), elements: z.array(ElementSpec).min(1) }),
  z.object({ kind: z.literal("order"), order: z.array(z.string()).min(2) }),
  z.object({ kind: z.literal("proximity"), maxIntervening: z.number().int().min(0) }),
  z.object({ kind: z.literal("button-label"), allow: LabelList, forbid: z.array(z.string()).default([]) }),
  z.object({
    kind: z.literal("consent-checkbox"),
    consent: z.enum(["auto-renew", "express-start"]),
    mentionsPrice: z.boolean(),
    required: z.boolean(),
  }),
  z.object({ kind: z.literal("no-prechecked") }),
  z.object({ kind: z.literal("entry-link"), entry: z.enum(["cancel", "withdraw"]), allow: LabelList }),
  z.object({
    kind: z.literal("form"),
    page: z.enum(["cancel", "withdraw"]),
    allowedFields: z.array(z.string()).optional(),
    forbiddenFields: z.array(z.string()).default([]),
    button: LabelList.optional(),
  }),
  z.object({ kind: z.literal("terms"), assert: z.array(ConditionSchema).min(1) }),
  z.object({
    kind: z.literal("template"),
    notice: z.enum([
      "acknowledgment",
      "cancellation",
      "withdrawal",
      "renewal-reminder",
      "trial-ending",
      "price-change",
      "cooling-off",
    ]),
    mustContain: z.array(z.string()).min(1),
    /** When the notice must be sent (§8.6); the engine checks that a schedule can meet it (notice-windows.ts). */
    window: NoticeWindowSchema.optional(),
  }),
  z.object({ kind: z.literal("conspicuous"), minContrast: z.number().positive() }),
  z.object({ kind: z.literal("consent-record"), requiredFields: z.array(z.string()).min(1) }),
]);
export type Check = z.infer<typeof CheckSchema>;

const MutationSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("remove"), selector: z.string() }),
  z.object({ op: z.literal("setText"), selector: z.string(), text: z.string() }),
  z.object({ op: z.literal("setAttr"), selector: z.string(), name: z.string(), value: z.string() }),
  z.object({ op: z.literal("removeAttr"), selector: z.string(), name: z.string() }),
  z.object({ op: z.literal("insertBefore"), selector: z.string(), html: z.string() }),
  z.object({ op: z.literal("moveToEnd"), selector: z.string() }),
]);
export type Mutation = z.infer<typeof MutationSchema>;

export const StyleProbeSchema = z.object({
  blockFontSizePx: z.number(),
  pageFontSizePx: z.number(),
  blockFontWeight: z.number(),
  pageFontWeight: z.number(),
  contrastRatio: z.number(),
  hasBorderOrBackground: z.boolean(),
});
export type StyleProbe = z.infer<typeof StyleProbeSchema>;

/** A fixture is the sample (legal/fixtures) changed by a terms patch and/or DOM mutations. */
const FixtureSchema = z.object({
  terms: z.record(z.string(), z.unknown()).optional(),
  mutate: z.array(MutationSchema).optional(),
  pageMutate: z
    .object({ cancel: z.array(MutationSchema).optional(), withdraw: z.array(MutationSchema).optional() })
    .optional(),
  style: StyleProbeSchema.optional(),
  template: z.string().optional(),
  record: z.record(z.string(), z.unknown()).optional(),
});
export type Fixture = z.infer<typeof FixtureSchema>;

export const RuleSchema = z.object({
  id: z.string().regex(/^[A-Z]+-[A-Z0-9]+(\.[a-z-]+)?$/),
  checklistId: z.string(),
  title: z.string().min(5),
  citation: z.string().min(3),
  source: z.string().optional(),
  /** T: statute text seen; S: secondary source; ?: unsettled (see the research note's marks). */
  confidence: z.enum(["T", "S", "?"]),
  effectiveFrom: IsoDate,
  effectiveUntil: IsoDate.nullable(),
  severity: z.enum(["error", "warning"]),
  appliesWhen: z.array(ConditionSchema).optional(),
  check: CheckSchema,
  message: Localized,
  fix: Localized,
  fixtures: z.object({ pass: FixtureSchema, fail: FixtureSchema }),
});
export type Rule = z.infer<typeof RuleSchema>;

export const JURISDICTIONS = ["EU", "DE", "UK", "US", "US-CA", "US-NY", "DEFAULT"] as const;
export const JurisdictionSchema = z.enum(JURISDICTIONS);
export type Jurisdiction = z.infer<typeof JurisdictionSchema>;

export const RulePackSchema = z
  .object({
    jurisdiction: JurisdictionSchema,
    name: z.string(),
    version: z.string().regex(/^\d{4}\.\d{1,2}\.\d+$/),
    description: z.string(),
    extends: z.array(JurisdictionSchema).optional(),
    rules: z.array(RuleSchema).min(1),
  })
  .superRefine((pack, ctx) => {
    const seen = new Set<string>();
    for (const rule of pack.rules) {
      if (seen.has(rule.id)) ctx.addIssue({ code: "custom", message: `rule ${rule.id} appears twice` });
      seen.add(rule.id);
    }
  });
export type RulePack = z.infer<typeof RulePackSchema>;

const RAW: Record<Jurisdiction, unknown> = {
  EU: eu,
  DE: de,
  UK: uk,
  US: us,
  "US-CA": usCa,
  "US-NY": usNy,
  DEFAULT: defaultPack,
};

/** Validates one pack; the error names the pack and each bad field. */
export function parseRulePack(name: string, raw: unknown): RulePack {
  const parsed = RulePackSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`legal/packs/${name}: invalid rule pack: ${issues}`);
  }
  return parsed.data;
}

let loaded: Map<Jurisdiction, RulePack> | undefined;

export function loadRulePacks(): Map<Jurisdiction, RulePack> {
  loaded ??= new Map(JURISDICTIONS.map((j) => [j, parseRulePack(`${j.toLowerCase()}.json`, RAW[j])]));
  return loaded;
}

export const getRulePack = (jurisdiction: Jurisdiction): RulePack => loadRulePacks().get(jurisdiction)!;

/** A jurisdiction's rules with its parents' (parents first; a child's rule replaces a parent's of the same id). */
export function rulesFor(jurisdiction: Jurisdiction): Array<{ rule: Rule; pack: RulePack }> {
  const pack = getRulePack(jurisdiction);
  const byId = new Map<string, { rule: Rule; pack: RulePack }>();
  for (const parent of pack.extends ?? []) for (const entry of rulesFor(parent)) byId.set(entry.rule.id, entry);
  for (const rule of pack.rules) byId.set(rule.id, { rule, pack });
  return [...byId.values()];
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);

export function isEffective(rule: Rule, at: Date): boolean {
  const day = dayOf(at);
  return rule.effectiveFrom <= day && (rule.effectiveUntil === null || day < rule.effectiveUntil);
}

/** Pack versions and rule ids in force: when it changes, evaluated terms must be looked at again. */
export function ruleFingerprint(jurisdictions: readonly Jurisdiction[], at: Date): string {
  const parts: string[] = [];
  for (const j of [...new Set(jurisdictions)].sort()) {
    for (const { rule, pack } of rulesFor(j)) {
      if (isEffective(rule, at)) parts.push(`${j}|${pack.jurisdiction}@${pack.version}|${rule.id}`);
    }
  }
  return createHash("sha256").update(parts.sort().join("\n")).digest("hex");
}

const EU_MEMBERS = new Set("AT BE BG HR CY CZ DK EE FI FR GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split(" "));

/** The pack for a member's country (ISO 3166-1 alpha-2) and, in the US, state. */
export function resolveJurisdiction(country: string | null | undefined, usState?: string | null): Jurisdiction {
  const c = (country ?? "").toUpperCase();
  if (c === "DE") return "DE";
  if (EU_MEMBERS.has(c)) return "EU";
  if (c === "GB" || c === "UK") return "UK";
  if (c === "US") {
    const s = (usState ?? "").toUpperCase();
    if (s === "CA") return "US-CA";
    if (s === "NY") return "US-NY";
    return "US";
  }
  return "DEFAULT";
}
