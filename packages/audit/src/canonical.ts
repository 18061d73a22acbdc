import { createHash, createHmac } from "node:crypto";

/**
 * Canonical JSON: object keys sorted (recursively), no whitespace, undefined members dropped,
 * Dates as ISO strings. Two equal values always give the same text, whatever their key order.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(",")}}`;
  }
  if (typeof value === "number" && !Number.isFinite(value)) throw new Error("audit data cannot hold NaN or Infinity");
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  return JSON.stringify(value);
}

export const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
export const hmacHex = (key: string, text: string) => createHmac("sha256", key).update(text, "utf8").digest("hex");

/** prev_hash of a chain's first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** The hashed fields of an entry. Personal data is represented by its id only, never its content. */
export interface HashedEntry {
  coopId: string;
  seq: number;
  prevHash: string;
  action: string;
  actorUserId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
  personalDataId: string | null;
  occurredAt: Date;
}

export function entryHash(e: HashedEntry): string {
  return sha256Hex(
    canonicalJson({
      coopId: e.coopId,
      seq: e.seq,
      prevHash: e.prevHash,
      action: e.action,
      actorUserId: e.actorUserId,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      data: e.data,
      personalDataId: e.personalDataId,
      occurredAt: e.occurredAt.toISOString(),
    }),
  );
}
