/**
 * The on-device offer scorer: ranks the storefront's offers in the member's browser with
 * onnxruntime-web's wasm-only build, from the server-known features the page carries and the
 * device-only history this browser keeps (device-history.ts), which never leaves it.
 *
 * Browser-safe, and loaded only where offers are ranked: the runtime is a lazy `import()` of
 * `onnxruntime-web/wasm` (not the default JSEP build, twice the size), and its `.mjs` + `.wasm` come
 * from Kiln's own origin (`/ort/<version>/`, copied into the client build by app/vite.config.ts),
 * never from a CDN. Whenever the device cannot score in time the caller gets the server's order back
 * with the reason, and reports it (the served-arm beacon): the page never waits on, or breaks for,
 * the device.
 */
import type { InferenceSession } from "onnxruntime-web";
import type * as OrtWasm from "onnxruntime-web/wasm";
import { deviceFeatures, featureMatrix, MODEL_INPUT, MODEL_OUTPUT, rankByScore, type DeviceView } from "./features.js";
import type { FallbackReason } from "./offer-payload.js";

export type { FallbackReason, OfferArm, OfferCard, OfferPayload } from "./offer-payload.js";

/** What the scorer needs of an offer; the storefront's offer payload has these and more. */
export interface ScorableOffer {
  offerId: string;
  productId: string;
  tags: readonly string[];
  /** SERVER_FEATURES, computed by the server for this member and offer. */
  serverFeatures: readonly number[];
}

export type DeviceRanking<T> =
  | { servedArm: "device"; offers: T[]; scores: number[]; elapsedMs: number }
  | { servedArm: "server"; offers: T[]; fallbackReason: FallbackReason; detail: string; elapsedMs: number };

export interface ScoreOptions {
  /** The active model's versioned (cacheable) URL, e.g. /models/offer-ranker/<version>.onnx. */
  modelUrl: string;
  /** Where Kiln serves the runtime's files; default `/ort/<onnxruntime-web version>/`. */
  runtimeBaseUrl?: string;
  /** Runtime + model load + scoring must finish within this, else the server order stands. */
  budgetMs?: number;
  /** Devices reporting less memory (navigator.deviceMemory, GiB) do not load the 14 MB runtime. */
  minDeviceMemoryGiB?: number;
}

export const DEFAULT_BUDGET_MS = 1500;
export const DEFAULT_MIN_DEVICE_MEMORY_GIB = 1;
/** The client build's folder of the runtime's files (app/vite.config.ts writes them there). */
export const RUNTIME_PATH = "/ort/";

class ScoringError extends Error {
  constructor(
    readonly reason: FallbackReason,
    message: string,
  ) {
    super(message);
  }
}

/** The smallest module using a SIMD instruction: the wasm build needs SIMD (wasm-feature-detect's probe). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** Why this device cannot score at all (before downloading anything), or null when it can try. */
export function deviceCannotScore(
  minDeviceMemoryGiB = DEFAULT_MIN_DEVICE_MEMORY_GIB,
): { reason: FallbackReason; detail: string } | null {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
    return { reason: "no-webassembly", detail: "WebAssembly is not available" };
  }
  try {
    if (!WebAssembly.validate(SIMD_PROBE))
      return { reason: "no-webassembly", detail: "WebAssembly SIMD is not supported" };
  } catch {
    return { reason: "no-webassembly", detail: "WebAssembly SIMD is not supported" };
  }
  const memory = (globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined)?.deviceMemory;
  if (typeof memory === "number" && memory < minDeviceMemoryGiB) {
    return { reason: "memory-budget", detail: `device reports ${memory} GiB of memory` };
  }
  return null;
}

type Ort = typeof OrtWasm;
let runtime: Promise<Ort> | null = null;
const sessions = new Map<string, Promise<InferenceSession>>();

/** The runtime, imported once per page and configured for self-hosted, single-threaded wasm. */
function loadRuntime(runtimeBaseUrl: string | undefined): Promise<Ort> {
  runtime ??= import("onnxruntime-web/wasm").then(
    (ort) => {
      const base = runtimeBaseUrl ?? `${RUNTIME_PATH}${ort.env.versions.web}/`;
      ort.env.wasm.wasmPaths = new URL(base, location.href).href;
      // Threads need SharedArrayBuffer, i.e. a cross-origin isolated page; a tiny model gains nothing anyway.
      ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
      ort.env.wasm.proxy = false;
      return ort;
    },
    (error: unknown) => {
      runtime = null;
      throw new ScoringError("runtime-error", `the scoring runtime did not load: ${String(error)}`);
    },
  );
  return runtime;
}

/** One inference session per model URL per page (the URL is versioned, so it never goes stale). */
function loadSession(ort: Ort, modelUrl: string): Promise<InferenceSession> {
  let session = sessions.get(modelUrl);
  if (!session) {
    session = (async () => {
      const response = await fetch(modelUrl, { credentials: "same-origin" }).catch((error: unknown) => {
        throw new ScoringError("model-error", `model ${modelUrl}: ${String(error)}`);
      });
      if (!response.ok) throw new ScoringError("model-error", `model ${modelUrl}: HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      try {
        return await ort.InferenceSession.create(bytes, {
          executionProviders: ["wasm"],
          graphOptimizationLevel: "all",
        });
      } catch (error) {
        // The first session also starts the wasm runtime (fetch + compile): its failure is the runtime's.
        if (/no available backend/i.test(String(error))) {
          throw new ScoringError("runtime-error", `the wasm runtime did not start: ${String(error)}`);
        }
        throw new ScoringError("model-error", `model ${modelUrl} did not load: ${String(error)}`);
      }
    })();
    session.catch(() => sessions.delete(modelUrl));
    sessions.set(modelUrl, session);
  }
  return session;
}

/**
 * Scores offers on this device (input order): [server features ‖ device features from `history`]
 * through the model, one batched run. Throws a ScoringError-like error with a `reason`.
 */
export async function scoreOnDevice(
  offers: readonly ScorableOffer[],
  history: readonly DeviceView[] | null,
  options: Pick<ScoreOptions, "modelUrl" | "runtimeBaseUrl">,
): Promise<number[]> {
  const ort = await loadRuntime(options.runtimeBaseUrl);
  const session = await loadSession(ort, options.modelUrl);
  if (offers.length === 0) return [];
  try {
    const rows = offers.map((offer) => ({ server: offer.serverFeatures, device: deviceFeatures(history, offer) }));
    const matrix = featureMatrix(rows);
    const input = new ort.Tensor("float32", matrix, [offers.length, matrix.length / offers.length]);
    const output = await session.run({ [MODEL_INPUT]: input });
    const scores = output[MODEL_OUTPUT]?.data;
    if (!(scores instanceof Float32Array) || scores.length !== offers.length) {
      throw new Error(`expected ${offers.length} float32 scores in "${MODEL_OUTPUT}"`);
    }
    input.dispose();
    return Array.from(scores);
  } catch (error) {
    throw error instanceof ScoringError ? error : new ScoringError("runtime-error", String(error));
  }
}

/**
 * The offers in on-device order (rankByScore: highest score first, ties by offer id), or — when the
 * device cannot, or not within the budget — the server's order with the reason.
 */
export async function scoreOffers<T extends ScorableOffer>(
  offers: readonly T[],
  deviceHistory: readonly DeviceView[] | null,
  options: ScoreOptions,
): Promise<DeviceRanking<T>> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const fallback = (reason: FallbackReason, detail: string): DeviceRanking<T> => ({
    servedArm: "server",
    offers: [...offers],
    fallbackReason: reason,
    detail,
    elapsedMs: elapsed(),
  });

  const cannot = deviceCannotScore(options.minDeviceMemoryGiB);
  if (cannot) return fallback(cannot.reason, cannot.detail);

  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const overBudget = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ScoringError("time-budget", `loading and scoring took over ${budgetMs} ms`)),
      budgetMs,
    );
  });
  try {
    const scores = await Promise.race([scoreOnDevice(offers, deviceHistory, options), overBudget]);
    return { servedArm: "device", offers: rankByScore(offers, scores), scores, elapsedMs: elapsed() };
  } catch (error) {
    if (error instanceof ScoringError) return fallback(error.reason, error.message);
    return fallback("runtime-error", String(error));
  } finally {
    clearTimeout(timer);
  }
}
