import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
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

describe("German form of address", () => {
  it("addresses people with Sie everywhere, as the legal templates do (de.ts header)", async () => {
    const { GERMAN_MESSAGES } = await import("./messages-de");
    const legal = readFileSync(fileURLToPath(new URL("../../../legal/templates/de.json", import.meta.url)), "utf8");
    // Informal pronouns and the informal imperatives the UI used before (placeholders like {dir} aside).
    const informal =
      /\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines)\b|(^|[.:;!?]\s+)(Gib|Wähle|Prüfe|Öffne|Melde|Nimm|Frag|Kopiere|Füge|Lass|Exportiere)\s/i;
    const offenders = [...Object.entries(de), ...Object.entries(GERMAN_MESSAGES)]
      .map(([key, text]) => [key, text.replace(/\{\w+\}/g, "")] as const)
      .filter(([, text]) => informal.test(text))
      .map(([key]) => key);
    expect(offenders).toEqual([]);
    expect(informal.test(legal.replace(/\{\w+\}/g, ""))).toBe(false);
    expect(legal).toMatch(/\b(Sie|Ihr|Ihre|Ihnen)\b/);
    // The check itself recognises the informal form.
    expect(informal.test("Bitte melde dich an.")).toBe(true);
    expect(informal.test("Gib deine E-Mail-Adresse ein")).toBe(true);
    expect(informal.test("Geben Sie Ihre E-Mail-Adresse ein")).toBe(false);
  });
});

describe("German for package messages", () => {
  it("translates the shared schemas' validation messages", async () => {
    const { SignUpSchema } = await import("@kiln/auth/schemas");
    const { GERMAN_MESSAGES, translateMessage } = await import("./messages-de");
    const result = SignUpSchema.safeParse({ displayName: "", email: "not-an-email", password: "short" });
    expect(result.success).toBe(false);
    const messages = result.error!.issues.map((i) => i.message);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const message of messages) expect(GERMAN_MESSAGES[message], message).toBeDefined();
    expect(translateMessage("de", "Email or password is incorrect")).toBe("E-Mail oder Passwort ist falsch");
    expect(translateMessage("en", "Email or password is incorrect")).toBe("Email or password is incorrect");
  });
});
