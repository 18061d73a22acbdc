/** Strings of the price-change opt-in page (issue 5 item 5: New York members agree to an increase). */
export const noticesEn = {
  "priceChange.announce.hint":
    "After a new terms version with another price is approved: members move to it at a renewal, each told inside the legal notice windows of their country (New York members only if they agree to an increase).",
  "priceChange.announce.button": "Announce the new price to members",
  "priceChange.announced": "The new price is announced: each member gets a notice before the renewal it applies at.",
  "priceChange.accept.title": "Accept the new price",
  "priceChange.accept.body":
    "Your membership's price is going up. New York law needs your agreement before we charge the new price. If you do not accept, you keep your current price until you cancel.",
  "priceChange.accept.button": "Accept the new price",
  "priceChange.accept.done": "Thank you: from {date} your membership costs the new price.",
  "priceChange.accept.invalid": "This link is not valid, or the price change is no longer open.",
};

export const noticesDe: Record<keyof typeof noticesEn, string> = {
  "priceChange.announce.hint":
    "Nach der Freigabe einer neuen Version der Bedingungen mit anderem Preis: Mitglieder wechseln bei einer Verlängerung, jedes mit einem Hinweis innerhalb der gesetzlichen Fristen seines Landes (Mitglieder in New York nur, wenn sie einer Erhöhung zustimmen).",
  "priceChange.announce.button": "Neuen Preis den Mitgliedern ankündigen",
  "priceChange.announced":
    "Der neue Preis ist angekündigt: Jedes Mitglied erhält vor der Verlängerung, ab der er gilt, einen Hinweis.",
  "priceChange.accept.title": "Neuen Preis annehmen",
  "priceChange.accept.body":
    "Der Preis Ihrer Mitgliedschaft steigt. Nach dem Recht von New York brauchen wir Ihre Zustimmung, bevor wir den neuen Preis berechnen. Wenn Sie nicht zustimmen, zahlen Sie weiter den bisherigen Preis, bis Sie kündigen.",
  "priceChange.accept.button": "Neuen Preis annehmen",
  "priceChange.accept.done": "Danke: Ab dem {date} kostet Ihre Mitgliedschaft den neuen Preis.",
  "priceChange.accept.invalid": "Dieser Link ist ungültig, oder die Preisänderung ist nicht mehr offen.",
};
