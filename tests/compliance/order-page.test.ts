import { describe, expect, it } from "vitest";
import {
  applyMutations,
  evaluateTerms,
  JURISDICTIONS,
  normalize,
  parseDocument,
  sampleOrderPage,
  type Jurisdiction,
  type Mutation,
} from "@kiln/compliance";
import { renderOrderPage } from "../../app/app/compliance.server";
import { sampleTermsFor } from "./samples";

/**
 * The engine judges the REAL order-page component (app/app/components/order-summary.tsx), rendered
 * on the server: it passes for a sample tier in every jurisdiction, and breaking the component the
 * way a developer might (removing an element, renaming the button) fails the matching rule.
 */
const at = new Date("2026-11-29T12:00:00Z");

function judge(jurisdiction: Jurisdiction, mutations: Mutation[] = []) {
  const { terms, locale } = sampleTermsFor(jurisdiction);
  const order = applyMutations(renderOrderPage(terms, locale, at), mutations);
  return evaluateTerms({ terms, jurisdictions: [jurisdiction], locale, at, pages: { order } });
}

const statusOf = (jurisdiction: Jurisdiction, ruleId: string, mutations: Mutation[] = []) =>
  judge(jurisdiction, mutations).findings.find((f) => f.ruleId === ruleId)?.status;

describe.each(JURISDICTIONS)("order page for %s", (jurisdiction) => {
  it("passes every rule in force on the real component", () => {
    const { findings } = judge(jurisdiction);
    const failing = findings.filter((f) => f.status === "fail").map((f) => `${f.ruleId}: ${f.detail}`);
    expect(failing).toEqual([]);
    expect(findings.filter((f) => f.status === "pass").length).toBeGreaterThan(5);
  });
});

describe("breaking the component fails the matching rule", () => {
  it("X-D1: removing the price element (DE)", () => {
    expect(statusOf("DE", "X-D1")).toBe("pass");
    expect(statusOf("DE", "X-D1", [{ op: "remove", selector: "[data-disclosure=price]" }])).toBe("fail");
  });
  it("X-D1: removing the trial element (US-CA)", () => {
    expect(statusOf("US-CA", "X-D1", [{ op: "remove", selector: "[data-disclosure=trial]" }])).toBe("fail");
  });
  it("X-D1: removing the cancel-by date (US-NY)", () => {
    expect(statusOf("US-NY", "X-D1", [{ op: "remove", selector: "[data-disclosure=cancel-by]" }])).toBe("fail");
  });
  it("X-D1.visible: hiding the renewal element (EU)", () => {
    expect(
      statusOf("EU", "X-D1.visible", [
        { op: "setAttr", selector: "[data-disclosure=renewal]", name: "style", value: "display: none" },
      ]),
    ).toBe("fail");
  });
  it("X-C2: renaming the order button (DE and US)", () => {
    expect(statusOf("DE", "X-C2", [{ op: "setText", selector: "[data-order-button]", text: "Jetzt abonnieren" }])).toBe(
      "fail",
    );
    expect(statusOf("US", "X-C2", [{ op: "setText", selector: "[data-order-button]", text: "Start free trial" }])).toBe(
      "fail",
    );
  });
  it("X-C1: pre-ticking the auto-renew consent (US-CA)", () => {
    expect(statusOf("US-CA", "X-C1")).toBe("pass");
    expect(
      statusOf("US-CA", "X-C1", [{ op: "setAttr", selector: "[data-consent=auto-renew]", name: "checked", value: "" }]),
    ).toBe("fail");
  });
  it("X-C3: removing the express-start request (EU)", () => {
    expect(statusOf("EU", "X-C3", [{ op: "remove", selector: "[data-consent=express-start]" }])).toBe("fail");
  });
  it("X-X1: relabelling the cancel entry (DE)", () => {
    expect(statusOf("DE", "X-X1", [{ op: "setText", selector: "[data-entry=cancel]", text: "Kontakt" }])).toBe("fail");
  });
  it("X-W1: removing the withdrawal function link (EU)", () => {
    expect(statusOf("EU", "X-W1", [{ op: "remove", selector: "[data-entry=withdraw]" }])).toBe("fail");
  });
  it("X-D1.proximity: content between the block and the button (US)", () => {
    expect(
      statusOf("US", "X-D1.proximity", [
        { op: "insertBefore", selector: "[data-order-button]", html: "<p>Limited offer!</p>" },
      ]),
    ).toBe("fail");
  });
  it("X-D1.order: the description moved below the cancellation terms (UK)", () => {
    expect(statusOf("UK", "X-D1.order", [{ op: "moveToEnd", selector: "[data-disclosure=description]" }])).toBe("fail");
  });
});

describe("the rule fixtures' sample page", () => {
  it("has the same disclosure elements, entries, consents and button label as the real component", () => {
    const { terms } = sampleTermsFor("EU");
    for (const locale of ["en", "de"] as const) {
      const shape = (html: string) => {
        const doc = parseDocument(html);
        return {
          elements: [...doc.querySelectorAll("[data-disclosure]")].map((e) => e.getAttribute("data-disclosure")),
          entries: [...doc.querySelectorAll("[data-entry]")].map(
            (e) => `${e.getAttribute("data-entry")}:${normalize(e.textContent)}`,
          ),
          consents: [...doc.querySelectorAll("[data-consent]")].map((e) => e.getAttribute("data-consent")),
          button: normalize(doc.querySelector("[data-order-button]")?.textContent),
        };
      };
      expect(shape(sampleOrderPage(locale))).toEqual(shape(renderOrderPage(terms, locale, at)));
    }
  });
});
