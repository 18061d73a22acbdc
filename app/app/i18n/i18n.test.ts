import { describe, expect, it } from "vitest";
import { resolveLocale } from "../i18n.server";
import { de } from "./de";
import { en } from "./en";
import { localeFromAcceptLanguage, translate } from "./index";

const request = (headers: Record<string, string>) => new Request("http://kiln.test/", { headers });

describe("locale", () => {
  it("picks German from Accept-Language by quality", () => {
    expect(localeFromAcceptLanguage("de-DE,de;q=0.9,en;q=0.8")).toBe("de");
    expect(localeFromAcceptLanguage("fr-FR, en;q=0.5, de;q=0.7")).toBe("de");
    expect(localeFromAcceptLanguage("en-GB,en;q=0.9,de;q=0.8")).toBe("en");
    expect(localeFromAcceptLanguage("fr, es")).toBeNull();
    expect(localeFromAcceptLanguage("de;q=0")).toBeNull();
  });

  it("prefers the profile, then the visitor's switch, then the browser, then English", () => {
    const browserDe = { "Accept-Language": "de-DE" };
    expect(resolveLocale(request(browserDe))).toBe("de");
    expect(resolveLocale(request({}))).toBe("en");
    expect(resolveLocale(request({ ...browserDe, Cookie: "kiln_lang=en" }))).toBe("en");
    expect(resolveLocale(request({ ...browserDe, Cookie: "kiln_lang=en" }), { locale: "de" })).toBe("de");
    // A profile without a language follows the browser.
    expect(resolveLocale(request(browserDe), { locale: null })).toBe("de");
    // Unknown values are ignored.
    expect(resolveLocale(request({ Cookie: "kiln_lang=xx" }), { locale: "fr" })).toBe("en");
  });

  it("translates every key into German and fills placeholders", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) expect(de[key], key).toBeTruthy();
    expect(translate("de", "home.welcome", { name: "Ada" })).toBe("Willkommen, Ada.");
    expect(translate("en", "error.rateLimited", { seconds: 30 })).toBe(
      "Too many attempts. Please try again in 30 seconds.",
    );
  });
});
