/**
 * `pnpm train` as a user runs it: the CLI (packages/personalization/src/cli/train.ts) in its own
 * process through tsx, pointed at the test database with DATABASE_URL, on a small seeded co-op. It
 * prints its progress, writes the model and its card to the directory given with --out and registers
 * a candidate; bad input (an unknown co-op, a bad flag or number, a window with no data) ends it with
 * a non-zero status and one clear line on stderr, and nothing is written or registered.
 */
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withSystem } from "@kiln/db";
import { listModels } from "@kiln/personalization";
import type { ModelCard } from "../../packages/personalization/src/train/index";
import { createCoopWithPeople, createCreator, seedPersonalizationHistory } from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { closeTestRuntime, databaseUrl, getTestRuntime } from "../setup/runtime";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(ROOT, "packages/personalization/src/cli/train.ts");
// The CLI trains on the system clock: the seeded history ends now, so its lists are labelled.
const NOW = new Date();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `pnpm train <args>` as the root package.json runs it (tsx), from the repository root. */
function train(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl(), NODE_ENV: "development" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** stderr's lines, without Node's own warnings (e.g. an experimental feature used by a dependency). */
const errorLines = (run: Run) =>
  run.stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/Warning:|--trace-warnings/.test(line));

let people: Awaited<ReturnType<typeof createCoopWithPeople>>;
let workDir: string;
/**
 * The co-op's registered models. The connection is closed again afterwards: the embedded server takes
 * one connection at a time, and the CLI needs it while it runs.
 */
async function models() {
  const rt = await getTestRuntime(NOW);
  try {
    return await listModels(rt, { userId: people.admin.id, coopId: people.coop.id, role: "coop_admin" });
  } finally {
    await closeTestRuntime();
  }
}

beforeAll(async () => {
  const rt = await getTestRuntime(NOW);
  people = await createCoopWithPeople(rt);
  const second = await createCreator(rt, { coopId: people.coop.id });
  // A small panel over four weeks: enough lists on both sides of the split, quick to seed and train.
  await withSystem(rt, "seed", (tx) =>
    seedPersonalizationHistory(tx, {
      coopId: people.coop.id,
      creatorIds: [people.creator.id, second.id],
      factoryId: people.factory.id,
      now: NOW,
      members: 24,
      weeks: 4,
      seed: 11,
      emailDomain: `panel-${randomUUID().slice(0, 8)}.test`,
      password: "panel password",
      membership: {
        creatorId: people.creator.id,
        ownerUserId: people.owner.id,
        reviewerUserId: people.reviewer.id,
        renderOrderPage,
      },
    }),
  );
  await closeTestRuntime();
  workDir = await mkdtemp(path.join(tmpdir(), "kiln-train-cli-"));
}, 120_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("pnpm train (the CLI in its own process)", () => {
  it("trains the co-op, prints its progress, writes model + card to --out and registers a candidate", async () => {
    const out = path.join(workDir, "models");
    const run = await train(["--coop", people.coop.slug, "--seed", "5", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const slug = people.coop.slug;
    for (const line of [
      `[${slug}] loading examples…`,
      `[${slug}] split at `,
      `[${slug}] fit: iteration 1/`,
      `[${slug}] evaluating on the held-out split`,
      `[${slug}] checking the ONNX file in onnxruntime-node…`,
    ])
      expect(run.stdout).toContain(line);
    const version = /\[[^\]]+\] exporting (\S+)\.onnx/.exec(run.stdout)?.[1];
    expect(version, run.stdout).toMatch(new RegExp(`^${slug}-\\d{8}T\\d{6}Z-[0-9a-f]{8}$`));
    expect((await readdir(out)).sort()).toEqual([`${version}.card.json`, `${version}.md`, `${version}.onnx`]);
    const card = JSON.parse(await readFile(path.join(out, `${version}.card.json`), "utf8")) as ModelCard;
    const onnx = await readFile(path.join(out, `${version}.onnx`));
    expect(card).toMatchObject({ version, seed: 5, scope: slug, featureSpec: { version: "offer-features/1" } });
    expect(createHash("sha256").update(onnx).digest("hex")).toBe(card.model.onnx.sha256);
    expect(run.stdout).toContain(`[${slug}] wrote ${path.join(out, `${version}.onnx`)}`);
    expect(run.stdout).toContain(`[${slug}] registered ${version} as a candidate`);
    expect((await models()).find((m) => m.version === version)).toMatchObject({
      status: "candidate",
      sha256: card.model.onnx.sha256,
    });
  }, 60_000);

  type Refusal = { name: string; args: (slug: string) => string[]; message: (slug: string) => RegExp };
  /** Refused before the database is opened. */
  const badArguments: Refusal[] = [
    {
      name: "a seed that is not an integer",
      args: (slug) => ["--coop", slug, "--seed", "1.5"],
      message: () => /^train: --seed must be an integer, got "1\.5" \(pnpm train --help lists the options\)$/,
    },
    {
      name: "an empty seed",
      args: (slug) => ["--coop", slug, "--seed", ""],
      message: () => /^train: --seed must be an integer, got ""/,
    },
    {
      name: "an unknown flag",
      args: (slug) => ["--coop", slug, "--epochs", "3"],
      message: () => /^train: Unknown option '--epochs' \(pnpm train --help lists the options\)$/,
    },
    {
      name: "a cutoff that is not an ISO time",
      args: (slug) => ["--coop", slug, "--cutoff", "1"],
      message: () => /^train: --cutoff must be an ISO time/,
    },
  ];
  /** Refused after looking at the data. */
  const badData: Refusal[] = [
    {
      name: "an unknown co-op slug",
      args: () => ["--coop", "no-such-coop"],
      message: () => /^train: no co-op with the slug "no-such-coop" in the PostgreSQL server /,
    },
    {
      name: "a cutoff before every list (nothing to train on)",
      args: (slug) => ["--coop", slug, "--cutoff", "2001-01-01T00:00:00Z"],
      message: (slug) => new RegExp(`^\\[${slug}\\] not trained: no exposures before the cutoff 2001-01-01`),
    },
  ];
  async function expectRefused({ args, message }: Refusal) {
    const out = path.join(workDir, `refused-${randomUUID().slice(0, 8)}`);
    const run = await train([...args(people.coop.slug), "--out", out]);
    expect(run.code).toBe(1);
    const lines = errorLines(run);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message(people.coop.slug));
    expect(existsSync(out)).toBe(false);
  }
  // Side by side (no database involved); the data refusals one at a time, as the embedded server
  // takes one connection at a time.
  it.concurrent.each(badArguments)("refuses $name with one line on stderr and writes nothing", expectRefused, 60_000);
  it.each(badData)("refuses $name with one line on stderr and writes nothing", expectRefused, 60_000);

  it("registered nothing for the refused runs: the co-op has only the one model", async () => {
    expect((await models()).map((m) => m.status)).toEqual(["candidate"]);
  });
});
