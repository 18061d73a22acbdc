/**
 * The bench harness: warm up, run timed rounds, summarise (median, p95, ops/s), and write
 * bench/results/<name>.json and .md.
 *
 * These machines are shared and noisy, so a bench reports RATIOS between things measured in the same
 * run (interleaved round by round, so a burst of load hits both sides), next to a reference such as a
 * `select 1` round-trip. Absolute times are printed for context only. Never use a bench as a test.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");

export interface BenchOptions {
  /** Fewer, shorter rounds (CI smoke run): the numbers are rougher but the code paths are the same. */
  quick: boolean;
  /** Set when the run should stop early (Ctrl-C): loops check it so clean-up still runs. */
  signal: AbortSignal;
}

export interface Bench {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<BenchOutcome>;
}

/** What a bench's run returns; the runner adds its name, description and timing. */
export type BenchOutcome = Pick<BenchResult, "environment" | "measurements" | "ratios" | "notes">;

export interface Measurement {
  /** Stable key, e.g. "embedded.tenant-read". */
  key: string;
  label: string;
  ops: number;
  medianUs: number;
  p95Us: number;
  meanUs: number;
  minUs: number;
  /** ops divided by the time spent in timed rounds. */
  opsPerSec: number;
}

export interface Ratio {
  label: string;
  value: number;
  /** How to read it, e.g. "> 1: embedded is slower". */
  meaning: string;
}

export interface BenchResult {
  name: string;
  description: string;
  startedAt: string;
  durationMs: number;
  quick: boolean;
  environment: Record<string, string | number>;
  measurements: Measurement[];
  ratios: Ratio[];
  notes: string[];
}

export function defineBench(bench: Bench): Bench {
  return bench;
}

// ---------- statistics ----------

/** Linear-interpolated percentile of an ascending-sorted array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

export const median = (sorted: readonly number[]) => percentile(sorted, 50);

export function summarise(key: string, label: string, latenciesNs: readonly number[], elapsedNs: number): Measurement {
  const us = latenciesNs.map((ns) => ns / 1000).sort((a, b) => a - b);
  const total = us.reduce((s, v) => s + v, 0);
  return {
    key,
    label,
    ops: us.length,
    medianUs: median(us),
    p95Us: percentile(us, 95),
    meanUs: us.length ? total / us.length : Number.NaN,
    minUs: us[0] ?? Number.NaN,
    opsPerSec: elapsedNs > 0 ? us.length / (elapsedNs / 1e9) : Number.NaN,
  };
}

// ---------- timed loops ----------

export interface Subject {
  key: string;
  label: string;
  /** One operation; awaited before the next starts (latency, not concurrency). */
  op: () => Promise<unknown>;
}

export interface LoopOptions {
  /** Untimed calls of each subject first (JIT, caches, prepared statements). */
  warmupOps: number;
  /** Timed rounds; subjects take turns within each round so noise hits all of them alike. */
  rounds: number;
  /** Time budget of one subject in one round. */
  roundMs: number;
  /** Upper bound of operations per subject and round. */
  maxOpsPerRound: number;
  signal?: AbortSignal;
}

/**
 * Runs every subject for `rounds` interleaved rounds (A B C, B C A, C A B, … — the order rotates so no
 * subject always follows another) and returns one Measurement per subject.
 */
export async function measureInterleaved(subjects: readonly Subject[], options: LoopOptions): Promise<Measurement[]> {
  for (const subject of subjects) {
    for (let i = 0; i < options.warmupOps; i++) await subject.op();
  }
  const latencies = subjects.map(() => [] as number[]);
  const elapsed = subjects.map(() => 0);
  for (let round = 0; round < options.rounds && !options.signal?.aborted; round++) {
    for (let k = 0; k < subjects.length; k++) {
      const index = (k + round) % subjects.length;
      const subject = subjects[index]!;
      const deadline = process.hrtime.bigint() + BigInt(options.roundMs) * 1_000_000n;
      const roundStart = process.hrtime.bigint();
      for (let i = 0; i < options.maxOpsPerRound; i++) {
        const start = process.hrtime.bigint();
        await subject.op();
        const end = process.hrtime.bigint();
        latencies[index]!.push(Number(end - start));
        if (end >= deadline || options.signal?.aborted) break;
      }
      elapsed[index]! += Number(process.hrtime.bigint() - roundStart);
    }
  }
  return subjects.map((s, i) => summarise(s.key, s.label, latencies[i]!, elapsed[i]!));
}

export function find(measurements: readonly Measurement[], key: string): Measurement {
  const m = measurements.find((x) => x.key === key);
  if (!m) throw new Error(`no measurement ${key}`);
  return m;
}

// ---------- environment ----------

export function environment(): Record<string, string | number> {
  const cpus = os.cpus();
  const [load1, load5] = os.loadavg();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage1m: Number((load1 ?? 0).toFixed(2)),
    loadAverage5m: Number((load5 ?? 0).toFixed(2)),
  };
}

// ---------- output ----------

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "n/a";

export function toMarkdown(result: BenchResult): string {
  const lines = [
    `# Bench: ${result.name}`,
    "",
    result.description,
    "",
    `Run ${result.startedAt} in ${(result.durationMs / 1000).toFixed(1)} s${result.quick ? " (quick mode: rough numbers)" : ""}.`,
    "",
    "## Ratios (measured in the same run)",
    "",
    "| Ratio | Value | Meaning |",
    "| --- | ---: | --- |",
    ...result.ratios.map((r) => `| ${r.label} | ${fmt(r.value, 2)} | ${r.meaning} |`),
    "",
    "## Measurements (absolute numbers: context only, this machine is shared and noisy)",
    "",
    "| Operation | ops | median µs | p95 µs | mean µs | ops/s |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...result.measurements.map(
      (m) =>
        `| ${m.label} | ${m.ops} | ${fmt(m.medianUs)} | ${fmt(m.p95Us)} | ${fmt(m.meanUs)} | ${fmt(m.opsPerSec, 0)} |`,
    ),
    "",
    "## Environment",
    "",
    ...Object.entries(result.environment).map(([k, v]) => `- ${k}: ${v}`),
  ];
  if (result.notes.length) lines.push("", "## Notes", "", ...result.notes.map((n) => `- ${n}`));
  return `${lines.join("\n")}\n`;
}

/** Writes results/<name>.json and results/<name>.md (each via a temp file, so a crash leaves the old ones). */
export function writeResults(result: BenchResult): { json: string; markdown: string } {
  mkdirSync(resultsDir, { recursive: true });
  const json = path.join(resultsDir, `${result.name}.json`);
  const markdown = path.join(resultsDir, `${result.name}.md`);
  writeFileSync(`${json}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${json}.tmp`, json);
  writeFileSync(`${markdown}.tmp`, toMarkdown(result));
  renameSync(`${markdown}.tmp`, markdown);
  return { json, markdown };
}

/** A compact console summary: the ratios first, then the measurements. */
export function printSummary(result: BenchResult): void {
  console.log(`\n${result.name} (${(result.durationMs / 1000).toFixed(1)} s${result.quick ? ", quick" : ""})`);
  for (const r of result.ratios) console.log(`  ${r.label}: ${fmt(r.value, 2)}  (${r.meaning})`);
  console.table(
    result.measurements.map((m) => ({
      operation: m.label,
      ops: m.ops,
      "median µs": fmt(m.medianUs),
      "p95 µs": fmt(m.p95Us),
      "ops/s": fmt(m.opsPerSec, 0),
    })),
  );
}
