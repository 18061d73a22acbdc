/**
 * `pnpm db:check`: fails when the drizzle schema and the committed migrations disagree.
 *
 * 1. The journal (migrations/meta/_journal.json) and the SQL files name the same migrations, in order,
 *    each with its snapshot.
 * 2. `drizzle-kit check` finds the snapshots consistent (no collisions, no malformed files).
 * 3. `drizzle-kit generate`, run against a COPY of the migrations, has nothing to generate. If it
 *    writes a file, the schema changed without a migration; if it stops to ask (a table, column or
 *    policy looks renamed), the schema changed too. db/migrations is never touched.
 *
 * Exit 0 when in sync, 1 with a message saying what to do otherwise.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dbDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const migrationsDir = path.join(dbDir, "migrations");
const drizzleKit = path.join(dbDir, "node_modules", "drizzle-kit", "bin.cjs");

const problems: string[] = [];

interface Journal {
  entries: { idx: number; tag: string }[];
}

function checkJournal(): void {
  const journalFile = path.join(migrationsDir, "meta", "_journal.json");
  if (!existsSync(journalFile)) {
    problems.push(`${path.relative(dbDir, journalFile)} is missing`);
    return;
  }
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as Journal;
  const tags = journal.entries.map((e) => e.tag);
  const sqlFiles = readdirSync(migrationsDir)
    .filter((f) => f.endsWith(".sql"))
    .map((f) => f.slice(0, -".sql".length))
    .sort();
  for (const tag of tags) {
    if (!sqlFiles.includes(tag)) problems.push(`journal names ${tag} but migrations/${tag}.sql is missing`);
    const snapshot = path.join(migrationsDir, "meta", `${tag.split("_")[0]}_snapshot.json`);
    if (!existsSync(snapshot)) problems.push(`migration ${tag} has no snapshot (${path.relative(dbDir, snapshot)})`);
  }
  for (const file of sqlFiles) {
    if (!tags.includes(file)) {
      problems.push(`migrations/${file}.sql is not in the journal: generate migrations with \`pnpm db:generate\``);
    }
  }
  journal.entries.forEach((entry, i) => {
    if (entry.idx !== i) problems.push(`journal entry ${entry.tag} has idx ${entry.idx}, expected ${i}`);
  });
}

function runDrizzleKit(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [drizzleKit, ...args], {
    cwd: dbDir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`;
  return { status: result.status, output };
}

/** drizzle-kit prints stack traces for its errors; the first line or two say what happened. */
function summarise(output: string): string {
  return output
    .split("\n")
    .filter((line) => line.trim() && !/^\s+at /.test(line) && !line.startsWith("Reading config file"))
    .slice(-6)
    .map((line) => `    ${line}`)
    .join("\n");
}

function checkGenerate(workDir: string): void {
  const copy = path.join(workDir, "migrations");
  cpSync(migrationsDir, copy, { recursive: true });
  // drizzle-kit prefixes `out` with "./", so it must be relative to the working directory (db/).
  const config = {
    dialect: "postgresql",
    schema: "./src/schema/index.ts",
    out: path.relative(dbDir, copy),
    casing: "snake_case",
    entities: { roles: false },
  };
  const configFile = path.join(workDir, "drizzle.config.ts");
  writeFileSync(configFile, `export default ${JSON.stringify(config, null, 2)};\n`);

  const check = runDrizzleKit(["check", "--config", configFile]);
  if (check.status !== 0 || !check.output.includes("Everything's fine")) {
    problems.push(`drizzle-kit check found inconsistent migration snapshots:\n${summarise(check.output)}`);
  }

  const before = new Set(readdirSync(copy));
  const generate = runDrizzleKit(["generate", "--config", configFile]);
  const created = readdirSync(copy).filter((f) => !before.has(f));
  if (created.length > 0) {
    const sql = created
      .filter((f) => f.endsWith(".sql"))
      .map((f) => readFileSync(path.join(copy, f), "utf8").trim())
      .join("\n");
    problems.push(
      `the schema (db/src/schema) has changes no migration covers; drizzle-kit would generate:\n\n` +
        sql
          .split("\n")
          .map((line) => `    ${line}`)
          .join("\n") +
        `\n\n  Run \`pnpm db:generate\`, review the SQL and commit it with the schema change.`,
    );
  } else if (/Interactive prompts require a TTY/i.test(generate.output)) {
    problems.push(
      "the schema (db/src/schema) has changes no migration covers, and drizzle-kit needs to ask whether " +
        "something (a table, column, policy, enum …) was renamed or replaced.\n" +
        "  Run `pnpm db:generate` in a terminal, answer its questions, review the SQL and commit it.",
    );
  } else if (!generate.output.includes("No schema changes")) {
    problems.push(`drizzle-kit generate failed (status ${generate.status}):\n${summarise(generate.output)}`);
  }
}

function main(): void {
  if (!existsSync(drizzleKit)) {
    console.error(`db:check: ${drizzleKit} not found; run \`pnpm install\` first.`);
    process.exit(1);
  }
  checkJournal();
  const workDir = mkdtempSync(path.join(tmpdir(), "kiln-db-check-"));
  try {
    checkGenerate(workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.error("db:check FAILED: the schema and the committed migrations disagree.\n");
    for (const problem of problems) console.error(`- ${problem}\n`);
    process.exit(1);
  }
  const count = readdirSync(migrationsDir).filter((f) => f.endsWith(".sql")).length;
  console.log(`db:check: schema and ${count} committed migrations agree.`);
}

main();
