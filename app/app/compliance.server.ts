import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { OrderPageRenderer } from "@kiln/compliance";
import type { Locale, Terms } from "@kiln/compliance/disclosure";
import { OrderSummary } from "./components/order-summary";
import { CancelForm, RightsLinks, WithdrawForm } from "./components/rights-forms";

/**
 * The real order page's summary as HTML, for the compliance engine: @kiln/compliance cannot import
 * the app, so the app hands it this renderer (submitting terms, re-review jobs).
 */
function render(terms: Terms, locale: Locale, asOf: Date): string {
  return renderToStaticMarkup(createElement(OrderSummary, { terms, locale, asOf }));
}

/**
 * The app's stylesheet (app/app/styles.css), for the engine's static X-D2 check. Found beside this
 * module when it runs from source (tsx, vitest) and from the server build (app/build/server). Read on
 * each call, so a changed stylesheet is judged as it is; a missing one fails X-D2 at the gate.
 */
function stylesheet(): string {
  const candidates = [new URL("./styles.css", import.meta.url), new URL("../../app/styles.css", import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!found) throw new Error("the app's stylesheet (app/app/styles.css) was not found");
  return readFileSync(found, "utf8");
}

/**
 * The real cancel page and withdrawal function (app/app/components/rights-forms.tsx) as HTML in a
 * language, for the engine's X-X2, X-X3 and X-W2 (the entry links X-X1 / X-W1 are on the order page).
 */
export function renderRightsPages(locale: Locale): { cancel: string; withdraw: string } {
  const submission = "engine-render-0000";
  return {
    cancel: renderToStaticMarkup(createElement(CancelForm, { locale, submission })),
    withdraw: renderToStaticMarkup(createElement(WithdrawForm, { locale, submission })),
  };
}

/** The footer entries every page carries (X-X1, X-W1), as HTML. */
export const renderRightsLinks = (locale: Locale, creatorSlug: string | null = null) =>
  renderToStaticMarkup(createElement(RightsLinks, { locale, creatorSlug }));

export const renderOrderPage: OrderPageRenderer = Object.assign(render, {
  stylesheet,
  rightsPages: renderRightsPages,
});
