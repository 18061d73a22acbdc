import { readFileSync } from "node:fs";
import { parseDocument, type EvaluationInput } from "./engine";
import type { Locale } from "./disclosure";
import type { Jurisdiction, Mutation, Rule } from "./rule-packs";
import { TermsSchema, type Terms } from "./terms";
import sampleTerms from "../../../legal/fixtures/sample-terms.json";

/**
 * Builds an engine input from a rule's pass/fail fixture: the samples in legal/fixtures (a sample
 * order page that satisfies every pack) changed by the fixture's terms patch and DOM mutations.
 * Server-only (reads the sample pages from disk); used by the fixture tests and the pack browser.
 */
const fixturesDir = new URL("../../../legal/fixtures/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, fixturesDir), "utf8");

export const sampleOrderPage = (locale: Locale) => read(`order-sample.${locale}.html`);
export const sampleCancelPage = (locale: Locale) => read(`cancel-sample.${locale}.html`);
export const sampleWithdrawPage = (locale: Locale) => read(`withdraw-sample.${locale}.html`);
export const sampleTermsData = (): Terms => TermsSchema.parse(sampleTerms);

function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = {
    ...(base && typeof base === "object" ? (base as Record<string, unknown>) : {}),
  };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(out[k], v);
  return out;
}

export function applyMutations(html: string, mutations: readonly Mutation[] = []): string {
  if (!mutations.length) return html;
  const doc = parseDocument(html);
  for (const m of mutations) {
    const el = doc.querySelector(m.selector);
    if (!el) throw new Error(`fixture mutation: nothing matches ${m.selector}`);
    switch (m.op) {
      case "remove":
        el.remove();
        break;
      case "setText":
        el.textContent = m.text;
        break;
      case "setAttr":
        el.setAttribute(m.name, m.value);
        break;
      case "removeAttr":
        el.removeAttribute(m.name);
        break;
      case "insertBefore":
        el.insertAdjacentHTML("beforebegin", m.html);
        break;
      case "moveToEnd":
        el.parentElement!.appendChild(el);
        break;
    }
  }
  return doc.body.innerHTML;
}

export function fixtureInput(
  rule: Rule,
  which: "pass" | "fail",
  options: { jurisdiction: Jurisdiction; locale: Locale; at: Date },
): EvaluationInput {
  const fixture = rule.fixtures[which];
  const terms = TermsSchema.parse(deepMerge(sampleTerms, fixture.terms ?? {}));
  return {
    terms,
    jurisdictions: [options.jurisdiction],
    locale: options.locale,
    at: options.at,
    pages: {
      order: applyMutations(sampleOrderPage(options.locale), fixture.mutate),
      cancel: applyMutations(sampleCancelPage(options.locale), fixture.pageMutate?.cancel),
      withdraw: applyMutations(sampleWithdrawPage(options.locale), fixture.pageMutate?.withdraw),
    },
    ...(fixture.style ? { style: fixture.style } : {}),
    ...(fixture.template && rule.check.kind === "template"
      ? { templates: { [rule.check.notice]: fixture.template } }
      : {}),
    ...(fixture.record ? { record: fixture.record } : {}),
  };
}
