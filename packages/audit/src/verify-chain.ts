import { and, asc, eq, gt } from "drizzle-orm";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { entryHash, GENESIS_HASH } from "./canonical";
import { readCheckpoints } from "./checkpoints";

export type ChainProblem =
  /** An entry's stored hash is not the hash of its content: it was altered. */
  | "hash"
  /** An entry's prev_hash is not the previous entry's hash: entries were replaced or re-hashed. */
  | "link"
  /** An entry is missing from the middle (or start) of the chain. */
  | "sequence"
  /** A checkpoint names an entry beyond the chain's end: entries were deleted from the end. */
  | "truncated"
  /** A checkpoint's hash differs from the chain's entry at that seq: the chain was rewritten. */
  | "rewritten"
  /** A checkpoint line is not signed with the key (forged or damaged). */
  | "checkpoint";

export type VerifyResult =
  | { ok: true; entries: number; head: { seq: number; hash: string } | null; checkpoints: number }
  | { ok: false; brokenAt: number; problem: ChainProblem; reason: string };

export interface VerifyOptions {
  /** Folder of signed checkpoints; with it, truncation and rewrites are detected too. */
  checkpointDir?: string;
  /** HMAC key of the checkpoints (required with checkpointDir). */
  key?: string;
}

const BATCH = 1000;

/**
 * Recomputes every entry's hash and link in seq order and names the FIRST broken entry. With
 * checkpoints it also checks each signed head against the chain. Runs in the system context.
 */
export async function verifyChain(rt: Runtime, coopId: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const failures: Array<{ brokenAt: number; problem: ChainProblem; reason: string }> = [];
  const expected = new Map<number, string[]>();
  let checkpointCount = 0;
  if (options.checkpointDir !== undefined) {
    if (!options.key) throw new Error("verifyChain: a checkpoint key is required with checkpointDir");
    for (const line of await readCheckpoints({ dir: options.checkpointDir, key: options.key }, coopId)) {
      if (!line.valid) {
        failures.push({ brokenAt: 0, problem: "checkpoint", reason: `checkpoint line ${line.line} ${line.problem}` });
        continue;
      }
      checkpointCount += 1;
      const list = expected.get(line.checkpoint.seq) ?? [];
      list.push(line.checkpoint.hash);
      expected.set(line.checkpoint.seq, list);
    }
  }

  const { entries, head, chainFailure } = await withSystem(rt, "audit-verify", async (tx) => {
    let prev = null as { seq: number; hash: string } | null;
    let count = 0;
    for (;;) {
      const rows = await tx
        .select()
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.coopId, coopId), gt(schema.auditLog.seq, prev?.seq ?? 0)))
        .orderBy(asc(schema.auditLog.seq))
        .limit(BATCH);
      for (const row of rows) {
        const wantSeq: number = (prev?.seq ?? 0) + 1;
        if (row.seq !== wantSeq) {
          return {
            entries: count,
            head: prev,
            chainFailure: {
              brokenAt: wantSeq,
              problem: "sequence" as const,
              reason: `entry ${wantSeq} is missing (next entry is ${row.seq})`,
            },
          };
        }
        const wantPrev = prev?.hash ?? GENESIS_HASH;
        if (row.prevHash !== wantPrev) {
          return {
            entries: count,
            head: prev,
            chainFailure: {
              brokenAt: row.seq,
              problem: "link" as const,
              reason: `entry ${row.seq} does not link to entry ${row.seq - 1} (prev_hash differs)`,
            },
          };
        }
        if (entryHash(row) !== row.hash) {
          return {
            entries: count,
            head: prev,
            chainFailure: {
              brokenAt: row.seq,
              problem: "hash" as const,
              reason: `entry ${row.seq} was altered (its content no longer matches its hash)`,
            },
          };
        }
        for (const hash of expected.get(row.seq) ?? []) {
          if (hash !== row.hash) {
            return {
              entries: count,
              head: prev,
              chainFailure: {
                brokenAt: row.seq,
                problem: "rewritten" as const,
                reason: `entry ${row.seq} differs from its signed checkpoint: the chain was rewritten at or before it`,
              },
            };
          }
        }
        prev = { seq: row.seq, hash: row.hash };
        count += 1;
      }
      if (rows.length < BATCH) return { entries: count, head: prev, chainFailure: null };
    }
  });

  if (chainFailure) failures.push(chainFailure);
  else {
    const headSeq = head?.seq ?? 0;
    const beyond = [...expected.keys()].filter((seq) => seq > headSeq);
    if (beyond.length) {
      failures.push({
        brokenAt: headSeq + 1,
        problem: "truncated",
        reason: `a signed checkpoint names entry ${Math.max(...beyond)} but the chain ends at ${headSeq}: entries were deleted`,
      });
    }
  }
  if (failures.length) {
    // A bad checkpoint line is reported first: without trustworthy checkpoints nothing else is certain.
    const first = failures.reduce((a, b) => (b.brokenAt < a.brokenAt ? b : a));
    return { ok: false, ...first };
  }
  return { ok: true, entries, head, checkpoints: checkpointCount };
}
