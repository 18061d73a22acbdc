import { parseHTML } from "linkedom";
import { formatMoney, templateStrings, type Locale } from "./disclosure";
import {
  isEffective,
  rulesFor,
  ruleFingerprint,
  type Check,
  type Condition,
  type Jurisdiction,
  type Rule,
  type RulePack,
  type StyleProbe,
} from "./rule-packs";
import type { Terms } from "./terms";
import { checkNoticeSchedule, type WindowedNotice } from "./notice-windows";

/**
 * The rule engine: structured terms + jurisdictions + the server-rendered HTML of the real order
 * page in, findings out. Pure (no database); server-only (parses HTML with linkedom).
 */
export type NoticeKind =
  | "acknowledgment"
  | "cancellation"
  | "withdrawal"
  | "renewal-reminder"
  | "trial-ending"
  | "price-change"
  | "cooling-off";

export interface EvaluationInput {
  terms: Terms;
  jurisdictions: readonly Jurisdiction[];
  locale: Locale;
  at: Date;
  pages: { order: string; cancel?: string; withdraw?: string };
  /** Style of the rendered block: measured in Chromium (tests) or on the app's stylesheet (conspicuous.ts). */
  style?: StyleProbe;
  /** Why the style could not be measured (the X-D2 rule then fails closed). */
  styleError?: string;
  /** Notice bodies to check instead of legal/templates (fixtures). */
  templates?: Partial<Record<NoticeKind, string>>;
  /** A consent record to check (recordConsent). */
  record?: Record<string, unknown>;
}

export type FindingStatus = "pass" | "fail" | "warn" | "skipped";

export interface Finding {
  ruleId: string;
  checklistId: string;
  jurisdiction: Jurisdiction;
  pack: string;
  status: FindingStatus;
  severity: Rule["severity"];
  title: string;
  citation: string;
  confidence: Rule["confidence"];
  effectiveFrom: string;
  message: { en: string; de: string };
  fix: { en: string; de: string };
  /** What exactly was found (element ids, labels, values); language-neutral. */
  detail: string;
}

export interface Evaluation {
  findings: Finding[];
  fingerprint: string;
  failing: number;
}

type Doc = ReturnType<typeof parseHTML>["document"];
type El = NonNullable<ReturnType<Doc["querySelector"]>>;

export const normalize = (s: string | null | undefined) => (s ?? "").replace(/\s+/g, " ").trim();
const same = (a: string, b: string) => normalize(a).toLocaleLowerCase() === normalize(b).toLocaleLowerCase();

export function parseDocument(html: string): Doc {
  return parseHTML(`<!doctype html><html><body>${html}</body></html>`).document;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function conditionHolds(terms: unknown, c: Condition): boolean {
  const actual = getPath(terms, c.path);
  const expected = c.valuePath !== undefined ? getPath(terms, c.valuePath) : c.value;
  switch (c.op) {
    case "exists":
      return actual !== null && actual !== undefined;
    case "absent":
      return actual === null || actual === undefined;
    case "truthy":
      return Boolean(actual);
    case "falsy":
      return !actual;
    case "eq":
      return JSON.stringify(actual) === JSON.stringify(expected);
    case "neq":
      return JSON.stringify(actual) !== JSON.stringify(expected);
    case "includes":
      return Array.isArray(actual) && actual.includes(expected);
    default: {
      if (typeof actual !== "number" || typeof expected !== "number") return false;
      return { lt: actual < expected, lte: actual <= expected, gt: actual > expected, gte: actual >= expected }[c.op];
    }
  }
}

const describe = (terms: unknown, c: Condition) =>
  `${c.path} ${c.op} ${c.valuePath ?? JSON.stringify(c.value ?? "")} (is ${JSON.stringify(getPath(terms, c.path) ?? null)})`;

/** Hidden from a reader: hidden attribute, aria-hidden, display:none / visibility:hidden, a closed <details>. */
function isHidden(el: El): boolean {
  for (let cur: El | null = el; cur; cur = cur.parentElement) {
    if (cur.hasAttribute("hidden") || cur.getAttribute("aria-hidden") === "true") return true;
    const style = (cur.getAttribute("style") ?? "").replace(/\s/g, "").toLowerCase();
    if (style.includes("display:none") || style.includes("visibility:hidden")) return true;
    const cls = ` ${cur.getAttribute("class") ?? ""} `;
    if (cls.includes(" sr-only ") || cls.includes(" visually-hidden ")) return true;
    if (cur.tagName === "DETAILS" && !cur.hasAttribute("open") && cur !== el) {
      const summary = cur.querySelector("summary");
      if (!summary || !summary.contains(el)) return true;
    }
  }
  return false;
}

/** The element's own text, without its label and without link text (a link alone is not a disclosure). */
function ownText(el: El): string {
  const copy = el.cloneNode(true) as El;
  for (const drop of copy.querySelectorAll("[data-disclosure-label], a")) drop.remove();
  return normalize(copy.textContent);
}

const allElements = (doc: Doc): El[] => [...doc.querySelectorAll("*")];

function labelOf(doc: Doc, input: El): string {
  const wrapping = input.closest("label");
  if (wrapping) return normalize(wrapping.textContent);
  const id = input.getAttribute("id");
  const byFor = id ? doc.querySelector(`label[for="${id}"]`) : null;
  return normalize(byFor?.textContent);
}

type Outcome = { ok: true; detail?: string } | { ok: false; detail: string } | { skip: string };

function runCheck(check: Check, input: EvaluationInput, orderDoc: Doc): Outcome {
  const { terms, locale } = input;
  switch (check.kind) {
    case "elements": {
      const block = orderDoc.querySelector("[data-disclosure-block]");
      if (!block) return { ok: false, detail: "no [data-disclosure-block] on the order page" };
      const problems: string[] = [];
      for (const spec of check.elements) {
        const id = typeof spec === "string" ? spec : spec.id;
        if (typeof spec !== "string" && !spec.when.every((c) => conditionHolds(terms, c))) continue;
        const el = block.querySelector(`[data-disclosure="${id}"]`);
        if (!el) problems.push(`missing: ${id}`);
        else if (isHidden(el)) problems.push(`hidden: ${id}`);
        else if (ownText(el).length < 3) problems.push(`no text (only a link or label): ${id}`);
      }
      return problems.length ? { ok: false, detail: problems.join("; ") } : { ok: true };
    }
    case "order": {
      const order = allElements(orderDoc);
      const positions = check.order
        .map((id) => ({ id, at: order.findIndex((el) => el.getAttribute("data-disclosure") === id) }))
        .filter((p) => p.at >= 0);
      for (let i = 1; i < positions.length; i++) {
        if (positions[i]!.at < positions[i - 1]!.at)
          return { ok: false, detail: `${positions[i]!.id} comes before ${positions[i - 1]!.id}` };
      }
      return { ok: true };
    }
    case "proximity": {
      const block = orderDoc.querySelector("[data-disclosure-block]");
      const button = orderDoc.querySelector("[data-order-button]");
      if (!block || !button)
        return { ok: false, detail: `missing ${block ? "[data-order-button]" : "[data-disclosure-block]"}` };
      const order = allElements(orderDoc);
      const blockAt = order.indexOf(block);
      const buttonAt = order.indexOf(button);
      if (buttonAt < blockAt) return { ok: false, detail: "the disclosure block comes after the order button" };
      const blockEnd = blockAt + block.querySelectorAll("*").length;
      const payment = order.findIndex(
        (el) => el.hasAttribute("data-payment-field") || /^cc-/.test(el.getAttribute("autocomplete") ?? ""),
      );
      if (payment >= 0 && payment < blockAt)
        return { ok: false, detail: "a payment field comes before the disclosure block" };
      const intervening = order.slice(blockEnd + 1, buttonAt).filter((el) => {
        if (el.closest("label")?.querySelector("[data-consent]") || el.hasAttribute("data-consent")) return false;
        if (el.querySelector("[data-consent]")) return false;
        return [...el.childNodes].some((n) => n.nodeType === 3 && normalize(n.textContent).length > 0);
      });
      return intervening.length > check.maxIntervening
        ? {
            ok: false,
            detail: `${intervening.length} element(s) with text between the block and the button: "${normalize(intervening[0]!.textContent).slice(0, 60)}"`,
          }
        : { ok: true };
    }
    case "button-label": {
      const button = orderDoc.querySelector("[data-order-button]");
      if (!button) return { ok: false, detail: "no [data-order-button]" };
      const label = normalize(button.textContent);
      if (check.forbid.some((f) => same(f, label))) return { ok: false, detail: `forbidden label "${label}"` };
      return check.allow[locale].some((a) => same(a, label))
        ? { ok: true, detail: label }
        : { ok: false, detail: `label "${label}" is not one of: ${check.allow[locale].join(" | ")}` };
    }
    case "consent-checkbox": {
      const box = orderDoc.querySelector(`input[type="checkbox"][data-consent="${check.consent}"]`);
      if (!box) return { ok: false, detail: `no checkbox [data-consent=${check.consent}]` };
      if (box.hasAttribute("checked")) return { ok: false, detail: "pre-ticked" };
      if (check.required && !box.hasAttribute("required")) return { ok: false, detail: "not required before ordering" };
      const label = labelOf(orderDoc, box);
      if (label.length < 10) return { ok: false, detail: "no label" };
      if (check.mentionsPrice) {
        const price = normalize(formatMoney(terms.price.amountMinor, terms.price.currency, locale));
        if (!label.includes(price)) return { ok: false, detail: `label does not state the price ${price}` };
      }
      return { ok: true };
    }
    case "no-prechecked": {
      const ticked = [...orderDoc.querySelectorAll('input[type="checkbox"]')].filter((b) => b.hasAttribute("checked"));
      return ticked.length
        ? { ok: false, detail: `pre-ticked: ${ticked.map((b) => b.getAttribute("name") ?? "?").join(", ")}` }
        : { ok: true };
    }
    case "entry-link": {
      const link = orderDoc.querySelector(`a[data-entry="${check.entry}"]`);
      if (!link) return { ok: false, detail: `no link [data-entry=${check.entry}]` };
      if (!link.getAttribute("href")) return { ok: false, detail: "the link has no target" };
      if (isHidden(link)) return { ok: false, detail: "the link is hidden" };
      const label = normalize(link.textContent);
      return check.allow[locale].some((a) => same(a, label))
        ? { ok: true, detail: label }
        : { ok: false, detail: `label "${label}" is not one of: ${check.allow[locale].join(" | ")}` };
    }
    case "form": {
      const html = input.pages[check.page];
      if (html === undefined) return { skip: `the ${check.page} page was not provided` };
      const doc = parseDocument(html);
      const names = [...doc.querySelectorAll("input, select, textarea")]
        .filter((f) => f.getAttribute("type") !== "hidden")
        .map((f) => f.getAttribute("name") ?? "");
      const forbidden = names.filter((n) => check.forbiddenFields.includes(n));
      if (forbidden.length) return { ok: false, detail: `forbidden field(s): ${forbidden.join(", ")}` };
      const extra = check.allowedFields ? names.filter((n) => !check.allowedFields!.includes(n)) : [];
      if (extra.length) return { ok: false, detail: `field(s) not allowed: ${[...new Set(extra)].join(", ")}` };
      if (check.button) {
        const label = normalize(doc.querySelector("[data-confirm-button]")?.textContent);
        if (!check.button[locale].some((a) => same(a, label)))
          return { ok: false, detail: `confirm button "${label}" is not one of: ${check.button[locale].join(" | ")}` };
      }
      return { ok: true };
    }
    case "terms": {
      const failed = check.assert.filter((c) => !conditionHolds(terms, c));
      return failed.length ? { ok: false, detail: failed.map((c) => describe(terms, c)).join("; ") } : { ok: true };
    }
    case "template": {
      const body = input.templates?.[check.notice] ?? templateStrings(locale)[`notice.${check.notice}.body`] ?? "";
      const missing = check.mustContain.filter((m) => !body.includes(m));
      return missing.length
        ? { ok: false, detail: `${locale}:notice.${check.notice} lacks ${missing.join(", ")}` }
        : { ok: true };
    }
    case "conspicuous": {
      if (input.styleError) return { ok: false, detail: input.styleError };
      const s = input.style;
      if (!s) return { skip: "no stylesheet given: measured in Chromium (tests/compliance/conspicuous.test.ts)" };
      if (s.blockFontSizePx < s.pageFontSizePx)
        return { ok: false, detail: `text ${s.blockFontSizePx}px is smaller than the page's ${s.pageFontSizePx}px` };
      const setOff =
        s.blockFontSizePx > s.pageFontSizePx || s.blockFontWeight > s.pageFontWeight || s.hasBorderOrBackground;
      if (!setOff) return { ok: false, detail: "same size and weight as the page, no border or background" };
      if (s.contrastRatio < check.minContrast)
        return { ok: false, detail: `contrast ${s.contrastRatio.toFixed(2)}:1 below ${check.minContrast}:1` };
      return { ok: true };
    }
    case "consent-record": {
      if (!input.record) return { skip: "checked for each consent by recordConsent" };
      const missing = check.requiredFields.filter((f) => {
        const v = input.record![f];
        return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
      });
      return missing.length ? { ok: false, detail: `missing: ${missing.join(", ")}` } : { ok: true };
    }
  }
}

/** Evaluates one rule (used by the engine and by the fixture tests). */
export function evaluateRule(
  rule: Rule,
  pack: RulePack,
  jurisdiction: Jurisdiction,
  input: EvaluationInput,
  orderDoc?: Doc,
): Finding {
  const base = {
    ruleId: rule.id,
    checklistId: rule.checklistId,
    jurisdiction,
    pack: `${pack.jurisdiction}@${pack.version}`,
    severity: rule.severity,
    title: rule.title,
    citation: rule.citation,
    confidence: rule.confidence,
    effectiveFrom: rule.effectiveFrom,
    message: rule.message,
    fix: rule.fix,
  };
  if (!isEffective(rule, input.at))
    return {
      ...base,
      status: "skipped",
      detail: `not in force on ${input.at.toISOString().slice(0, 10)} (from ${rule.effectiveFrom}${rule.effectiveUntil ? ` until ${rule.effectiveUntil}` : ""})`,
    };
  if (rule.appliesWhen && !rule.appliesWhen.every((c) => conditionHolds(input.terms, c)))
    return { ...base, status: "skipped", detail: "does not apply to these terms" };
  const outcome = runCheck(rule.check, input, orderDoc ?? parseDocument(input.pages.order));
  if ("skip" in outcome) return { ...base, status: "skipped", detail: outcome.skip };
  if (outcome.ok && rule.check.kind === "template" && rule.check.window) {
    // §8.6: the notice's content is right; can it also be sent inside every window that applies?
    const plan = checkNoticeSchedule(jurisdiction, input.terms, input.at, rule.check.notice as WindowedNotice);
    if (plan && !plan.ok && plan.ruleIds.includes(rule.id))
      return { ...base, status: rule.severity === "error" ? "fail" : "warn", detail: plan.message };
    if (plan?.ok)
      return {
        ...base,
        status: "pass",
        detail: `a member ordering on ${input.at.toISOString().slice(0, 10)} gets it on ${plan.dueAt.toISOString().slice(0, 10)} (${plan.ruleIds.join(", ")})`,
      };
  }
  if (outcome.ok) return { ...base, status: "pass", detail: outcome.detail ?? "" };
  return { ...base, status: rule.severity === "error" ? "fail" : "warn", detail: outcome.detail };
}

/** All rules of all the given jurisdictions (parents included), one finding each. */
export function evaluateTerms(input: EvaluationInput): Evaluation {
  const orderDoc = parseDocument(input.pages.order);
  const findings: Finding[] = [];
  for (const jurisdiction of [...new Set(input.jurisdictions)]) {
    for (const { rule, pack } of rulesFor(jurisdiction))
      findings.push(evaluateRule(rule, pack, jurisdiction, input, orderDoc));
  }
  return {
    findings,
    fingerprint: ruleFingerprint(input.jurisdictions, input.at),
    failing: findings.filter((f) => f.status === "fail").length,
  };
}
