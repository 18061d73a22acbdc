import { asc, desc, eq } from "drizzle-orm";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { appendCheckpoint, readCheckpoints, type Checkpoint, type CheckpointOptions } from "./checkpoints";
import { verifyChain } from "./verify-chain";

/**
 * Signs the co-op's current chain head into `<dir>/<coopId>.jsonl`. The chain is verified (against the
 * existing checkpoints too) first: a tampered chain is never signed, the call throws instead. Returns
 * null when the chain is empty or its head is already the last checkpoint.
 */
export async function writeCheckpoint(
  rt: Runtime,
  coopId: string,
  options: CheckpointOptions,
): Promise<Checkpoint | null> {
  const result = await verifyChain(rt, coopId, { checkpointDir: options.dir, key: options.key });
  if (!result.ok)
    throw new Error(`audit chain of co-op ${coopId} is broken at entry ${result.brokenAt}: ${result.reason}`);
  if (!result.head) return null;
  const lines = await readCheckpoints(options, coopId);
  const last = lines.at(-1);
  if (last?.valid && last.checkpoint.seq === result.head.seq && last.checkpoint.hash === result.head.hash) return null;
  return appendCheckpoint(options, {
    coopId,
    seq: result.head.seq,
    hash: result.head.hash,
    at: rt.clock.now().toISOString(),
  });
}

export type CheckpointOutcome = { coopId: string; checkpoint: Checkpoint | null } | { coopId: string; error: string };

/** writeCheckpoint for every co-op (system context); a broken chain is reported, not signed, and does not stop the others. */
export async function writeAllCheckpoints(rt: Runtime, options: CheckpointOptions): Promise<CheckpointOutcome[]> {
  const coops = await withSystem(rt, "audit-checkpoint", (tx) =>
    tx.select({ id: schema.coops.id }).from(schema.coops).orderBy(asc(schema.coops.createdAt)),
  );
  const out: CheckpointOutcome[] = [];
  for (const { id } of coops) {
    try {
      out.push({ coopId: id, checkpoint: await writeCheckpoint(rt, id, options) });
    } catch (error) {
      out.push({ coopId: id, error: (error as Error).message });
    }
  }
  return out;
}

/** The last entry of a co-op's chain, read in the system context. */
export async function getChainHead(rt: Runtime, coopId: string): Promise<{ seq: number; hash: string } | null> {
  const [head] = await withSystem(rt, "audit-head", (tx) =>
    tx
      .select({ seq: schema.auditLog.seq, hash: schema.auditLog.hash })
      .from(schema.auditLog)
      .where(eq(schema.auditLog.coopId, coopId))
      .orderBy(desc(schema.auditLog.seq))
      .limit(1),
  );
  return head ?? null;
}
