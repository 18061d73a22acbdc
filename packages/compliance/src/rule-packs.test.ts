import { describe, expect, it } from "vitest";
import { evaluateRule } from "./engine";
import { fixtureInput } from "./fixtures";
import { JURISDICTIONS, loadRulePacks, parseRulePack, resolveJurisdiction, rulesFor } from "./rule-packs";

/**
 * Every rule of every pack passes on its pass fixture and fails on its fail fixture, in English and
 * German, on a date when it is in force. Test names carry the pack and the rule id.
 */
const cases = [...loadRulePacks().values()].flatMap((pack) =>
  pack.rules.map((rule) => ({ name: `${pack.jurisdiction} ${rule.id}`, pack, rule })),
);

describe.each(cases)("$name", ({ pack, rule }) => {
  const at = new Date(`${rule.effectiveFrom}T12:00:00Z`);
  it.each(["en", "de"] as const)("passes its pass fixture and fails its fail fixture (%s)", (locale) => {
    const options = { jurisdiction: pack.jurisdiction, locale, at };
    const pass = evaluateRule(rule, pack, pack.jurisdiction, fixtureInput(rule, "pass", options));
    expect(pass.status, pass.detail).toBe("pass");
    const fail = evaluateRule(rule, pack, pack.jurisdiction, fixtureInput(rule, "fail", options));
    expect(fail.status, fail.detail).toBe(rule.severity === "error" ? "fail" : "warn");
    expect(fail.detail.length).toBeGreaterThan(0);
  });
  if (rule.effectiveFrom > "2000-01-01") {
    it("is skipped before it comes into force", () => {
      const before = new Date(new Date(`${rule.effectiveFrom}T00:00:00Z`).getTime() - 86_400_000);
      const finding = evaluateRule(
        rule,
        pack,
        pack.jurisdiction,
        fixtureInput(rule, "fail", { jurisdiction: pack.jurisdiction, locale: "en", at: before }),
      );
      expect(finding.status).toBe("skipped");
    });
  }
});

describe("rule packs", () => {
  it("every pack loads, and every X-* item that software can test has a rule somewhere", () => {
    const ids = new Set(JURISDICTIONS.flatMap((j) => rulesFor(j).map((r) => r.rule.checklistId)));
    for (const id of [
      "X-D1",
      "X-D2",
      "X-D3",
      "X-D4",
      "X-C1",
      "X-C2",
      "X-C3",
      "X-C4",
      "X-A1",
      "X-X1",
      "X-X2",
      "X-X3",
      "X-X4",
      "X-X5",
      "X-X6",
      "X-X7",
      "X-X8",
      "X-W1",
      "X-W2",
      "X-W3",
      "X-W4",
      "X-W5",
      "X-W6",
      "X-W7",
    ])
      expect(ids, id).toContain(id);
  });

  it("every §8.6 reminder / notice timing item has a notice-content rule in its pack", () => {
    const ids = (j: (typeof JURISDICTIONS)[number]) => rulesFor(j).map((r) => r.rule.checklistId);
    expect(ids("US")).toContain("V-3");
    expect(ids("US-CA")).toEqual(expect.arrayContaining(["V-3", "CA-9", "CA-10", "CA-11", "CA-12"]));
    expect(ids("US-NY")).toEqual(expect.arrayContaining(["V-3", "NY-4", "NY-7"]));
    expect(ids("UK")).toEqual(expect.arrayContaining(["UK-S5", "UK-S8"]));
    for (const j of JURISDICTIONS) expect(ids(j), j).toContain("X-X7");
  });

  it("a German pack's rule replaces the EU rule of the same id", () => {
    const c2 = rulesFor("DE").filter((r) => r.rule.id === "X-C2");
    expect(c2).toHaveLength(1);
    expect(c2[0]!.pack.jurisdiction).toBe("DE");
    expect(rulesFor("DE").some((r) => r.rule.id === "EU-W1")).toBe(true);
  });

  it("a malformed pack is refused with the rule and field named", () => {
    const eu = loadRulePacks().get("EU")!;
    const broken = { ...eu, rules: [{ ...eu.rules[0]!, effectiveFrom: "19 June 2026" }] };
    expect(() => parseRulePack("eu.json", broken)).toThrow(/rules\.0\.effectiveFrom/);
    expect(() => parseRulePack("eu.json", { ...eu, rules: [eu.rules[0], eu.rules[0]] })).toThrow(/appears twice/);
  });

  it("resolves a member's country and state to a pack", () => {
    expect(resolveJurisdiction("DE")).toBe("DE");
    expect(resolveJurisdiction("fr")).toBe("EU");
    expect(resolveJurisdiction("GB")).toBe("UK");
    expect(resolveJurisdiction("US", "CA")).toBe("US-CA");
    expect(resolveJurisdiction("US", "NY")).toBe("US-NY");
    expect(resolveJurisdiction("US", "TX")).toBe("US");
    expect(resolveJurisdiction("JP")).toBe("DEFAULT");
  });
});
