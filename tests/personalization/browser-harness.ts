import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "@playwright/test";
import type * as BrowserScorer from "@kiln/personalization/browser";
import type * as DeviceHistory from "@kiln/personalization/device-history";
import { contentSecurityPolicy } from "../../app/server/security";
import { launchChromium } from "../setup/browser";

/**
 * A tiny origin serving the on-device scorer to Debian's Chromium exactly as Kiln serves it: the
 * real `packages/personalization/src/browser.ts` (bundled for the browser with esbuild, the same
 * `onnxruntime-web/wasm` entry the app's client build resolves), the runtime's `.mjs` + `.wasm` from
 * `/ort/<version>/`, models from `/models/offer-ranker/<name>.onnx`, all under Kiln's CSP and gzip
 * like the app's compression middleware. Used by the parity test and by bench/scoring-browser.ts.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const scorerSource = path.resolve(here, "../../packages/personalization/src/browser.ts");
const personalizationRequire = createRequire(scorerSource);
const ortDist = path.dirname(personalizationRequire.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"));
export const ORT_VERSION = (
  JSON.parse(readFileSync(path.join(ortDist, "..", "package.json"), "utf8")) as { version: string }
).version;
const RUNTIME_FILES = ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"] as const;

/** The part of esbuild's API used here. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: Array<{ path: string; text: string }> }>;
}

/** esbuild, through vitest's own vite (no extra dependency). */
async function loadEsbuild(): Promise<Esbuild> {
  const fromRoot = createRequire(path.resolve(here, "../../package.json"));
  const vite = createRequire(fromRoot.resolve("vitest/package.json")).resolve("vite/package.json");
  const esbuild = (await import(createRequire(vite).resolve("esbuild"))) as Esbuild & { default?: Esbuild };
  return esbuild.default ?? esbuild;
}

/**
 * browser.ts (and what it imports) as browser modules, split like the app's client build: the entry,
 * and onnxruntime-web's wasm build in its own chunk that browser.ts imports lazily.
 */
async function bundleScorer(): Promise<Map<string, string>> {
  const esbuild = await loadEsbuild();
  const result = await esbuild.build({
    stdin: {
      contents: [
        `import { scoreOffers, scoreOnDevice } from ${JSON.stringify(scorerSource)};`,
        `import { readDeviceHistory, recordDeviceView } from ${JSON.stringify(path.join(path.dirname(scorerSource), "device-history.ts"))};`,
        "globalThis.kilnScorer = { scoreOffers, scoreOnDevice, readDeviceHistory, recordDeviceView };",
      ].join("\n"),
      resolveDir: path.dirname(scorerSource),
      loader: "ts",
      sourcefile: "harness-entry.ts",
    },
    bundle: true,
    format: "esm",
    platform: "browser",
    // As app/vite.config.ts resolves it: the wasm build that loads its `.mjs` from wasmPaths.
    conditions: ["onnxruntime-web-use-extern-wasm"],
    target: "es2022",
    splitting: true,
    outdir: "/harness",
    entryNames: "scorer",
    chunkNames: "chunk-[hash]",
    write: false,
    logLevel: "silent",
  });
  return new Map(result.outputFiles.map((file) => [`/${path.basename(file.path)}`, file.text]));
}

/** What the harness page exposes (`globalThis.kilnScorer`), for `page.evaluate` callbacks. */
export interface ScorerGlobal {
  kilnScorer: Pick<typeof BrowserScorer, "scoreOffers" | "scoreOnDevice"> &
    Pick<typeof DeviceHistory, "readDeviceHistory" | "recordDeviceView">;
}

export interface ScoringHarness {
  origin: string;
  /** Serves `bytes` at `/models/offer-ranker/<name>.onnx`; returns the URL path. */
  addModel(name: string, bytes: Uint8Array): string;
  /** A new page on the harness origin with the scorer loaded (`globalThis.kilnScorer`); a browser gives a fresh context. */
  openPage(target: Browser | BrowserContext): Promise<Page>;
  close(): Promise<void>;
}

const COMPRESSIBLE = /\.(m?js|wasm|html)$/;

export async function startScoringHarness(): Promise<ScoringHarness> {
  const files = new Map<string, { body: Buffer; type: string }>([
    [
      "/",
      {
        body: Buffer.from('<!doctype html><title>scorer</title><script type="module" src="/scorer.js"></script>'),
        type: "text/html",
      },
    ],
  ]);
  for (const [urlPath, js] of await bundleScorer())
    files.set(urlPath, { body: Buffer.from(js), type: "text/javascript" });
  if (!files.has("/scorer.js")) throw new Error("the scorer bundle has no scorer.js");
  for (const file of RUNTIME_FILES) {
    files.set(`/ort/${ORT_VERSION}/${file}`, {
      body: readFileSync(path.join(ortDist, file)),
      type: file.endsWith(".wasm") ? "application/wasm" : "text/javascript",
    });
  }
  const gzipped = new Map<string, Buffer>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x").pathname.replace("/index.html", "/");
    const file = files.get(url);
    res.setHeader("Content-Security-Policy", contentSecurityPolicy({ nonce: "harness", isDev: false }));
    if (!file) {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    res.setHeader("Content-Type", file.type);
    // As Kiln serves them: the versioned runtime and models are immutable, the page and its code not cached.
    res.setHeader(
      "Cache-Control",
      url.startsWith("/ort/") || url.startsWith("/models/") ? "public, max-age=31536000, immutable" : "no-store",
    );
    if (COMPRESSIBLE.test(url) && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
      let body = gzipped.get(url);
      if (!body) gzipped.set(url, (body = gzipSync(file.body, { level: 6 })));
      res.setHeader("Content-Encoding", "gzip");
      res.end(body);
      return;
    }
    res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("the harness server has no port");
  const origin = `http://127.0.0.1:${address.port}`;

  return {
    origin,
    addModel(name, bytes) {
      const urlPath = `/models/offer-ranker/${name}.onnx`;
      files.set(urlPath, { body: Buffer.from(bytes), type: "application/octet-stream" });
      return urlPath;
    },
    async openPage(target) {
      const page = await target.newPage();
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => "kilnScorer" in globalThis);
      return page;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export { launchChromium };
