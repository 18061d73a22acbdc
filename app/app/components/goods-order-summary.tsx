import type { ReactNode } from "react";
import type { Locale } from "@kiln/compliance/disclosure";
import { buildGoodsDisclosure, type GoodsOrderTerms } from "../goods-disclosure";
import { DisclosureBlock } from "./order-summary";

/**
 * The goods order form: the shipping address fields (`before`), then compliance's goods disclosure
 * directly above the order button, with only hidden inputs between them. The same `data-*` contract as
 * the subscription order summary: data-disclosure-block, data-disclosure="<element>", data-entry,
 * data-order-button.
 */
export function GoodsOrderSummary({
  terms,
  locale,
  before,
  children,
}: {
  terms: GoodsOrderTerms;
  locale: Locale;
  before?: ReactNode;
  /** Hidden inputs the order action needs. */
  children?: ReactNode;
}) {
  const model = buildGoodsDisclosure(terms, locale);
  return (
    <form method="post" className="order-summary" data-order-form="">
      {before}
      <DisclosureBlock heading={model.heading} items={model.items} />
      {children}
      <button type="submit" className="order-button" data-order-button="">
        {model.buttonLabel}
      </button>
    </form>
  );
}
