import { useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "../root";
import { DEFAULT_LOCALE, translator, type Locale, type Translate } from "./index";

/** The page's language: from the root loader (profile, switch, browser), English when unavailable. */
export function useLocale(): Locale {
  const data = useRouteLoaderData<typeof rootLoader>("root");
  return data?.locale ?? DEFAULT_LOCALE;
}

export function useT(): Translate {
  return translator(useLocale());
}
