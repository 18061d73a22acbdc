import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { eq } from "drizzle-orm";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { schema, withSystem, type Runtime } from "@kiln/db";

/**
 * Receipt links for the declarations the logged-out forms receive (DE-7 / X-X4: the member can save
 * the declaration with date and time). The token is `<row id>.<HMAC>` under a server secret, so a
 * double submit can show the same link again, and ids alone are useless: the link is not enumerable.
 * Only sha256(token) is stored, as the look-up key.
 */
export function receiptToken(key: string, kind: "cancellation" | "withdrawal", id: string): string {
  const mac = createHmac("sha256", key).update(`kiln-receipt:${kind}:${id}`).digest("base64url");
  return `${id}.${mac}`;
}

export const receiptHash = (token: string) => createHash("sha256").update(token).digest("hex");

/** Checks the token's MAC (constant time) before any database look-up. */
export function verifyReceiptToken(key: string, kind: "cancellation" | "withdrawal", token: string): boolean {
  const [id] = token.split(".");
  if (!id || !/^[0-9a-f-]{36}$/.test(id)) return false;
  const expected = Buffer.from(receiptToken(key, kind, id));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The declaration behind a receipt link (the caller checks the token's MAC first); null when none. */
export async function findReceipt(rt: Runtime, kind: "cancellation" | "withdrawal", token: string) {
  const table = kind === "withdrawal" ? schema.withdrawals : schema.cancellations;
  const [row] = await withSystem(rt, `rights-${kind}-receipt`, (tx) =>
    tx
      .select({ statement: table.statement, receivedAt: table.receivedAt, locale: table.locale })
      .from(table)
      .where(eq(table.receiptHash, receiptHash(token)))
      .limit(1),
  );
  return row ?? null;
}

/** A receipt as the member downloads it: a title, the statement, and when it was received. */
export interface Receipt {
  title: string;
  statement: string;
  receivedAt: Date;
  receivedLabel: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function receiptText(r: Receipt): string {
  return `${r.title}\n\n${r.statement}\n\n${r.receivedLabel}: ${r.receivedAt.toISOString()}\n`;
}

export function receiptHtml(r: Receipt, lang: string): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title></head><body><h1>${escapeHtml(r.title)}</h1><pre>${escapeHtml(r.statement)}</pre><p>${escapeHtml(r.receivedLabel)}: <time datetime="${r.receivedAt.toISOString()}">${r.receivedAt.toISOString()}</time></p></body></html>`;
}

/** WinAnsi (the standard fonts' encoding) cannot draw every character: replace the rest. */
const winAnsi = (s: string) => s.replace(/[^\x20-\x7e\xa0-\xff\n]/g, "?");

export async function receiptPdf(r: Receipt): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(r.title);
  pdf.setCreationDate(r.receivedAt);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  let page = pdf.addPage([595, 842]);
  let y = 790;
  page.drawText(winAnsi(r.title), { x: 50, y, size: 16, font: bold });
  y -= 32;
  const lines = `${r.statement}\n\n${r.receivedLabel}: ${r.receivedAt.toISOString()}`.split("\n").flatMap((line) => {
    const out: string[] = [];
    let rest = winAnsi(line);
    while (rest.length > 90) {
      const cut = rest.lastIndexOf(" ", 90) > 20 ? rest.lastIndexOf(" ", 90) : 90;
      out.push(rest.slice(0, cut));
      rest = rest.slice(cut).trimStart();
    }
    out.push(rest);
    return out;
  });
  for (const line of lines) {
    if (y < 50) {
      page = pdf.addPage([595, 842]);
      y = 790;
    }
    page.drawText(line, { x: 50, y, size: 11, font });
    y -= 16;
  }
  return pdf.save();
}
