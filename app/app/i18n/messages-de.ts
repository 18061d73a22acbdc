/**
 * German for the human messages that packages and shared zod schemas write in English (validation
 * issues, AppError messages). Keyed by the English text, so a schema stays one schema for the
 * browser, the server and the API; a message missing here is shown in English.
 */
export const GERMAN_MESSAGES: Record<string, string> = {
  "Enter your email address": "Gib deine E-Mail-Adresse ein",
  "Enter a valid email address, like name@example.com": "Gib eine gültige E-Mail-Adresse ein, z. B. name@example.com",
  "An email address can be at most 254 characters long": "Eine E-Mail-Adresse darf höchstens 254 Zeichen lang sein",
  "Enter a password": "Gib ein Passwort ein",
  "Use at least 10 characters for your password": "Dein Passwort braucht mindestens 10 Zeichen",
  "Use at most 200 characters for your password": "Dein Passwort darf höchstens 200 Zeichen lang sein",
  "Enter your password": "Gib dein Passwort ein",
  "Enter your name": "Gib deinen Namen ein",
  "Use at most 80 characters for your name": "Dein Name darf höchstens 80 Zeichen lang sein",
  "Choose English or German": "Wähle Englisch oder Deutsch",
  "Choose a country": "Wähle ein Land",
  "Choose a country (two-letter ISO code, e.g. DE)": "Wähle ein Land (zweistelliger ISO-Code, z. B. DE)",
  "Choose a state": "Wähle einen Bundesstaat",
  "Choose a US state (two-letter code, e.g. CA)": "Wähle einen US-Bundesstaat (zweistelliger Code, z. B. CA)",
  "A state applies only when the country is US": "Ein Bundesstaat gilt nur, wenn das Land US ist",
  "Choose a new password that differs from your current one":
    "Wähle ein neues Passwort, das sich vom aktuellen unterscheidet",
  "This link is incomplete": "Dieser Link ist unvollständig",
  "Choose a role": "Wähle eine Rolle",
  "Choose the creator this role is for": "Wähle den Creator, für den diese Rolle gilt",
  "This role is not tied to a creator": "Diese Rolle gehört zu keinem Creator",
  "Choose the factory this role is for": "Wähle die Fabrik, für die diese Rolle gilt",
  "This role is not tied to a factory": "Diese Rolle gehört zu keiner Fabrik",
  "Name the token": "Gib dem Token einen Namen",
  "Name the token, e.g. after the script that uses it":
    "Gib dem Token einen Namen, z. B. nach dem Skript, das es nutzt",
  "Use at most 80 characters for the name": "Der Name darf höchstens 80 Zeichen lang sein",
  "Unknown scope": "Unbekannte Berechtigung",
  "Choose at least one scope": "Wähle mindestens eine Berechtigung",
  "Enter a whole number of days": "Gib eine ganze Zahl von Tagen ein",
  "Email or password is incorrect": "E-Mail oder Passwort ist falsch",
  "Your current password is incorrect": "Dein aktuelles Passwort ist falsch",
  "This link has expired or was already used": "Dieser Link ist abgelaufen oder wurde bereits benutzt",
  "This invitation has expired or was withdrawn": "Diese Einladung ist abgelaufen oder wurde zurückgezogen",
  "This invitation was already accepted": "Diese Einladung wurde bereits angenommen",
  "Please sign in again": "Bitte melde dich erneut an",
  "Not found": "Nicht gefunden",
};

export function translateMessage(locale: string, message: string): string {
  return locale === "de" ? (GERMAN_MESSAGES[message] ?? message) : message;
}
