import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { withSystem } from "@kiln/db";
import { getTestRuntime, databaseMode, databaseUrl } from "../../../tests/setup/runtime";
import { createCoop } from "../../seed/src/factories";
import { appendAudit, parseAuditArgs, runAuditCommand, writeCheckpoint } from "./index";

const rt = await getTestRuntime();
const key = "test-checkpoint-key-0123456789";
const dir = await mkdtemp(path.join(tmpdir(), "kiln-audit-cli-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run("npx", ["tsx", "src/cli.ts", ...args], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function coopWithEntries(n: number) {
  const coop = await createCoop(rt);
  for (let i = 0; i < n; i++) {
    await withSystem(rt, "test", (tx) =>
      appendAudit(tx, rt.clock.now(), { coopId: coop.id, action: "x", data: { i } }),
    );
  }
  return coop;
}

describe("parseAuditArgs", () => {
  it("accepts verify with an optional co-op", () => {
    expect(parseAuditArgs(["verify"])).toEqual({ command: "verify" });
    expect(parseAuditArgs(["verify", "--coop", "north"])).toEqual({ command: "verify", coop: "north" });
    expect(parseAuditArgs(["verify", "--coop=north"])).toEqual({ command: "verify", coop: "north" });
  });
  it("explains bad arguments", () => {
    expect(parseAuditArgs([])).toEqual({ error: "missing command" });
    expect(parseAuditArgs(["check"])).toEqual({ error: 'unknown command "check"' });
    expect(parseAuditArgs(["verify", "--coop"])).toEqual({ error: "--coop needs a co-op slug or id" });
    expect(parseAuditArgs(["verify", "--all"])).toEqual({ error: 'unknown argument "--all"' });
  });
});

describe("runAuditCommand", () => {
  it("prints a line per co-op and names the first broken entry", async () => {
    const coop = await coopWithEntries(3);
    await writeCheckpoint(rt, coop.id, { dir, key });
    const lines: string[] = [];
    const io = { checkpointDir: dir, key, out: (l: string) => lines.push(l) };
    expect(await runAuditCommand(rt, { coop: coop.slug }, io)).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^ok +${coop.slug} .*3 entries.*1 checkpoints`));

    await rt.database.sql`delete from audit_log where coop_id = ${coop.id} and seq = 3`;
    lines.length = 0;
    expect(await runAuditCommand(rt, { coop: coop.id }, io)).toBe(1);
    expect(lines[0]).toMatch(new RegExp(`^BROKEN +${coop.slug} .*first broken entry 3 \\[truncated\\]`));
    expect(lines.at(-1)).toBe("1 co-op checked, 1 broken");

    lines.length = 0;
    expect(await runAuditCommand(rt, {}, io)).toBe(1);
    expect(lines.some((l) => l.includes(coop.slug) && l.startsWith("BROKEN"))).toBe(true);
  });

  it("exits 2 for an unknown co-op", async () => {
    const lines: string[] = [];
    expect(
      await runAuditCommand(rt, { coop: "no-such-coop" }, { checkpointDir: dir, key, out: (l) => lines.push(l) }),
    ).toBe(2);
    expect(lines).toEqual(['no co-op with slug or id "no-such-coop"']);
  });
});

describe("cli.ts", () => {
  it("exits 2 with usage on bad arguments, before touching any database", async () => {
    const result = await cli(["verify", "--bogus"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown argument "--bogus"');
    expect(result.stderr).toContain("usage: pnpm audit:verify [--coop <slug or id>]");
  });

  it.runIf(databaseMode() === "server")("verifies a co-op of the configured database", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "kiln-audit-data-"));
    try {
      const env = { DATABASE_URL: databaseUrl(), KILN_DATA_DIR: dataDir, AUDIT_CHECKPOINT_KEY: key };
      const coop = await coopWithEntries(2);
      const good = await cli(["verify", "--coop", coop.slug], env);
      expect(good.code).toBe(0);
      expect(good.stdout).toMatch(/ok .*2 entries/);
      await rt.database.sql`update audit_log set data = '{"i":7}'::jsonb where coop_id = ${coop.id} and seq = 1`;
      const bad = await cli(["verify", "--coop", coop.slug], env);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/BROKEN .*first broken entry 1 \[hash\]/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
