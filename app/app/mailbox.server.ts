import { listLocalMail, readLocalMail } from "@kiln/mail";
import type { KilnLoadContext } from "./context.server";
import { notFound } from "./errors.server";

/** The dev mailbox exists only when mail goes to the local folder, and never in production. */
export function requireDevMailbox(context: Pick<KilnLoadContext, "config">) {
  if (context.config.smtpUrl || context.config.isProduction) notFound();
  return context.config.mailDir;
}

const iso = (value: string) => {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
};

export async function listDevMail(mailDir: string) {
  const messages = await listLocalMail(mailDir);
  return messages.map((m) => ({ id: m.id, to: m.to, subject: m.subject, date: iso(m.date) }));
}

export async function readDevMail(mailDir: string, id: string) {
  // Ids are file names made by @kiln/mail: refuse anything that could leave the folder.
  if (!/^[\w.-]{1,200}$/.test(id) || id.includes("..")) notFound();
  const message = await readLocalMail(mailDir, id).catch(() => null);
  if (!message) notFound();
  return {
    id: message.id,
    from: message.from,
    to: message.to,
    subject: message.subject,
    date: iso(message.date),
    text: message.text,
  };
}
