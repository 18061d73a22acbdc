import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { canonicalJson, hmacHex } from "./canonical";

/** A signed chain head, one JSON line in `<dir>/<coopId>.jsonl`, kept outside the database. */
export interface Checkpoint {
  coopId: string;
  seq: number;
  hash: string;
  /** When it was written (the injectable clock), ISO 8601. */
  at: string;
  /** HMAC-SHA256 (hex) of the canonical JSON of the other four fields. */
  mac: string;
}

export interface CheckpointOptions {
  /** Folder of the checkpoint files (config.checkpointDir). */
  dir: string;
  /** HMAC key (config.auditCheckpointKey). */
  key: string;
}

export type CheckpointLine =
  { line: number; valid: true; checkpoint: Checkpoint } | { line: number; valid: false; problem: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkpointFile(dir: string, coopId: string): string {
  // The co-op id names the file: refuse anything that is not a UUID (no path tricks).
  if (!UUID.test(coopId)) throw new Error(`not a co-op id: ${coopId}`);
  return path.join(dir, `${coopId.toLowerCase()}.jsonl`);
}

export const checkpointMac = (key: string, c: Omit<Checkpoint, "mac">) =>
  hmacHex(key, canonicalJson({ coopId: c.coopId, seq: c.seq, hash: c.hash, at: c.at }));

export async function appendCheckpoint(options: CheckpointOptions, c: Omit<Checkpoint, "mac">): Promise<Checkpoint> {
  const checkpoint: Checkpoint = { ...c, mac: checkpointMac(options.key, c) };
  await mkdir(options.dir, { recursive: true });
  await appendFile(checkpointFile(options.dir, c.coopId), `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  return checkpoint;
}

/**
 * Reads a co-op's checkpoints, checking each line's MAC and that it names this co-op. A missing file
 * means no checkpoints yet. Lines that fail are returned as invalid (a forged or damaged checkpoint).
 */
export async function readCheckpoints(options: CheckpointOptions, coopId: string): Promise<CheckpointLine[]> {
  let text: string;
  try {
    text = await readFile(checkpointFile(options.dir, coopId), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const out: CheckpointLine[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (!raw.trim()) return;
    let value: Partial<Checkpoint>;
    try {
      value = JSON.parse(raw) as Partial<Checkpoint>;
    } catch {
      out.push({ line, valid: false, problem: "is not JSON" });
      return;
    }
    const { coopId: id, seq, hash, at, mac } = value;
    if (
      typeof id !== "string" ||
      typeof seq !== "number" ||
      typeof hash !== "string" ||
      typeof at !== "string" ||
      typeof mac !== "string"
    ) {
      out.push({ line, valid: false, problem: "lacks coopId, seq, hash, at or mac" });
    } else if (checkpointMac(options.key, { coopId: id, seq, hash, at }) !== mac) {
      out.push({ line, valid: false, problem: "has an invalid signature (forged, or signed with another key)" });
    } else if (id !== coopId) {
      out.push({ line, valid: false, problem: `names another co-op (${id})` });
    } else {
      out.push({ line, valid: true, checkpoint: { coopId: id, seq, hash, at, mac } });
    }
  });
  return out;
}
