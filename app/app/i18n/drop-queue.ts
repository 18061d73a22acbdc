/** Strings of a hot drop's waiting room (s/:creatorSlug/drops/:dropId/queue, issue 8 §6). */
export const dropQueueEn = {
  "dropQueue.title": "Waiting room",
  "dropQueue.lead":
    "This drop is in high demand. Keep this page open: everyone here before the drop opens gets a place in random order when it opens, later arrivals queue in order of arrival.",
  "dropQueue.beforeOpen": "The drop opens in about {eta}. Your place is drawn when it opens.",
  "dropQueue.position": "You are number {position} in the queue. About {eta} to go.",
  "dropQueue.admitted": "It is your turn. Claim your unit now; the button works once.",
  "dropQueue.claim": "Claim now",
  "dropQueue.claimed": "You have claimed from this drop.",
  "dropQueue.soldOut": "Sold out. Units that come back go to the waitlist on the drop's page.",
  "dropQueue.signIn": "Sign in to join the queue.",
  "dropQueue.slowDown": "Checking again shortly…",
  "dropQueue.back": "Back to the drop",
  "dropQueue.noScript": "This waiting room needs JavaScript to check your place.",
} as const;

export const dropQueueDe: Record<keyof typeof dropQueueEn, string> = {
  "dropQueue.title": "Warteraum",
  "dropQueue.lead":
    "Dieser Drop ist sehr gefragt. Lassen Sie diese Seite offen: Wer vor der Öffnung hier ist, bekommt bei der Öffnung einen zufällig gelosten Platz, wer später kommt, reiht sich in der Reihenfolge der Ankunft ein.",
  "dropQueue.beforeOpen": "Der Drop öffnet in etwa {eta}. Ihr Platz wird bei der Öffnung gelost.",
  "dropQueue.position": "Sie sind Nummer {position} in der Warteschlange. Noch etwa {eta}.",
  "dropQueue.admitted": "Sie sind dran. Sichern Sie sich jetzt Ihr Stück; der Knopf funktioniert einmal.",
  "dropQueue.claim": "Jetzt sichern",
  "dropQueue.claimed": "Sie haben aus diesem Drop gesichert.",
  "dropQueue.soldOut": "Ausverkauft. Zurückkommende Stücke gehen an die Warteliste auf der Seite des Drops.",
  "dropQueue.signIn": "Melden Sie sich an, um sich anzustellen.",
  "dropQueue.slowDown": "Wir prüfen gleich noch einmal …",
  "dropQueue.back": "Zurück zum Drop",
  "dropQueue.noScript": "Dieser Warteraum braucht JavaScript, um Ihren Platz zu prüfen.",
};
