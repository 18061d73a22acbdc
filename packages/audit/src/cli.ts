import { loadConfig } from "@kiln/core";
import { openDatabase, systemClock } from "@kiln/db";
import { AUDIT_USAGE, parseAuditArgs, runAuditCommand } from "./audit-command";

/**
 * `pnpm audit:verify [--coop <slug or id>]`: verifies the audit chains of the configured database
 * (DATABASE_URL, else the embedded data folder) against the checkpoints in KILN_DATA_DIR.
 * Exit codes: 0 intact, 1 a chain is broken, 2 bad arguments or unknown co-op, 3 could not run.
 */
async function main(): Promise<number> {
  const args = parseAuditArgs(process.argv.slice(2));
  if ("error" in args) {
    console.error(`${args.error}\n${AUDIT_USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const database = await openDatabase(
    config.databaseUrl ? { databaseUrl: config.databaseUrl, max: 1 } : { dataDir: config.embeddedDataDir },
  );
  try {
    const [schemaRow] = await database.sql<[{ ok: boolean }]>`select to_regclass('public.audit_log') is not null as ok`;
    if (!schemaRow?.ok) {
      const where = config.databaseUrl ? "DATABASE_URL" : config.embeddedDataDir;
      console.error(`The database (${where}) has no Kiln schema yet: run pnpm db:migrate or start Kiln once.`);
      return 3;
    }
    return await runAuditCommand({ database, clock: systemClock }, args, {
      checkpointDir: config.checkpointDir,
      key: config.auditCheckpointKey,
      out: (line) => console.log(line),
    });
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? `\n  ${error.cause.message}` : "";
    console.error(`${error instanceof Error ? error.message : String(error)}${cause}`);
    process.exit(3);
  },
);
