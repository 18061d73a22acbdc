import { describe, expect, it } from "vitest";
import {
  applyMutations,
  evaluateForJurisdictions,
  evaluateTerms,
  pagesFor,
  type Jurisdiction,
  type Mutation,
} from "@kiln/compliance";
import { renderOrderPage, renderRightsLinks, renderRightsPages } from "../../app/app/compliance.server";
import { sampleTermsFor } from "../compliance/samples";

/**
 * The engine judges the REAL cancel page and withdrawal function (app/app/components/rights-forms.tsx)
 * rendered on the server — the page rules X-X2, X-X3 (cancel) and X-W2 (withdraw) pass instead of
 * being skipped — and breaking them the way a developer might (renaming the button, adding a
 * password or a reason field) fails the matching rule.
 */
const at = new Date("2026-11-30T12:00:00Z");

function judge(
  jurisdiction: Jurisdiction,
  mutate: { cancel?: Mutation[]; withdraw?: Mutation[]; order?: string } = {},
) {
  const { terms, locale } = sampleTermsFor(jurisdiction);
  const pages = pagesFor(renderOrderPage, locale, renderOrderPage(terms, locale, at));
  return evaluateTerms({
    terms,
    jurisdictions: [jurisdiction],
    locale,
    at,
    pages: {
      order: mutate.order ?? pages.order,
      cancel: applyMutations(pages.cancel!, mutate.cancel),
      withdraw: applyMutations(pages.withdraw!, mutate.withdraw),
    },
  }).findings;
}

const statusOf = (findings: ReturnType<typeof judge>, ruleId: string) =>
  findings.filter((f) => f.ruleId === ruleId).map((f) => f.status);

describe("the real rights pages are judged, not skipped", () => {
  it("DE: X-X2, X-X3 and X-W2 pass on the German pages", () => {
    const findings = judge("DE");
    expect(statusOf(findings, "X-X2")).toEqual(["pass"]);
    expect(statusOf(findings, "X-X3")).toEqual(["pass"]);
    expect(statusOf(findings, "X-W2")).toEqual(["pass"]);
    expect(findings.filter((f) => f.status === "fail").map((f) => `${f.ruleId}: ${f.detail}`)).toEqual([]);
  });
  it("EU: X-W2 passes on the English withdrawal function", () => {
    expect(statusOf(judge("EU"), "X-W2")).toEqual(["pass"]);
  });
  it("the tier workspace's evaluation (the renderer the app passes) includes the pages", () => {
    const { terms } = sampleTermsFor("DE");
    const findings = evaluateForJurisdictions(terms, ["DE"], renderOrderPage, at);
    expect(statusOf(findings, "X-X2")).toEqual(["pass"]);
    expect(statusOf(findings, "X-W2")).toEqual(["pass"]);
  });
});

describe("breaking the pages fails the matching rule", () => {
  it("X-X3: renaming the cancel button", () => {
    const renamed = judge("DE", { cancel: [{ op: "setText", selector: "[data-confirm-button]", text: "Absenden" }] });
    expect(statusOf(renamed, "X-X3")).toEqual(["fail"]);
  });
  it("X-X2: adding a password field to the cancel page", () => {
    const withPassword = judge("DE", {
      cancel: [
        {
          op: "insertBefore",
          selector: "[data-confirm-button]",
          html: '<label>Passwort <input type="password" name="password" required></label>',
        },
      ],
    });
    expect(statusOf(withPassword, "X-X2")).toEqual(["fail"]);
  });
  it("X-X2: any extra field (a phone number) on the cancel page", () => {
    const extra = judge("DE", {
      cancel: [{ op: "insertBefore", selector: "[data-confirm-button]", html: '<input name="phone">' }],
    });
    expect(statusOf(extra, "X-X2")).toEqual(["fail"]);
  });
  it("X-W2: a reason field or a renamed button on the withdrawal function", () => {
    const reason = judge("EU", {
      withdraw: [{ op: "insertBefore", selector: "[data-confirm-button]", html: '<input name="reason" required>' }],
    });
    expect(statusOf(reason, "X-W2")).toEqual(["fail"]);
    const renamed = judge("DE", { withdraw: [{ op: "setText", selector: "[data-confirm-button]", text: "Senden" }] });
    expect(statusOf(renamed, "X-W2")).toEqual(["fail"]);
  });
});

describe("the footer entries on every page", () => {
  it.each(["DE", "EU"] as const)("X-X1 and X-W1 pass on the footer alone (%s)", (jurisdiction) => {
    const { locale } = sampleTermsFor(jurisdiction);
    const footer = renderRightsLinks(locale, "inkwell");
    expect(footer).toContain('href="/cancel?creator=inkwell"');
    const findings = judge(jurisdiction, { order: footer });
    expect(statusOf(findings, "X-X1").every((s) => s === "pass")).toBe(true);
    expect(statusOf(findings, "X-W1")).toEqual(["pass"]);
  });
  it("the rendered pages have the rules' field names and nothing else", () => {
    const { cancel, withdraw } = renderRightsPages("en");
    const names = (html: string) =>
      [...html.matchAll(/<(?:input|select|textarea)[^>]*>/g)]
        .filter((m) => !m[0].includes('type="hidden"'))
        .map((m) => /name="([^"]+)"/.exec(m[0])?.[1]);
    expect([...new Set(names(cancel))].sort()).toEqual(["contract", "email", "end_date", "name", "reason", "type"]);
    expect(names(withdraw).sort()).toEqual(["email", "name", "order"]);
    expect(cancel).not.toMatch(/type="password"/);
  });
});
