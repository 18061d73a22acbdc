import { readCookie, serializeCookie } from "./cookies.server";
import { DEFAULT_LOCALE, isLocale, localeFromAcceptLanguage, translator, type Locale } from "./i18n";

/** The visitor's language switch (a plain preference, not a secret). */
export const LANGUAGE_COOKIE = "kiln_lang";

export const languageCookie = (locale: Locale, secure: boolean) =>
  serializeCookie(LANGUAGE_COOKIE, locale, { maxAge: 60 * 60 * 24 * 365, secure, httpOnly: false });

/** The signed-in user's profile language, else the visitor's switch, else Accept-Language, else English. */
export function resolveLocale(request: Request, user?: { locale: string | null } | null): Locale {
  if (user && isLocale(user.locale)) return user.locale;
  const chosen = readCookie(request, LANGUAGE_COOKIE);
  if (isLocale(chosen)) return chosen;
  return localeFromAcceptLanguage(request.headers.get("Accept-Language")) ?? DEFAULT_LOCALE;
}

/** `t` for the current request, for messages made on the server (form errors). */
export const getTranslator = (request: Request, context: { auth: { user: { locale: string | null } } | null }) =>
  translator(resolveLocale(request, context.auth?.user));
