import de from "../../../legal/templates/de.json";
import en from "../../../legal/templates/en.json";
import type { Interval, Terms } from "./terms";

/**
 * Browser-safe: fills the legal/templates strings from a tier's terms. The order-page component,
 * the notices and the rule engine all use these, so what is checked is what is shown.
 */
export type Locale = "en" | "de";
export const LOCALES: readonly Locale[] = ["en", "de"];

/** The stable `data-disclosure` values of the order page's disclosure block. */
export const DISCLOSURE_ELEMENTS = [
  "description",
  "price",
  "prior-price",
  "frequency",
  "renewal",
  "renewal-term",
  "minimum-term",
  "trial",
  "cancel-by",
  "cancellation",
  "withdrawal",
  "exemption",
  "trader",
] as const;
export type DisclosureElement = (typeof DISCLOSURE_ELEMENTS)[number];

const TEMPLATES: Record<Locale, { version: string; strings: Record<string, string> }> = { en, de };

export const templateVersion = (locale: Locale) => TEMPLATES[locale].version;
export const templateStrings = (locale: Locale): Readonly<Record<string, string>> => TEMPLATES[locale].strings;

/** `{name}` placeholders; an unknown key or a missing value is an error, never a silent blank. */
export function fillTemplate(locale: Locale, key: string, vars: Record<string, string | number> = {}): string {
  const template = TEMPLATES[locale].strings[key];
  if (template === undefined) throw new Error(`legal template ${locale}:${key} does not exist`);
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`legal template ${locale}:${key} needs {${name}}`);
    return String(value);
  });
}

const INTL_LOCALE: Record<Locale, string> = { en: "en-GB", de: "de-DE" };

export function formatMoney(amountMinor: number, currency: string, locale: Locale): string {
  const intl = locale === "en" && currency === "USD" ? "en-US" : INTL_LOCALE[locale];
  return new Intl.NumberFormat(intl, { style: "currency", currency }).format(amountMinor / 100);
}

export function formatDate(date: Date, locale: Locale): string {
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], { dateStyle: "long", timeZone: "UTC" }).format(date);
}

export function periodText(locale: Locale, interval: Interval, count: number): string {
  return count === 1
    ? fillTemplate(locale, `period.${interval}`)
    : fillTemplate(locale, `period.${interval}s`, { n: count });
}

const DAY = 86_400_000;

function addPeriod(date: Date, interval: Interval, count: number): Date {
  const d = new Date(date.getTime());
  if (interval === "week") d.setUTCDate(d.getUTCDate() + 7 * count);
  if (interval === "month") d.setUTCMonth(d.getUTCMonth() + count);
  if (interval === "year") d.setUTCFullYear(d.getUTCFullYear() + count);
  return d;
}

/** Dates the order page states: first charge, the next charge after it, and the cancel-by date. */
export function termsDates(terms: Terms, asOf: Date) {
  const firstCharge = terms.trial ? new Date(asOf.getTime() + terms.trial.days * DAY) : asOf;
  const nextCharge = terms.trial ? firstCharge : addPeriod(asOf, terms.interval, terms.intervalCount);
  const cancelBy = new Date(nextCharge.getTime() - Math.max(terms.renewal.noticeDays, 1) * DAY);
  return { firstCharge, nextCharge, cancelBy };
}

const monthsPerPeriod = { week: 12 / 52, month: 1, year: 12 } as const;

export interface DisclosureItem {
  id: DisclosureElement;
  label: string;
  text: string;
  links: Array<{ href: string; label: string; entry?: "cancel" | "withdraw" }>;
}

export interface DisclosureModel {
  heading: string;
  items: DisclosureItem[];
  consents: Array<{ name: "auto-renew" | "express-start"; label: string }>;
  buttonLabel: string;
  /** The plain text of the block as the member reads it (hashed into the consent record). */
  text: string;
}

/** Everything the order page shows, in order, for one tier's terms in one language. */
export function buildDisclosure(terms: Terms, options: { locale: Locale; asOf: Date }): DisclosureModel {
  const { locale, asOf } = options;
  const t = (key: string, vars?: Record<string, string | number>) => fillTemplate(locale, key, vars);
  const money = (minor: number) => formatMoney(minor, terms.price.currency, locale);
  const period = periodText(locale, terms.interval, terms.intervalCount);
  const price = money(terms.price.amountMinor);
  const dates = termsDates(terms, asOf);
  const item = (id: DisclosureElement, text: string, links: DisclosureItem["links"] = []): DisclosureItem => ({
    id,
    label: t(`disclosure.${id}.label`),
    text,
    links,
  });

  const items: DisclosureItem[] = [
    item("description", t("disclosure.description", { description: terms.productDescription })),
  ];
  let priceText = t("disclosure.price", {
    price,
    period,
    tax: t(terms.price.taxInclusive ? "tax.inclusive" : "tax.exclusive"),
  });
  const months = monthsPerPeriod[terms.interval] * terms.intervalCount;
  if (months > 1)
    priceText += ` ${t("disclosure.price.monthly", { monthly: money(Math.round(terms.price.amountMinor / months)) })}`;
  items.push(item("price", priceText));
  if (terms.discount)
    items.push(item("prior-price", t("disclosure.prior-price", { prior: money(terms.discount.priorPriceShownMinor) })));
  items.push(
    item(
      "frequency",
      t("disclosure.frequency", { period, amount: price, firstCharge: formatDate(dates.firstCharge, locale) }),
    ),
  );
  if (terms.renewal.automatic) {
    items.push(item("renewal", t("disclosure.renewal", { period })));
    items.push(
      item(
        "renewal-term",
        terms.renewal.afterMinimumTerm === "indefinite"
          ? t("disclosure.renewal-term.indefinite", { notice: terms.renewal.noticeDays })
          : t("disclosure.renewal-term.same", { period, notice: terms.renewal.noticeDays }),
      ),
    );
  }
  items.push(
    item(
      "minimum-term",
      terms.minimumTermMonths === 0
        ? t("disclosure.minimum-term.none")
        : t("disclosure.minimum-term", { months: terms.minimumTermMonths }),
    ),
  );
  if (terms.trial) {
    items.push(
      item(
        "trial",
        t("disclosure.trial", {
          days: terms.trial.days,
          trialPrice: money(terms.trial.priceMinor),
          price,
          period,
          firstCharge: formatDate(dates.firstCharge, locale),
        }),
      ),
    );
  }
  items.push(item("cancel-by", t("disclosure.cancel-by", { cancelBy: formatDate(dates.cancelBy, locale) })));
  items.push(
    item("cancellation", t("disclosure.cancellation"), [
      { href: terms.cancellation.url, label: t("disclosure.cancellation.link"), entry: "cancel" },
    ]),
  );
  if (terms.withdrawal.right) {
    items.push(
      item("withdrawal", t("disclosure.withdrawal", { days: terms.withdrawal.periodDays }), [
        { href: terms.withdrawal.functionUrl, label: t("disclosure.withdrawal.link"), entry: "withdraw" },
        { href: terms.withdrawal.instructionsUrl, label: t("disclosure.withdrawal.instructions") },
      ]),
    );
  }
  if (terms.withdrawal.exemptReason)
    items.push(item("exemption", t("disclosure.exemption", { reason: terms.withdrawal.exemptReason })));
  items.push(item("trader", t("disclosure.trader", { ...terms.trader })));

  const consents: DisclosureModel["consents"] = [];
  if (terms.renewal.automatic) consents.push({ name: "auto-renew", label: t("consent.auto-renew", { price, period }) });
  if (terms.withdrawal.right && terms.withdrawal.serviceStartsImmediately)
    consents.push({ name: "express-start", label: t("consent.express-start") });

  const heading = t("order.heading");
  const text = [
    heading,
    ...items.map((i) => `${i.label}: ${i.text}${i.links.map((l) => ` ${l.label}`).join("")}`),
  ].join("\n");
  return { heading, items, consents, buttonLabel: t("order.button"), text };
}

/** A notice (subject and body) filled from the terms and extra values (dates, URLs). */
export function renderNotice(
  locale: Locale,
  notice:
    | "acknowledgment"
    | "cancellation"
    | "withdrawal"
    | "renewal-reminder"
    | "trial-ending"
    | "price-change"
    | "cooling-off",
  vars: Record<string, string | number>,
): { subject: string; body: string } {
  return {
    subject: fillTemplate(locale, `notice.${notice}.subject`, vars),
    body: fillTemplate(locale, `notice.${notice}.body`, vars),
  };
}
