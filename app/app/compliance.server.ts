import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { Locale, Terms } from "@kiln/compliance/disclosure";
import { OrderSummary } from "./components/order-summary";

/**
 * The real order page's summary as HTML, for the compliance engine: @kiln/compliance cannot import
 * the app, so the app hands it this renderer (submitting terms, re-review jobs).
 */
export function renderOrderPage(terms: Terms, locale: Locale, asOf: Date): string {
  return renderToStaticMarkup(createElement(OrderSummary, { terms, locale, asOf }));
}
