import type { Browser } from "@playwright/test";
import { launchChromium } from "../setup/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canPublishTier,
  conspicuousDocument,
  createTermsDraft,
  decideTermsVersion,
  evaluateTerms,
  publishTier,
  staticStyleProbe,
  submitTermsVersion,
  type Jurisdiction,
  type OrderPageRenderer,
  type StyleProbe,
} from "@kiln/compliance";
import { createCoopWithPeople, createSubscriptionTier } from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { getTestRuntime } from "../setup/runtime";
import { sampleTermsFor } from "./samples";

/**
 * X-D2 (Cal. § 17601(c), CRD art 8(2)): the rendered disclosure block is conspicuous. Debian's
 * Chromium lays out the real component with the app's stylesheet and is the ground truth; the
 * publication gate judges the same block without a browser (packages/compliance/src/conspicuous.ts,
 * cascading app/app/styles.css). These tests hold the two together: same frame, same probe, same
 * verdict, for the real stylesheet and for stylesheets weakened in each way X-D2 cares about.
 */
const at = new Date("2026-11-29T12:00:00Z");
const rt = await getTestRuntime("2026-11-29T10:00:00Z");
const stylesheet = renderOrderPage.stylesheet!();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** The probe as Chromium computes it for the order page in the shared frame (conspicuousDocument). */
async function measure(html: string, css: string): Promise<{ style: StyleProbe; gapToButton: number }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.setContent(conspicuousDocument(html, css));
    return await page.evaluate(() => {
      const parse = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const lum = (c: string) => {
        const [r = 0, g = 0, b = 0] = parse(c).map((v) => v / 255);
        const f = (v: number) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const background = (el: Element | null): string => {
        for (let cur = el; cur; cur = cur.parentElement) {
          const bg = getComputedStyle(cur).backgroundColor;
          const alpha = parse(bg)[3];
          if (bg !== "transparent" && alpha !== 0) return bg;
        }
        return "rgb(255, 255, 255)";
      };
      const text = document.querySelector("[data-disclosure-block] dd")!;
      const section = document.querySelector("[data-disclosure-block]")!;
      const pageText = document.querySelector("[data-page-text]")!;
      const s = getComputedStyle(text);
      const sec = getComputedStyle(section);
      const [l1, l2] = [lum(s.color), lum(background(text))];
      const button = document.querySelector("[data-order-button]")!.getBoundingClientRect();
      return {
        style: {
          blockFontSizePx: parseFloat(s.fontSize),
          pageFontSizePx: parseFloat(getComputedStyle(pageText).fontSize),
          blockFontWeight: Number(s.fontWeight),
          pageFontWeight: Number(getComputedStyle(pageText).fontWeight),
          contrastRatio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05),
          hasBorderOrBackground:
            (parseFloat(sec.borderTopWidth) > 0 && sec.borderTopStyle !== "none") ||
            background(section) !== background(section.parentElement),
        },
        gapToButton: button.top - section.getBoundingClientRect().bottom,
      };
    });
  } finally {
    await page.close();
  }
}

const x2 = (style: StyleProbe, jurisdiction: Jurisdiction = "US-CA") => {
  const { terms, locale } = sampleTermsFor(jurisdiction);
  const { findings } = evaluateTerms({
    terms,
    jurisdictions: [jurisdiction],
    locale,
    at,
    pages: { order: renderOrderPage(terms, locale, at) },
    style,
  });
  return findings.find((f) => f.ruleId === "X-D2")!;
};

/** Stylesheet changes that each weaken the block in one of the ways X-D2 looks at. */
const WEAKENED: Record<string, string> = {
  "small, pale and unboxed": ".disclosure{font-size:14px;border:0;background:transparent;color:#c8c8c8}",
  "smaller than the page text": ".disclosure{font-size:0.8rem}",
  "low contrast text": ".disclosure{color:#b8aca2}",
  "page-size type, no border, no background": ".disclosure{font-size:1rem;border:none;background:none}",
  "page-size type on the card's own colour": ".disclosure{font-size:100%;border-width:0;background:var(--surface)}",
  "border style none (!important), white background":
    ".order-summary .disclosure{font-size:inherit}.disclosure{border-style:none !important;background-color:#fff}",
};

/** Changes X-D2 tolerates (the block stays set off in another way): both checks must still agree. */
const TOLERATED: Record<string, string> = {
  "no border, larger type and a background": ".disclosure{border:0}",
  "bold page-size type on a background": ".disclosure{font-size:1rem;border:none}.disclosure dd{font-weight:600}",
};

const sameProbe = (a: StyleProbe, b: StyleProbe) => {
  expect(a.blockFontSizePx).toBeCloseTo(b.blockFontSizePx, 1);
  expect(a.pageFontSizePx).toBeCloseTo(b.pageFontSizePx, 1);
  expect(a.blockFontWeight).toBe(b.blockFontWeight);
  expect(a.pageFontWeight).toBe(b.pageFontWeight);
  expect(a.contrastRatio).toBeCloseTo(b.contrastRatio, 1);
  expect(a.hasBorderOrBackground).toBe(b.hasBorderOrBackground);
};

describe("X-D2 conspicuous disclosure block (Chromium is the ground truth)", () => {
  it("X-D2 passes on the real component with the app's stylesheet, and the button sits right below the block", async () => {
    const { terms, locale } = sampleTermsFor("US-CA");
    const { style, gapToButton } = await measure(renderOrderPage(terms, locale, at), stylesheet);
    expect(style.contrastRatio).toBeGreaterThan(4.5);
    expect(style.blockFontSizePx).toBeGreaterThan(style.pageFontSizePx);
    expect(x2(style).status).toBe("pass");
    // Only the consent checkboxes sit between the block and the button: same viewport.
    expect(gapToButton).toBeGreaterThanOrEqual(0);
    expect(gapToButton).toBeLessThan(250);
  }, 60_000);

  it("X-D2 fails when a stylesheet change makes the block small, pale and unboxed", async () => {
    const { terms, locale } = sampleTermsFor("US-CA");
    const { style } = await measure(
      renderOrderPage(terms, locale, at),
      stylesheet + WEAKENED["small, pale and unboxed"],
    );
    const finding = x2(style);
    expect(finding.status, finding.detail).toBe("fail");
  }, 60_000);

  it("X-D2 static check agrees with Chromium's computed style on the real stylesheet (en and de pages)", async () => {
    for (const jurisdiction of ["US-CA", "DE"] as const) {
      const { terms, locale } = sampleTermsFor(jurisdiction);
      const html = renderOrderPage(terms, locale, at);
      const chromium = (await measure(html, stylesheet)).style;
      const fromCss = staticStyleProbe(html, stylesheet);
      sameProbe(fromCss, chromium);
      expect(x2(fromCss, jurisdiction).status).toBe("pass");
      expect(x2(chromium, jurisdiction).status).toBe("pass");
    }
  }, 60_000);

  it.each(Object.entries(WEAKENED))(
    "X-D2 static check and Chromium agree, and both fail, when the stylesheet is weakened: %s",
    async (_name, css) => {
      const { terms, locale } = sampleTermsFor("US-CA");
      const html = renderOrderPage(terms, locale, at);
      const chromium = (await measure(html, stylesheet + css)).style;
      const fromCss = staticStyleProbe(html, stylesheet + css);
      sameProbe(fromCss, chromium);
      const [staticFinding, browserFinding] = [x2(fromCss), x2(chromium)];
      expect(browserFinding.status, browserFinding.detail).toBe("fail");
      expect(staticFinding.status, staticFinding.detail).toBe("fail");
    },
    60_000,
  );

  it.each(Object.entries(TOLERATED))(
    "X-D2 static check and Chromium agree, and both pass, when the block stays set off: %s",
    async (_name, css) => {
      const { terms, locale } = sampleTermsFor("US-CA");
      const html = renderOrderPage(terms, locale, at);
      const chromium = (await measure(html, stylesheet + css)).style;
      const fromCss = staticStyleProbe(html, stylesheet + css);
      sameProbe(fromCss, chromium);
      expect(x2(chromium).status).toBe("pass");
      expect(x2(fromCss).status).toBe("pass");
    },
    60_000,
  );
});

describe("X-D2 at the publication gate (static check on the app's stylesheet)", () => {
  /** The real order page, judged under another stylesheet (as if styles.css had been changed). */
  const withCss = (css: string): OrderPageRenderer =>
    Object.assign((...args: Parameters<OrderPageRenderer>) => renderOrderPage(...args), {
      ...renderOrderPage,
      stylesheet: () => stylesheet + css,
    });

  it("US-CA X-D2: an approved tier publishes with the real stylesheet; a weakened stylesheet blocks it with X-D2", async () => {
    const p = await createCoopWithPeople(rt);
    const tier = await createSubscriptionTier(rt, {
      coopId: p.coop.id,
      creatorId: p.creator.id,
      jurisdictions: ["US-CA"],
    });
    const creator = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
    const reviewer = { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" };
    const draft = await createTermsDraft(rt, creator, { tierId: tier.id, terms: sampleTermsFor("US-CA").terms });
    const { evaluation } = await submitTermsVersion(rt, creator, { termsVersionId: draft.id }, renderOrderPage);
    // Submitting judged X-D2 on the real stylesheet (not skipped, as without a stylesheet).
    const submittedX2 = (evaluation.findings as Array<{ ruleId: string; status: string }>).find(
      (f) => f.ruleId === "X-D2",
    );
    expect(submittedX2?.status).toBe("pass");
    await decideTermsVersion(rt, reviewer, { termsVersionId: draft.id, decision: "approve" });

    const weak = await canPublishTier(rt, creator, tier.id, withCss(WEAKENED["small, pale and unboxed"]!));
    expect(weak.ok).toBe(false);
    const blocker = weak.blockers.find((b) => b.ruleId === "X-D2")!;
    expect(blocker.jurisdiction).toBe("US-CA");
    expect(blocker.citation).toContain("17601(c)");
    expect(blocker.detail).toMatch(/smaller than the page|contrast|no border or background/);
    const refused: unknown = await publishTier(rt, creator, tier.id, withCss(".disclosure{color:#ddd}")).catch(
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: "CONFLICT" });
    expect((refused as Error).message).toContain("US-CA X-D2");
    // A stylesheet the check cannot resolve fails closed.
    const unresolved = await canPublishTier(rt, creator, tier.id, withCss(".disclosure{color:var(--nowhere)}"));
    expect(unresolved.blockers.find((b) => b.ruleId === "X-D2")?.detail).toContain("var(--nowhere)");

    expect((await canPublishTier(rt, creator, tier.id, renderOrderPage)).ok).toBe(true);
    expect((await publishTier(rt, creator, tier.id, renderOrderPage)).status).toBe("live");
  });
});
