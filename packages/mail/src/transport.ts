import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";

/** One message as the outbox hands it to a transport. */
export interface OutgoingMail {
  /** The outbox row's id; also the Message-ID's local part, so a resent copy can be recognised. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  date: Date;
}

/** A message as written by the file transport (one JSON file per message). */
export interface LocalMail {
  id: string;
  messageId: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string | null;
  /** ISO 8601 */
  date: string;
}

export interface MailTransport {
  kind: "smtp" | "file";
  send(message: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export interface MailTransportOptions {
  /** smtp:// or smtps:// URL; when unset, mail is written to mailDir. */
  smtpUrl?: string | undefined;
  /** The local mail folder (config.mailDir). */
  mailDir: string;
  /** The From header (config.mailFrom). */
  from: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const messageIdOf = (id: string) => `<${id}@kiln.local>`;

/** nodemailer over SMTP when smtpUrl is set; otherwise a JSON file per message in mailDir (dev mailbox). */
export function createMailTransport(options: MailTransportOptions): MailTransport {
  if (options.smtpUrl) {
    const smtp = nodemailer.createTransport(options.smtpUrl);
    return {
      kind: "smtp",
      async send(m) {
        const messageId = messageIdOf(m.id);
        await smtp.sendMail({
          from: options.from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          ...(m.html ? { html: m.html } : {}),
          date: m.date,
          messageId,
        });
        return { messageId };
      },
      close: () => smtp.close(),
    };
  }
  return {
    kind: "file",
    async send(m) {
      if (!UUID.test(m.id)) throw new Error(`not an outbox id: ${m.id}`);
      const mail: LocalMail = {
        id: m.id.toLowerCase(),
        messageId: messageIdOf(m.id),
        to: m.to,
        from: options.from,
        subject: m.subject,
        text: m.text,
        html: m.html ?? null,
        date: m.date.toISOString(),
      };
      await mkdir(options.mailDir, { recursive: true });
      // Write then rename: a reader never sees half a message; a resend replaces the same file.
      const file = path.join(options.mailDir, `${mail.id}.json`);
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(mail, null, 2), { mode: 0o600 });
      await rename(temp, file);
      return { messageId: mail.messageId };
    },
    close() {},
  };
}

/** The messages in the local mail folder, newest first (an absent folder is an empty mailbox). */
export async function listLocalMail(mailDir: string, options: { limit?: number } = {}): Promise<LocalMail[]> {
  let names: string[];
  try {
    names = await readdir(mailDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const mails: LocalMail[] = [];
  for (const name of names) {
    const id = name.replace(/\.json$/, "");
    if (!name.endsWith(".json") || !UUID.test(id)) continue;
    const mail = await readLocalMail(mailDir, id);
    if (mail) mails.push(mail);
  }
  mails.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : a.id < b.id ? 1 : -1));
  return options.limit === undefined ? mails : mails.slice(0, options.limit);
}

/** One message of the local mail folder; null when the id is not a message id or there is no such message. */
export async function readLocalMail(mailDir: string, id: string): Promise<LocalMail | null> {
  // Only a UUID names a message: "../", absolute paths and the like never reach the file system.
  if (!UUID.test(id)) return null;
  try {
    return JSON.parse(await readFile(path.join(mailDir, `${id.toLowerCase()}.json`), "utf8")) as LocalMail;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || error instanceof SyntaxError) return null;
    throw error;
  }
}
