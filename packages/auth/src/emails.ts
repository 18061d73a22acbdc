import type { Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";
import type { Locale, RoleNameInput } from "./schemas";

/**
 * Account emails in English and German. Each is written to the outbox inside the caller's
 * transaction, so it goes out only if the change that caused it commits.
 */

interface Message {
  subject: string;
  text: string;
}

const ROLE_LABELS: Record<Locale, Record<RoleNameInput, string>> = {
  en: {
    coop_admin: "co-op admin",
    compliance_reviewer: "compliance reviewer",
    creator_owner: "creator owner",
    creator_staff: "creator staff",
    factory_operator: "factory operator",
  },
  de: {
    coop_admin: "Co-op-Admin",
    compliance_reviewer: "Compliance-Prüfer:in",
    creator_owner: "Creator-Inhaber:in",
    creator_staff: "Creator-Team",
    factory_operator: "Fertigungspartner:in",
  },
};

const templates = {
  "verify-email": (p: { name: string; link: string }): Record<Locale, Message> => ({
    en: {
      subject: "Confirm your email address for Kiln",
      text: `Hello ${p.name},\n\nplease confirm your email address by opening this link:\n\n${p.link}\n\nThe link is valid for 24 hours. If you did not sign up for Kiln, ignore this email.\n`,
    },
    de: {
      subject: "Bestätigen Sie Ihre E-Mail-Adresse für Kiln",
      text: `Hallo ${p.name},\n\nbitte bestätigen Sie Ihre E-Mail-Adresse über diesen Link:\n\n${p.link}\n\nDer Link ist 24 Stunden gültig. Wenn Sie sich nicht bei Kiln registriert haben, ignorieren Sie diese E-Mail.\n`,
    },
  }),
  "sign-up-existing": (p: { name: string; signInLink: string; resetLink: string }): Record<Locale, Message> => ({
    en: {
      subject: "Someone tried to sign up for Kiln with your address",
      text: `Hello ${p.name},\n\nsomeone (perhaps you) tried to create a Kiln account with this email address, but you already have one.\n\nSign in: ${p.signInLink}\nForgot your password? Reset it: ${p.resetLink}\n\nIf it was not you, you can ignore this email; your account is unchanged.\n`,
    },
    de: {
      subject: "Jemand wollte sich mit Ihrer Adresse bei Kiln registrieren",
      text: `Hallo ${p.name},\n\njemand (vielleicht Sie) wollte mit dieser E-Mail-Adresse ein Kiln-Konto anlegen, aber Sie haben bereits eines.\n\nAnmelden: ${p.signInLink}\nPasswort vergessen? Setzen Sie es zurück: ${p.resetLink}\n\nWaren Sie es nicht, können Sie diese E-Mail ignorieren; Ihr Konto ist unverändert.\n`,
    },
  }),
  "reset-password": (p: { name: string; link: string }): Record<Locale, Message> => ({
    en: {
      subject: "Reset your Kiln password",
      text: `Hello ${p.name},\n\nyou can choose a new password here:\n\n${p.link}\n\nThe link is valid for one hour and works once. If you did not ask for it, ignore this email; your password stays as it is.\n`,
    },
    de: {
      subject: "Setzen Sie Ihr Kiln-Passwort zurück",
      text: `Hallo ${p.name},\n\nhier können Sie ein neues Passwort wählen:\n\n${p.link}\n\nDer Link ist eine Stunde gültig und funktioniert einmal. Wenn Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail; Ihr Passwort bleibt unverändert.\n`,
    },
  }),
  "password-changed": (p: { name: string; resetLink: string }): Record<Locale, Message> => ({
    en: {
      subject: "Your Kiln password was changed",
      text: `Hello ${p.name},\n\nthe password of your Kiln account was just changed and your other sessions were signed out.\n\nIf this was not you, reset your password now: ${p.resetLink}\n`,
    },
    de: {
      subject: "Ihr Kiln-Passwort wurde geändert",
      text: `Hallo ${p.name},\n\ndas Passwort Ihres Kiln-Kontos wurde soeben geändert und Ihre anderen Sitzungen wurden abgemeldet.\n\nWaren Sie das nicht, setzen Sie Ihr Passwort jetzt zurück: ${p.resetLink}\n`,
    },
  }),
  invitation: (p: { inviter: string; role: RoleNameInput; place: string; link: string }): Record<Locale, Message> => ({
    en: {
      subject: `You are invited to ${p.place} on Kiln`,
      text: `Hello,\n\n${p.inviter} invited you to join ${p.place} on Kiln as ${ROLE_LABELS.en[p.role]}.\n\nAccept the invitation (sign up or sign in with this email address first):\n\n${p.link}\n\nThe invitation is valid for 7 days.\n`,
    },
    de: {
      subject: `Einladung zu ${p.place} auf Kiln`,
      text: `Hallo,\n\n${p.inviter} hat Sie eingeladen, ${p.place} auf Kiln als ${ROLE_LABELS.de[p.role]} beizutreten.\n\nNehmen Sie die Einladung an (registrieren Sie sich zuerst oder melden Sie sich mit dieser E-Mail-Adresse an):\n\n${p.link}\n\nDie Einladung ist 7 Tage gültig.\n`,
    },
  }),
};

export type AccountEmailTemplate = keyof typeof templates;

export async function sendAccountEmail<K extends AccountEmailTemplate>(
  tx: Tx,
  template: K,
  to: { email: string; locale: string | null | undefined },
  params: Parameters<(typeof templates)[K]>[0],
  coopId: string | null = null,
): Promise<void> {
  const locale: Locale = to.locale === "de" ? "de" : "en";
  const render = templates[template] as (p: typeof params) => Record<Locale, Message>;
  const message = render(params)[locale];
  await enqueueEmail(tx, { to: to.email, subject: message.subject, text: message.text, template, locale, coopId });
}

/** A link into the app; `appUrl` has no trailing slash (Config.appUrl). */
export const appLink = (appUrl: string, path: string, token?: string) =>
  `${appUrl.replace(/\/$/, "")}${path}${token === undefined ? "" : `?token=${encodeURIComponent(token)}`}`;
