import type { Locale } from "@kiln/compliance";

/**
 * The wording of the declarations as received (what the member downloads and what the e-mails quote)
 * in the page's language. The page's labels live in the app's i18n; these are the record's words.
 */
const TEXTS = {
  en: {
    cancelTitle: "Cancellation declaration",
    withdrawTitle: "Withdrawal statement",
    received: "Received",
    type: "Type of termination",
    ordinary: "Ordinary termination",
    extraordinary: "Extraordinary termination (for cause)",
    reason: "Reason",
    name: "Name",
    email: "E-mail for the confirmation",
    contract: "Contract",
    allContracts: "All my contracts",
    allContractsWith: "All my contracts with {creator}",
    endDate: "Requested end date",
    earliest: "The earliest possible date",
    withdrawBody: "I hereby withdraw from my contract.",
    order: "Order or contract number",
    endsNow: "today",
    refund: "Refund",
    returnGoods:
      "Please send the goods back to {trader} within 14 days (the address is in the seller details above). We refund your payment, standard delivery included, as soon as the goods are back or you show that you sent them.",
  },
  de: {
    cancelTitle: "Kündigungserklärung",
    withdrawTitle: "Widerrufserklärung",
    received: "Eingegangen",
    type: "Art der Kündigung",
    ordinary: "Ordentliche Kündigung",
    extraordinary: "Außerordentliche Kündigung (aus wichtigem Grund)",
    reason: "Grund",
    name: "Name",
    email: "E-Mail-Adresse für die Bestätigung",
    contract: "Vertrag",
    allContracts: "Alle meine Verträge",
    allContractsWith: "Alle meine Verträge mit {creator}",
    endDate: "Gewünschtes Vertragsende",
    earliest: "Zum nächstmöglichen Zeitpunkt",
    withdrawBody: "Hiermit widerrufe ich meinen Vertrag.",
    order: "Bestell- oder Vertragsnummer",
    endsNow: "heute",
    refund: "Erstattung",
    returnGoods:
      "Bitte senden Sie die Ware binnen 14 Tagen an {trader} zurück (die Anschrift steht oben bei den Verkäuferangaben). Wir erstatten Ihre Zahlung einschließlich der Standardlieferkosten, sobald die Ware zurück ist oder Sie den Versand nachweisen.",
  },
} satisfies Record<Locale, Record<string, string>>;

export type RightsText = keyof (typeof TEXTS)["en"];

export const rightsText = (locale: Locale, key: RightsText, vars: Record<string, string> = {}) =>
  TEXTS[locale][key].replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? "");
