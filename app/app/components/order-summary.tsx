import type { ReactNode } from "react";
import { buildDisclosure, type Locale, type Terms } from "@kiln/compliance/disclosure";

/**
 * The order page's summary: the jurisdiction's disclosure block directly above the order button,
 * with the separate, unticked consent checkboxes between them. Billing renders this component on the
 * real order page; the compliance engine judges its server-rendered HTML (app/app/compliance.server.ts),
 * so the stable `data-*` attributes below are part of its contract:
 *   data-disclosure-block, data-disclosure="<element>", data-disclosure-label, data-entry="cancel|withdraw",
 *   data-consent="auto-renew|express-start", data-order-button.
 */
/** One element of a disclosure block (subscription or goods), with its optional entry links. */
export interface DisclosureBlockItem {
  id: string;
  label: string;
  text: string;
  links: ReadonlyArray<{ href: string; label: string; entry?: string }>;
}

/** The disclosure block both order pages render (and the engine judges): heading, then one entry per element. */
export function DisclosureBlock({ heading, items }: { heading: string; items: readonly DisclosureBlockItem[] }) {
  return (
    <section className="disclosure" data-disclosure-block="" aria-labelledby="disclosure-heading">
      <h2 id="disclosure-heading">{heading}</h2>
      <dl>
        {items.map((item) => (
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
  );
}

export interface OrderSummaryProps {
  terms: Terms;
  locale: Locale;
  /** The date the page is shown (first charge and cancel-by dates are computed from it). */
  asOf: Date;
  action?: string;
  /** Hidden inputs (tier id, terms version) the order action needs. */
  children?: ReactNode;
}

export function OrderSummary({ terms, locale, asOf, action, children }: OrderSummaryProps) {
  const model = buildDisclosure(terms, { locale, asOf });
  return (
    <form method="post" action={action} className="order-summary" data-order-form="">
      <DisclosureBlock heading={model.heading} items={model.items} />
      <div className="consents">
        {model.consents.map((consent) => (
          <label key={consent.name}>
            <input
              type="checkbox"
              name={`consent-${consent.name}`}
              id={`consent-${consent.name}`}
              value="yes"
              data-consent={consent.name}
              required={consent.name === "auto-renew"}
            />{" "}
            {consent.label}
          </label>
        ))}
      </div>
      {children}
      <button type="submit" className="order-button" data-order-button="">
        {model.buttonLabel}
      </button>
    </form>
  );
}
