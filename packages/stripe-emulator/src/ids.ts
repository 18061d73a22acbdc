import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Random base62 text, like the tail of Stripe's ids. */
export function randomToken(length = 24): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % 62];
  return out;
}

/** An id with Stripe's prefix: `cus_…`, `pi_…`, `evt_…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomToken(24)}`;
}

/** The id of an expandable field (an id string or an expanded object). */
export function idOf(value: string | { id: string } | null | undefined): string {
  if (!value) return "";
  return typeof value === "string" ? value : value.id;
}
