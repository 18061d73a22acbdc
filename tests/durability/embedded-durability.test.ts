import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase, schema, systemClock, withSystem } from "@kiln/db";
import { createCoop } from "@kiln/seed";
import { databaseMode } from "../setup/runtime";

/** The embedded database keeps what was committed: across a clean restart and across kill -9. */
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kiln-durability-"));
  dirs.push(dir);
  return path.join(dir, "pgdata");
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function readCoop(dataDir: string, slug: string) {
  const database = await openDatabase({ dataDir });
  try {
    await migrateDatabase(database);
    return await withSystem({ database, clock: systemClock }, "test", (tx) =>
      tx.select().from(schema.coops).where(eq(schema.coops.slug, slug)),
    );
  } finally {
    await database.close();
  }
}

describe.runIf(databaseMode() === "embedded")("embedded database durability", () => {
  it("keeps data across a clean restart", async () => {
    const dataDir = tempDir();
    const database = await openDatabase({ dataDir });
    await migrateDatabase(database);
    await createCoop({ database, clock: systemClock }, { slug: "survives-restart" });
    await database.close();
    expect(await readCoop(dataDir, "survives-restart")).toHaveLength(1);
  });

  it("loses no committed write when the process is killed with SIGKILL", async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "writer.ts"), dataDir], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => String((await lines.next()).value);
    expect(await next()).toBe("ready");
    for (const slug of ["killed-1", "killed-2", "killed-3"]) {
      child.stdin.write(`${slug}\n`);
      expect(await next()).toBe(`committed ${slug}`);
    }
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    for (const slug of ["killed-1", "killed-2", "killed-3"]) expect(await readCoop(dataDir, slug)).toHaveLength(1);
  }, 90_000);

  it("refuses a second process on the same data folder instead of corrupting it", async () => {
    const dataDir = tempDir();
    const first = await openDatabase({ dataDir });
    try {
      // The lock names this process, which may reopen its own folder; make it name another live
      // process (vitest's parent) as a second Kiln on the same folder would.
      writeFileSync(path.join(path.dirname(dataDir), ".pgdata.lock"), String(process.ppid));
      await expect(openDatabase({ dataDir })).rejects.toThrow(/in use by process/);
    } finally {
      await first.close();
    }
  });
});
