/**
 * `pnpm db:migrate`: applies the committed migrations to the configured database: DATABASE_URL when
 * set, else the embedded database in KILN_DATA_DIR (default .data). Says which ones it applied.
 * Kiln also migrates at start, so this is for servers deployed separately and for inspection.
 */
import {
  committedMigrations,
  describeTarget,
  loadConfigOrExit,
  migrateAndReport,
  openConfiguredDatabase,
} from "./config";

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const target = describeTarget(config);
  const database = await openConfiguredDatabase(config);
  try {
    const applied = await migrateAndReport(database);
    const total = committedMigrations().length;
    if (applied.length === 0) {
      console.log(`db:migrate: ${target} is up to date (${total} migrations).`);
    } else {
      console.log(`db:migrate: applied ${applied.length} of ${total} migrations to ${target}:`);
      for (const tag of applied) console.log(`  ${tag}`);
    }
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error("db:migrate failed:", error instanceof Error ? error.message : error);
  process.exit(1);
});
