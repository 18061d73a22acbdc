import { readFileSync } from "node:fs";
import type { Browser } from "@playwright/test";
import { launchChromium } from "../setup/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateTerms, type StyleProbe } from "@kiln/compliance";
import { renderOrderPage } from "../../app/app/compliance.server";
import { sampleTermsFor } from "./samples";

/**
 * X-D2 (Cal. § 17601(c), CRD art 8(2)): the rendered disclosure block is conspicuous. Debian's
 * Chromium lays out the real component with the app's stylesheet; the computed style becomes the
 * engine's style probe, so the rule is judged on what a member's browser shows.
 */
const at = new Date("2026-11-29T12:00:00Z");
const stylesheet = readFileSync(new URL("../../app/app/styles.css", import.meta.url), "utf8");
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function measure(extraCss = ""): Promise<{ style: StyleProbe; gapToButton: number }> {
  const { terms, locale } = sampleTermsFor("US-CA");
  const html = renderOrderPage(terms, locale, at);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.setContent(
      `<!doctype html><html><head><style>${stylesheet}${extraCss}</style></head><body><main class="page"><p id="page-text">Members get early access to restocks.</p>${html}</main></body></html>`,
    );
    const probe = await page.evaluate(() => {
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
      const block = document.querySelector("[data-disclosure-block] dd")!;
      const section = document.querySelector("[data-disclosure-block]")!;
      const pageText = document.getElementById("page-text")!;
      const s = getComputedStyle(block);
      const sec = getComputedStyle(section);
      const [l1, l2] = [lum(s.color), lum(background(block))];
      const button = document.querySelector("[data-order-button]")!.getBoundingClientRect();
      return {
        style: {
          blockFontSizePx: parseFloat(s.fontSize),
          pageFontSizePx: parseFloat(getComputedStyle(pageText).fontSize),
          blockFontWeight: Number(s.fontWeight),
          pageFontWeight: Number(getComputedStyle(pageText).fontWeight),
          contrastRatio: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05),
          hasBorderOrBackground:
            parseFloat(sec.borderTopWidth) > 0 || background(section) !== background(section.parentElement),
        },
        gapToButton: button.top - section.getBoundingClientRect().bottom,
      };
    });
    return probe;
  } finally {
    await page.close();
  }
}

const x2 = (style: StyleProbe) => {
  const { terms, locale } = sampleTermsFor("US-CA");
  const { findings } = evaluateTerms({
    terms,
    jurisdictions: ["US-CA"],
    locale,
    at,
    pages: { order: renderOrderPage(terms, locale, at) },
    style,
  });
  return findings.find((f) => f.ruleId === "X-D2")!;
};

describe("X-D2 conspicuous disclosure block (Chromium)", () => {
  it("X-D2 passes on the real component with the app's stylesheet, and the button sits right below the block", async () => {
    const { style, gapToButton } = await measure();
    expect(style.contrastRatio).toBeGreaterThan(4.5);
    expect(style.blockFontSizePx).toBeGreaterThan(style.pageFontSizePx);
    expect(x2(style).status).toBe("pass");
    // Only the consent checkboxes sit between the block and the button: same viewport.
    expect(gapToButton).toBeGreaterThanOrEqual(0);
    expect(gapToButton).toBeLessThan(250);
  }, 60_000);

  it("X-D2 fails when a stylesheet change makes the block small, pale and unboxed", async () => {
    const { style } = await measure(".disclosure{font-size:14px;border:0;background:transparent;color:#c8c8c8}");
    const finding = x2(style);
    expect(finding.status, finding.detail).toBe("fail");
  }, 60_000);
});
