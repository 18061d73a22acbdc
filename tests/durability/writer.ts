// Child process for embedded-durability.test.ts: commits one co-op per line it reads and reports it,
// then waits to be killed.
import { createInterface } from "node:readline";
import { migrateDatabase, openDatabase, systemClock } from "@kiln/db";
import { createCoop } from "@kiln/seed";

const dataDir = process.argv[2]!;
const database = await openDatabase({ dataDir });
await migrateDatabase(database);
const rt = { database, clock: systemClock };
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const coop = await createCoop(rt, { slug: line.trim() });
  process.stdout.write(`committed ${coop.slug}\n`);
}
