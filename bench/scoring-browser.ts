/**
 * What on-device scoring costs a browser (issue 9 §8): the bytes Chromium downloads to score (the
 * lazily imported runtime chunk, onnxruntime-web's `.mjs` loader and `.wasm`, and the model, as
 * transferred with gzip like Kiln's compression middleware) and the time from "score these offers" to
 * the first scores on a cold page (import, download, wasm compile, session, one batched run), next to
 * a warm second scoring of the same offers. Served by the parity test's harness
 * (tests/personalization/browser-harness.ts): the real browser.ts under Kiln's CSP.
 *
 * bench/scoring.ts reports these next to the server's numbers; `tsx bench/scoring-browser.ts` prints
 * them alone.
 */
import { pathToFileURL } from "node:url";
import { exportLogisticToOnnx, FEATURE_COUNT, SERVER_FEATURE_COUNT } from "@kiln/personalization";
import {
  launchChromium,
  ORT_VERSION,
  startScoringHarness,
  type ScorerGlobal,
} from "../tests/personalization/browser-harness";

export interface BrowserScoringResult {
  onnxruntimeWeb: string;
  offers: number;
  /** Bytes on the wire (encoded body, gzip where the server compresses) and decoded, per file. */
  files: Array<{ path: string; transferredBytes: number; decodedBytes: number }>;
  transferredBytes: number;
  decodedBytes: number;
  /** Cold: import + downloads + compile + session + first run. */
  firstScoreMs: number;
  /** Warm: the same offers scored again on the loaded session. */
  warmScoreMs: number;
  /** A returning visitor: a new page in the same browser profile (runtime and model from its cache). */
  returningFirstScoreMs: number;
  /** Bytes the returning visit transferred for scoring (0 when all came from the cache). */
  returningTransferredBytes: number;
}

/** A seeded logistic model and `offers` seeded offers, scored on a fresh Chromium page. */
export async function measureBrowserScoring(options: { offers?: number } = {}): Promise<BrowserScoringResult> {
  const count = options.offers ?? 50;
  let state = 20261130;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const model = exportLogisticToOnnx(
    { weights: Array.from({ length: FEATURE_COUNT }, () => random() * 4 - 2), bias: random() - 0.5 },
    { version: "bench-browser" },
  );
  const offers = Array.from({ length: count }, (_, i) => ({
    offerId: `offer-${i}`,
    productId: `product-${i % 20}`,
    tags: [["pastel", "minimal", "retro", "earthy"][i % 4]!],
    serverFeatures: Array.from({ length: SERVER_FEATURE_COUNT }, () => random()),
  }));
  const history = Array.from({ length: 40 }, (_, i) => ({
    productId: `product-${i % 25}`,
    tags: [["pastel", "minimal"][i % 2]!],
    dwellMs: 1000 + i * 700,
  }));

  const harness = await startScoringHarness();
  const browser = await launchChromium();
  try {
    const modelUrl = harness.addModel("bench-browser", model);
    const context = await browser.newContext();
    const visit = async () => {
      const page = await harness.openPage(context);
      const timings = await page.evaluate(
        async ({ offers, history, modelUrl }) => {
          const scorer = (globalThis as unknown as ScorerGlobal).kilnScorer;
          const t0 = performance.now();
          const first = await scorer.scoreOffers(offers, history, { modelUrl, budgetMs: 60_000 });
          const t1 = performance.now();
          await scorer.scoreOnDevice(offers, history, { modelUrl });
          const t2 = performance.now();
          if (first.servedArm !== "device")
            throw new Error(`the device did not score: ${first.fallbackReason} ${first.detail}`);
          return { firstScoreMs: t1 - t0, warmScoreMs: t2 - t1 };
        },
        { offers, history, modelUrl },
      );
      const entries = await page.evaluate(() =>
        performance.getEntriesByType("resource").map((e) => {
          const r = e as PerformanceResourceTiming;
          // transferSize is 0 for a cache hit; encodedBodySize is the body as sent (gzip).
          const cached = r.transferSize === 0 && r.decodedBodySize > 0;
          return {
            path: new URL(r.name).pathname,
            transferredBytes: cached ? 0 : r.encodedBodySize,
            decodedBytes: r.decodedBodySize,
          };
        }),
      );
      await page.close();
      // What scoring downloads beyond the page itself: the lazy runtime chunk, /ort/ and the model.
      const files = entries.filter(
        (e) => e.path.startsWith("/chunk-") || e.path.startsWith("/ort/") || e.path.startsWith("/models/"),
      );
      return { timings, files };
    };
    const { timings, files } = await visit();
    if (!files.some((f) => f.path.endsWith(".wasm") && f.transferredBytes > 0))
      throw new Error("the wasm was not downloaded");
    const returning = await visit();
    await context.close();
    return {
      returningFirstScoreMs: returning.timings.firstScoreMs,
      returningTransferredBytes: returning.files.reduce((sum, f) => sum + f.transferredBytes, 0),
      onnxruntimeWeb: ORT_VERSION,
      offers: count,
      files,
      transferredBytes: files.reduce((sum, f) => sum + f.transferredBytes, 0),
      decodedBytes: files.reduce((sum, f) => sum + f.decodedBytes, 0),
      ...timings,
    };
  } finally {
    await browser.close();
    await harness.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await measureBrowserScoring();
  for (const file of result.files) {
    console.log(
      `${file.path.padEnd(48)} ${(file.transferredBytes / 1024).toFixed(1).padStart(9)} KiB on the wire, ${(file.decodedBytes / 1024).toFixed(1).padStart(9)} KiB`,
    );
  }
  console.log(
    `total ${(result.transferredBytes / 1048576).toFixed(2)} MiB transferred (${(result.decodedBytes / 1048576).toFixed(2)} MiB decoded); ` +
      `first score ${result.firstScoreMs.toFixed(0)} ms, warm ${result.warmScoreMs.toFixed(1)} ms for ${result.offers} offers; ` +
      `returning visit: first score ${result.returningFirstScoreMs.toFixed(0)} ms, ${result.returningTransferredBytes} bytes transferred`,
  );
}
