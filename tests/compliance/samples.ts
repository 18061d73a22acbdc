import { sampleTermsData, type Jurisdiction, type Locale, type Terms } from "@kiln/compliance";

/** A sample tier's terms as a creator selling to each jurisdiction would set them. */
export function sampleTermsFor(jurisdiction: Jurisdiction): { terms: Terms; locale: Locale } {
  const base = sampleTermsData();
  switch (jurisdiction) {
    case "DE":
      return { terms: base, locale: "de" };
    case "UK":
      return { terms: { ...base, price: { ...base.price, currency: "GBP" } }, locale: "en" };
    case "US":
    case "US-CA":
    case "US-NY":
      return {
        terms: {
          ...base,
          price: { amountMinor: 1200, currency: "USD", taxInclusive: false },
          trial: { days: 30, priceMinor: 0 },
          withdrawal: { ...base.withdrawal, right: false, serviceStartsImmediately: false },
          cancellation: { ...base.cancellation, saveOffers: 1 },
        },
        locale: "en",
      };
    default:
      return { terms: base, locale: "en" };
  }
}
