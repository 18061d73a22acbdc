/**
 * `pnpm db:seed`: builds the demo (two co-ops, their creators and factories, one account per role;
 * see packages/seed/src/demo.ts and the README's demo logins) on the configured database, after
 * applying any pending migrations. Refuses with NODE_ENV=production, and leaves a database that
 * already has co-ops alone (the demo's slugs and emails are fixed, so it is seeded once).
 */
import { systemClock } from "@kiln/db";
import { describeTarget, loadConfigOrExit, migrateAndReport, openConfiguredDatabase } from "@kiln/db/cli";
import { DEMO_PASSWORD, isDatabaseEmpty, seedDemo } from "@kiln/seed";
// The demo's compliance tiers are judged on the real order page, which the app renders: that is why
// this command lives in the app and not in db/.
import { renderOrderPage } from "../app/compliance.server";

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.isProduction) {
    console.error(
      "db:seed refused: NODE_ENV=production. Demo data (with published demo passwords) is never seeded in production.",
    );
    process.exit(1);
  }
  const target = describeTarget(config);
  const database = await openConfiguredDatabase(config);
  try {
    const applied = await migrateAndReport(database);
    if (applied.length > 0) console.log(`db:seed: applied ${applied.length} pending migrations first.`);
    const rt = { database, clock: systemClock };
    if (!(await isDatabaseEmpty(rt))) {
      console.log(`db:seed: ${target} already has co-ops; the demo is not seeded again.`);
      return;
    }
    const summary = await seedDemo(rt, { renderOrderPage });
    console.log(
      `db:seed: seeded the demo into ${target}: ${summary.coops} co-ops, ${summary.users} users ` +
        `(password "${DEMO_PASSWORD}"; the README lists the accounts).`,
    );
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error("db:seed failed:", error instanceof Error ? error.message : error);
  process.exit(1);
});
