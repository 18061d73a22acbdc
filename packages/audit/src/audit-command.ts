import { asc, eq, or, sql } from "drizzle-orm";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { verifyChain } from "./verify-chain";

export const AUDIT_USAGE = "usage: pnpm audit:verify [--coop <slug or id>]";

export type AuditArgs = { command: "verify"; coop?: string } | { error: string };

/** Parses `verify [--coop <slug|id>]` (also `--coop=<x>`). */
export function parseAuditArgs(argv: string[]): AuditArgs {
  const [command, ...rest] = argv;
  if (command !== "verify") return { error: command ? `unknown command "${command}"` : "missing command" };
  let coop: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--coop" || arg.startsWith("--coop=")) {
      if (coop !== undefined) return { error: "--coop given twice" };
      const value = arg === "--coop" ? rest[++i] : arg.slice("--coop=".length);
      if (!value || value.startsWith("--")) return { error: "--coop needs a co-op slug or id" };
      coop = value;
    } else {
      return { error: `unknown argument "${arg}"` };
    }
  }
  return coop === undefined ? { command } : { command, coop };
}

export interface AuditCommandIo {
  checkpointDir: string;
  key: string;
  out(line: string): void;
}

/**
 * Verifies every co-op's chain (or the one named) against the signed checkpoints and prints one line per
 * co-op, naming the first broken entry. Returns the exit code: 0 all intact, 1 a chain is broken, 2 the
 * named co-op does not exist.
 */
export async function runAuditCommand(rt: Runtime, args: { coop?: string }, io: AuditCommandIo): Promise<number> {
  const coops = await withSystem(rt, "audit-verify", (tx) =>
    tx
      .select({ id: schema.coops.id, slug: schema.coops.slug })
      .from(schema.coops)
      .where(
        args.coop === undefined
          ? undefined
          : or(eq(schema.coops.slug, args.coop), sql`${schema.coops.id}::text = ${args.coop.toLowerCase()}`),
      )
      .orderBy(asc(schema.coops.slug)),
  );
  if (args.coop !== undefined && coops.length === 0) {
    io.out(`no co-op with slug or id "${args.coop}"`);
    return 2;
  }
  let broken = 0;
  for (const coop of coops) {
    const result = await verifyChain(rt, coop.id, { checkpointDir: io.checkpointDir, key: io.key });
    if (result.ok) {
      const head = result.head ? `head ${result.head.seq} ${result.head.hash.slice(0, 12)}…` : "empty";
      io.out(
        `ok      ${coop.slug} (${coop.id}): ${result.entries} entries, ${head}, ${result.checkpoints} checkpoints`,
      );
    } else {
      broken += 1;
      const where = result.brokenAt > 0 ? `first broken entry ${result.brokenAt}` : "bad checkpoint";
      io.out(`BROKEN  ${coop.slug} (${coop.id}): ${where} [${result.problem}]: ${result.reason}`);
    }
  }
  io.out(`${coops.length} co-op${coops.length === 1 ? "" : "s"} checked, ${broken} broken`);
  return broken > 0 ? 1 : 0;
}
