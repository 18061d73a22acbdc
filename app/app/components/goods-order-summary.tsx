import type { ReactNode } from "react";
import type { Locale } from "@kiln/compliance/disclosure";
import { buildGoodsDisclosure, type GoodsOrderTerms } from "../goods-disclosure";

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
      <section className="disclosure" data-disclosure-block="" aria-labelledby="disclosure-heading">
        <h2 id="disclosure-heading">{model.heading}</h2>
        <dl>
          {model.items.map((item) => (
            <div key={item.id} className="disclosure-item" data-disclosure={item.id}>
              <dt data-disclosure-label="">{item.label}</dt>
              <dd>
                {item.text}
                {item.links.map((link) => (
                  <span key={link.href}>
                    {" "}
                    <a href={link.href} data-entry={link.entry}>
                      {link.label}
                    </a>
                  </span>
                ))}
              </dd>
            </div>
          ))}
        </dl>
      </section>
      {children}
      <button type="submit" className="order-button" data-order-button="">
        {model.buttonLabel}
      </button>
    </form>
  );
}
