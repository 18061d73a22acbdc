/** Strings of the storefront's personalised offers (issue 9 §5). */
export const offersEn = {
  "offers.title": "Recommended for you",
  "offers.lead": "Ordered for you from your orders and subscriptions here.",
  "offers.leadDevice": "Ordered on this device, from what you looked at here; your browsing stays on this device.",
  "offers.leadGeneral": "Popular and upcoming drops.",
  "offers.openNow": "Open now",
  "offers.opensAt": "Opens {when}",
  "offers.memberOnly": "Members only",
  "offers.none": "Nothing to recommend right now.",
} as const;

export const offersDe: Record<keyof typeof offersEn, string> = {
  "offers.title": "Für Sie empfohlen",
  "offers.lead": "Für Sie sortiert, nach Ihren Bestellungen und Abos hier.",
  "offers.leadDevice":
    "Auf diesem Gerät sortiert, nach dem, was Sie sich hier angesehen haben; Ihr Verlauf bleibt auf diesem Gerät.",
  "offers.leadGeneral": "Beliebte und kommende Drops.",
  "offers.openNow": "Jetzt offen",
  "offers.opensAt": "Öffnet {when}",
  "offers.memberOnly": "Nur für Mitglieder",
  "offers.none": "Gerade gibt es nichts zu empfehlen.",
};
