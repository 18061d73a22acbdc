/**
 * `pnpm bench [name…] [--quick] [--list]`: runs every bench (or the named ones), prints a summary and
 * writes bench/results/<name>.json and .md. `--quick` is a short smoke run (CI); its numbers are rough.
 * Exit 1 when a bench fails.
 */
import { writeResults, printSummary, type Bench, type BenchResult } from "./lib";

/** Every bench, by name. Add new ones here. */
const benches: Record<string, () => Promise<{ default: Bench }>> = {
  "embedded-vs-server": () => import("./embedded-vs-server"),
  allocation: () => import("./allocation"),
  webhooks: () => import("./webhooks"),
  "claim-storm": () => import("./claim-storm"),
  scoring: () => import("./scoring"),
};

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
  if (args.includes("--list") || args.includes("--help")) {
    console.log(
      `Usage: pnpm bench [name…] [--quick]\nBenches:\n${Object.keys(benches)
        .map((n) => `  ${n}`)
        .join("\n")}`,
    );
    return 0;
  }
  const names = args.filter((a) => !a.startsWith("--"));
  const unknown = names.filter((n) => !(n in benches));
  if (unknown.length) {
    console.error(`Unknown bench: ${unknown.join(", ")}. Known: ${Object.keys(benches).join(", ")}`);
    return 1;
  }

  const controller = new AbortController();
  process.once("SIGINT", () => {
    console.error("\nStopping after the current round (clean-up still runs)…");
    controller.abort();
  });

  let failed = 0;
  for (const name of names.length ? names : Object.keys(benches)) {
    const { default: bench } = await benches[name]!();
    console.log(`▶ ${bench.name}${quick ? " (quick)" : ""}`);
    const started = Date.now();
    try {
      const outcome = await bench.run({ quick, signal: controller.signal });
      const result: BenchResult = {
        name: bench.name,
        description: bench.description,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        quick,
        ...outcome,
      };
      printSummary(result);
      const files = writeResults(result);
      console.log(`  wrote ${files.json} and ${files.markdown}`);
    } catch (error) {
      failed++;
      console.error(`✗ ${name} failed:`, error);
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
