import { ConfigError, loadConfig, type Config } from "@kiln/core";
import { openDatabase, systemClock, type Runtime } from "@kiln/db";
import { createMailTransport } from "@kiln/mail";
import { createStripeForConfig, registerBillingWorkers } from "./billing";
import { startWorkers } from "./jobs";

/**
 * The standalone job worker (production, with DATABASE_URL): the same handlers the web process runs
 * inline on the embedded database. Migrations are the web process's job (it runs them at start).
 */
function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`[kiln] ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

async function main() {
  const config = readConfig();
  if (!config.databaseUrl) {
    console.error(
      "[kiln] the standalone worker needs DATABASE_URL: the embedded database accepts one process, and its web process runs the jobs itself",
    );
    process.exit(1);
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, max: 4 });
  const rt: Runtime = { database, clock: systemClock };
  const transport = createMailTransport({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom });
  const jobs = await startWorkers(rt, config, transport);
  await registerBillingWorkers(jobs, rt, createStripeForConfig(config), config);
  console.log("[kiln] worker running: email outbox (every minute and on demand), audit checkpoints (hourly)");

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[kiln] worker ${signal}: finishing running jobs`);
    setTimeout(() => process.exit(1), 15_000).unref();
    void (async () => {
      await jobs.stop({ timeoutMs: 10_000 }).catch((e: unknown) => console.error("[kiln] stopping jobs", e));
      transport.close();
      await database.close();
      process.exit(0);
    })();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("[kiln] worker failed to start", error);
  process.exit(1);
});
