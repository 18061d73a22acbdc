import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import type { Locale } from "@kiln/compliance/disclosure";
import { GoodsOrderSummary } from "./components/goods-order-summary";
import type { GoodsOrderTerms } from "./goods-disclosure";

/** The goods order form as HTML (what the order page renders), for checks of the disclosure's placement. */
export function renderGoodsOrderSummary(terms: GoodsOrderTerms, locale: Locale): string {
  return renderToStaticMarkup(createElement(GoodsOrderSummary, { terms, locale }));
}
