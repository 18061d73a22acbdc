import { fillTemplate, formatDate, formatMoney, type Locale } from "@kiln/compliance/disclosure";

/**
 * The pre-contract disclosure of a goods order (a drop), shown directly above the order button on
 * Kiln's order page (CRD art 6(1), 8(2); consumer-law-2026.md §2.1 EU-D1/D2/D6/D8/D9, §2.4 EU-W8,
 * X-W6). Compliance's legal templates supply the shared wording (withdrawal, exemption, seller, the
 * order button from the packs' allow-list); the goods-only sentences are here until compliance has
 * goods templates of its own. Browser-safe.
 */

export interface GoodsOrderTerms {
  productTitle: string;
  description: string;
  quantity: number;
  priceMinor: number;
  deliveryMinor: number;
  currency: string;
  /** Why the EU right of withdrawal does not apply (CRD art 16); null: it applies. */
  withdrawalExemptionReason: string | null;
  shipBy: string | null;
  trader: { name: string; address: string; email: string };
  withdrawalFunctionUrl: string;
  withdrawalInstructionsUrl: string;
}

export type GoodsDisclosureElement = "description" | "price" | "delivery" | "withdrawal" | "exemption" | "trader";

export interface GoodsDisclosureItem {
  id: GoodsDisclosureElement;
  label: string;
  text: string;
  links: Array<{ href: string; label: string; entry?: "withdraw" }>;
}

export interface GoodsDisclosureModel {
  heading: string;
  items: GoodsDisclosureItem[];
  buttonLabel: string;
  /** The plain text of the block as the member reads it (stored with the payment as proof, EU-W7). */
  text: string;
}

/** EU withdrawal period for goods: 14 days from receipt (CRD art 9(2)(b)). */
export const GOODS_WITHDRAWAL_DAYS = 14;

const GOODS: Record<Locale, Record<string, string>> = {
  en: {
    heading: "Your order: the terms at a glance",
    "description.label": "What you get",
    description: "{quantity} × {title}. {description}",
    "price.label": "Total price",
    price: "{items} for the goods plus {delivery} delivery: {total} in total, incl. VAT and other taxes.",
    "delivery.label": "Delivery",
    delivery: "Made to order and shipped by {shipBy}.",
    "delivery.unknown": "Made to order; we tell you the ship-by date in the confirmation.",
    returnCost: "If you withdraw, you bear the direct cost of returning the goods.",
  },
  de: {
    heading: "Ihre Bestellung: die Bedingungen auf einen Blick",
    "description.label": "Was Sie bekommen",
    description: "{quantity} × {title}. {description}",
    "price.label": "Gesamtpreis",
    price: "{items} für die Ware zzgl. {delivery} Versand: insgesamt {total}, inkl. MwSt. und sonstiger Steuern.",
    "delivery.label": "Lieferung",
    delivery: "Wird auf Bestellung gefertigt und bis {shipBy} versandt.",
    "delivery.unknown": "Wird auf Bestellung gefertigt; das Versanddatum nennen wir in der Bestätigung.",
    returnCost: "Wenn Sie widerrufen, tragen Sie die unmittelbaren Kosten der Rücksendung.",
  },
};

function goods(locale: Locale, key: string, vars: Record<string, string | number> = {}) {
  const template = GOODS[locale][key];
  if (template === undefined) throw new Error(`goods disclosure ${locale}:${key} does not exist`);
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`goods disclosure ${locale}:${key} needs {${name}}`);
    return String(value);
  });
}

/** Everything the goods order page shows above the order button, in order, in one language. */
export function buildGoodsDisclosure(terms: GoodsOrderTerms, locale: Locale): GoodsDisclosureModel {
  const t = (key: string, vars?: Record<string, string | number>) => fillTemplate(locale, key, vars);
  const money = (minor: number) => formatMoney(minor, terms.currency, locale);
  const itemsMinor = terms.priceMinor * terms.quantity;
  const item = (
    id: GoodsDisclosureElement,
    label: string,
    text: string,
    links: GoodsDisclosureItem["links"] = [],
  ): GoodsDisclosureItem => ({ id, label, text, links });
  const items: GoodsDisclosureItem[] = [
    item(
      "description",
      goods(locale, "description.label"),
      goods(locale, "description", {
        quantity: terms.quantity,
        title: terms.productTitle,
        description: terms.description,
      }).trim(),
    ),
    item(
      "price",
      goods(locale, "price.label"),
      goods(locale, "price", {
        items: money(itemsMinor),
        delivery: money(terms.deliveryMinor),
        total: money(itemsMinor + terms.deliveryMinor),
      }),
    ),
    item(
      "delivery",
      goods(locale, "delivery.label"),
      terms.shipBy
        ? goods(locale, "delivery", { shipBy: formatDate(new Date(`${terms.shipBy}T00:00:00Z`), locale) })
        : goods(locale, "delivery.unknown"),
    ),
  ];
  if (terms.withdrawalExemptionReason)
    items.push(
      item(
        "exemption",
        t("disclosure.exemption.label"),
        t("disclosure.exemption", { reason: terms.withdrawalExemptionReason }),
      ),
    );
  else
    items.push(
      item(
        "withdrawal",
        t("disclosure.withdrawal.label"),
        `${t("disclosure.withdrawal", { days: GOODS_WITHDRAWAL_DAYS })} ${goods(locale, "returnCost")}`,
        [
          { href: terms.withdrawalFunctionUrl, label: t("disclosure.withdrawal.link"), entry: "withdraw" },
          { href: terms.withdrawalInstructionsUrl, label: t("disclosure.withdrawal.instructions") },
        ],
      ),
    );
  items.push(item("trader", t("disclosure.trader.label"), t("disclosure.trader", { ...terms.trader })));
  const heading = goods(locale, "heading");
  const text = [
    heading,
    ...items.map((i) => `${i.label}: ${i.text}${i.links.map((l) => ` ${l.label}`).join("")}`),
  ].join("\n");
  // The label every jurisdiction pack allows ("Order with obligation to pay" / "Zahlungspflichtig bestellen").
  return { heading, items, buttonLabel: t("order.button"), text };
}
