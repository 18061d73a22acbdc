import { createHash } from "node:crypto";
import { and, eq, isNotNull, or } from "drizzle-orm";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { registryModelSource } from "./registry.js";
import { createNodeScorer, type NodeScorerInternals } from "./scorer-node.js";

/**
 * The process's offer-ranker models (issue 9 §6): at most one onnxruntime session per co-op, made at
 * start for every active model (`preload`) and replaced when the co-op activates another version.
 *
 * Several processes (web, worker) each keep their own sessions. Each one learns of an activation by
 * re-reading the co-op's active version (a small indexed read) at most every `recheckMs` when the
 * co-op's offers are ranked; a changed version or hash loads the new model (once, even with
 * concurrent requests) and releases the old session. So every process serves the new version within
 * `recheckMs` of the activation, without a notification channel to keep alive (decision 017).
 *
 * A missing or corrupt model never fails a request: it is logged once per co-op and version (naming
 * both) and `scorerFor` returns a fallback reason; the storefront then shows the non-personalised order.
 */

/** The registry facts the store needs about a co-op's active model. */
export interface ActiveModelRef {
  coopId: string;
  version: string;
  /** sha256 (hex) of the ONNX bytes. */
  sha256: string;
}

/** Where models come from (the registry in production; a map in some tests). */
export interface ModelSource {
  /** Every co-op's active model (for the preload at start). */
  listActive(rt: Runtime): Promise<ActiveModelRef[]>;
  /** The co-op's active model, or null when it has none. */
  activeFor(rt: Runtime, coopId: string): Promise<ActiveModelRef | null>;
  /** The ONNX bytes of a version; throws when they cannot be read. */
  readBytes(rt: Runtime, ref: ActiveModelRef): Promise<Uint8Array>;
}

export type ScorerResult =
  | { ok: true; scorer: NodeScorerInternals; ref: ActiveModelRef }
  | { ok: false; reason: "no-model" | "model-error"; ref: ActiveModelRef | null };

export interface ModelStoreOptions {
  source: ModelSource;
  /** How long a co-op's active version is trusted before it is read again (default 5 s). */
  recheckMs?: number;
  /** Where load failures go (default console.error). */
  logError?: (message: string) => void;
  /** Monotonic milliseconds (tests move it). */
  nowMs?: () => number;
}

interface Entry {
  /** The active version as last read, and when. */
  ref: ActiveModelRef | null;
  checkedAt: number;
  /** The loaded model (a promise while loading), keyed by version+hash; `settled` once it has loaded or failed. */
  loaded: {
    key: string;
    scorer: Promise<NodeScorerInternals | null>;
    settled?: { scorer: NodeScorerInternals | null };
  } | null;
  /** A version read in flight (so concurrent requests read once). */
  checking: Promise<void> | null;
}

const keyOf = (ref: ActiveModelRef) => `${ref.version}#${ref.sha256}`;

export class ModelStore {
  private readonly entries = new Map<string, Entry>();
  private readonly source: ModelSource;
  private readonly recheckMs: number;
  private readonly logError: (message: string) => void;
  private readonly nowMs: () => number;

  constructor(options: ModelStoreOptions) {
    this.source = options.source;
    this.recheckMs = options.recheckMs ?? 5_000;
    this.logError = options.logError ?? ((message) => console.error(message));
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /** Loads every co-op's active model (server start). Never throws for a bad model: it is logged. */
  async preload(rt: Runtime): Promise<{ loaded: ActiveModelRef[]; failed: ActiveModelRef[] }> {
    const refs = await this.source.listActive(rt);
    const loaded: ActiveModelRef[] = [];
    const failed: ActiveModelRef[] = [];
    for (const ref of refs) {
      const entry = this.entry(ref.coopId);
      entry.ref = ref;
      entry.checkedAt = this.nowMs();
      const scorer = await this.load(rt, entry, ref);
      (scorer ? loaded : failed).push(ref);
    }
    return { loaded, failed };
  }

  /** The co-op's current scorer, or why there is none. Never throws. */
  async scorerFor(rt: Runtime, coopId: string): Promise<ScorerResult> {
    const entry = this.entry(coopId);
    if (this.nowMs() - entry.checkedAt >= this.recheckMs || entry.checkedAt < 0) {
      entry.checking ??= this.source
        .activeFor(rt, coopId)
        .then((ref) => {
          entry.ref = ref;
          entry.checkedAt = this.nowMs();
        })
        .catch((error: unknown) => {
          // Keep serving what we have; try again on the next request.
          this.logError(
            `[kiln] offer ranker: reading co-op ${coopId}'s active model failed: ${(error as Error).message}`,
          );
        })
        .finally(() => {
          entry.checking = null;
        });
      await entry.checking;
    }
    const ref = entry.ref;
    if (!ref) return { ok: false, reason: "no-model", ref: null };
    const scorer = await this.load(rt, entry, ref);
    return scorer ? { ok: true, scorer, ref } : { ok: false, reason: "model-error", ref };
  }

  /**
   * What `scorerFor` would return right now when it needs neither the database nor a wait: the co-op's
   * active version was read less than `recheckMs` ago and its model has loaded (or failed to).
   * Undefined otherwise — then call `scorerFor`. Lets a caller inside a transaction score without
   * opening another one (withSystem cannot nest).
   */
  current(coopId: string): ScorerResult | undefined {
    const entry = this.entries.get(coopId);
    if (!entry || entry.checking || entry.checkedAt < 0 || this.nowMs() - entry.checkedAt >= this.recheckMs) {
      return undefined;
    }
    const ref = entry.ref;
    if (!ref) return { ok: false, reason: "no-model", ref: null };
    const settled = entry.loaded?.key === keyOf(ref) ? entry.loaded.settled : undefined;
    if (!settled) return undefined;
    return settled.scorer ? { ok: true, scorer: settled.scorer, ref } : { ok: false, reason: "model-error", ref };
  }

  /** Forgets a co-op's cached version (the next use re-reads it), e.g. right after an activation here. */
  invalidate(coopId: string): void {
    const entry = this.entries.get(coopId);
    if (entry) entry.checkedAt = -1;
  }

  /** Releases every session (shutdown, tests). */
  async close(): Promise<void> {
    const scorers = [...this.entries.values()].map((e) => e.loaded?.scorer);
    this.entries.clear();
    for (const scorer of scorers) await (await scorer)?.release();
  }

  private entry(coopId: string): Entry {
    let entry = this.entries.get(coopId);
    if (!entry) {
      entry = { ref: null, checkedAt: -1, loaded: null, checking: null };
      this.entries.set(coopId, entry);
    }
    return entry;
  }

  private async load(rt: Runtime, entry: Entry, ref: ActiveModelRef): Promise<NodeScorerInternals | null> {
    const key = keyOf(ref);
    if (entry.loaded?.key !== key) {
      const previous = entry.loaded?.scorer;
      const scorer = this.source
        .readBytes(rt, ref)
        .then((bytes) => {
          const actual = createHash("sha256").update(bytes).digest("hex");
          if (actual !== ref.sha256) throw new Error(`its bytes hash to ${actual}, the registry says ${ref.sha256}`);
          return createNodeScorer(bytes, ref.version);
        })
        .catch((error: unknown) => {
          this.logError(
            `[kiln] offer ranker: co-op ${ref.coopId} model version ${ref.version} cannot be used (${(error as Error).message}); ` +
              "its storefront shows offers in the non-personalised order until a working version is activated",
          );
          return null;
        });
      const loaded: NonNullable<Entry["loaded"]> = { key, scorer };
      void scorer.then((value) => {
        loaded.settled = { scorer: value };
      });
      entry.loaded = loaded;
      // The old session goes once the new one is in place (requests already holding it finish first:
      // run() on a released session fails, so wait a little before releasing).
      if (previous) {
        void previous.then((old) => {
          if (old) setTimeout(() => void old.release(), 5_000).unref();
        });
      }
    }
    return entry.loaded.scorer;
  }
}

/** The URL the browser downloads a model from (immutable: the hash names the bytes). */
export const modelUrl = (ref: Pick<ActiveModelRef, "version" | "sha256">) =>
  `/models/offer-ranker/${encodeURIComponent(ref.version)}.onnx?sha256=${ref.sha256}`;

let defaultStore: ModelStore | undefined;
/** The process's store over the registry (server/main.ts preloads it at start). */
export function getDefaultModelStore(): ModelStore {
  defaultStore ??= new ModelStore({ source: registryModelSource });
  return defaultStore;
}

export interface ModelFile {
  version: string;
  sha256: string;
  bytes: Uint8Array;
}

/**
 * A model file for the browser by version (`/models/offer-ranker/<version>.onnx`), or null when unknown.
 * Versions are unique per co-op; `sha256` (the URL's query) picks the exact bytes when two co-ops
 * chose the same version name. Candidates that were never active are not served.
 */
export async function getModelFile(rt: Runtime, version: string, sha256: string | null): Promise<ModelFile | null> {
  const rows = await withSystem(rt, "personalization-model-file", (tx) =>
    tx
      .select({
        version: schema.offerModels.version,
        sha256: schema.offerModels.sha256,
        bytes: schema.offerModels.onnx,
      })
      .from(schema.offerModels)
      .where(
        and(
          eq(schema.offerModels.version, version),
          or(eq(schema.offerModels.status, "active"), isNotNull(schema.offerModels.activatedAt)),
          sha256 ? eq(schema.offerModels.sha256, sha256) : undefined,
        ),
      )
      .limit(2),
  );
  const distinct = new Set(rows.map((r) => r.sha256));
  return rows.length > 0 && distinct.size === 1 ? rows[0]! : null;
}
