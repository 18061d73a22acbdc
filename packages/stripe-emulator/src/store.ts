import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Any stored Stripe object: an id, its `object` kind and its fields. */
export interface StripeObject {
  id: string;
  object: string;
  [field: string]: unknown;
}

/** Which account an object belongs to: the platform or a connected account (`acct_…`). */
export type Scope = "platform" | `acct_${string}`;
export const PLATFORM: Scope = "platform";

export type CardBehaviour = "success" | "decline" | "insufficient_funds" | "authentication_required";

export interface IdempotencyRecord {
  request: string;
  params: string;
  status: number;
  body: string;
  created: number;
}

interface Entry {
  seq: number;
  data: StripeObject;
}

export interface EmulatorState {
  version: 1;
  seq: number;
  /** How far the emulator's clock runs ahead of the real (or injected) clock. */
  clockOffsetMs: number;
  scopes: Record<string, Record<string, Entry>>;
  idempotency: Record<string, IdempotencyRecord>;
  /** Test card behaviour per payment method id (the card number is never stored). */
  cards: Record<string, CardBehaviour>;
  /** Test control: the next N payment attempts of a customer fail (key: `${scope}/${customer}`). */
  failNext: Record<string, number>;
  /** Billing bookkeeping per subscription: which notices were already sent. */
  notices: Record<string, string[]>;
}

function emptyState(): EmulatorState {
  return { version: 1, seq: 0, clockOffsetMs: 0, scopes: {}, idempotency: {}, cards: {}, failNext: {}, notices: {} };
}

/**
 * In-memory state, optionally persisted as one JSON snapshot (written atomically a moment after each
 * change, and on stop). Handlers run synchronously, so a request sees and leaves a consistent state.
 */
export class Store {
  state: EmulatorState;
  private index = new Map<string, Scope>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly statePath?: string) {
    this.state = emptyState();
    if (statePath) {
      try {
        const loaded = JSON.parse(readFileSync(statePath, "utf8")) as EmulatorState;
        if (loaded.version === 1) this.state = { ...emptyState(), ...loaded };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    this.reindex();
  }

  private reindex() {
    this.index.clear();
    for (const [scope, entries] of Object.entries(this.state.scopes))
      for (const id of Object.keys(entries)) this.index.set(id, scope as Scope);
  }

  /** Puts back a snapshot taken with `structuredClone(store.state)` (a request rolled back). */
  restore(snapshot: EmulatorState) {
    this.state = snapshot;
    this.reindex();
    this.changed();
  }

  reset() {
    this.state = emptyState();
    this.reindex();
    this.changed();
  }

  private bucket(scope: Scope): Record<string, Entry> {
    return (this.state.scopes[scope] ??= {});
  }

  /** Inserts or replaces; returns the stored object (the live reference). */
  put<T extends StripeObject>(scope: Scope, data: T): T {
    const bucket = this.bucket(scope);
    const existing = bucket[data.id];
    if (existing) existing.data = data;
    else bucket[data.id] = { seq: ++this.state.seq, data };
    this.index.set(data.id, scope);
    this.changed();
    return data;
  }

  get(scope: Scope, id: string, kind?: string): StripeObject | undefined {
    const found = this.state.scopes[scope]?.[id]?.data;
    if (!found || (kind && found.object !== kind)) return undefined;
    return found;
  }

  delete(scope: Scope, id: string) {
    const bucket = this.state.scopes[scope];
    if (bucket) delete bucket[id];
    this.index.delete(id);
    this.changed();
  }

  /** Finds an object in any account (hosted pages carry only the id). */
  locate(id: string): { scope: Scope; data: StripeObject } | undefined {
    const scope = this.index.get(id);
    if (!scope) return undefined;
    const data = this.get(scope, id);
    return data ? { scope, data } : undefined;
  }

  /** Objects of one kind in one account, newest first (Stripe's list order). */
  all(scope: Scope, kind: string): StripeObject[] {
    const bucket = this.state.scopes[scope];
    if (!bucket) return [];
    return Object.values(bucket)
      .filter((e) => e.data.object === kind)
      .sort((a, b) => b.seq - a.seq)
      .map((e) => e.data);
  }

  scopes(): Scope[] {
    return Object.keys(this.state.scopes) as Scope[];
  }

  /** Marks the state dirty: a snapshot is written shortly after. */
  changed() {
    if (!this.statePath || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, 100);
    this.timer.unref();
  }

  flush() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.statePath) return;
    mkdirSync(path.dirname(this.statePath), { recursive: true });
    const tmp = `${this.statePath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state));
    renameSync(tmp, this.statePath);
  }
}
