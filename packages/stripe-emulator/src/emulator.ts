import { EmulatorClock } from "./clock";
import { invalidRequest, resourceMissing } from "./errors";
import { newId } from "./ids";
import { PLATFORM, Store, type Scope, type StripeObject } from "./store";
import { WebhookDispatcher, type WebhookEndpointConfig, type WebhookOptions } from "./webhooks";

/** The API version whose object shapes the emulator follows (the pinned `stripe` SDK's). */
export const API_VERSION = "2026-10-28.endive";

export interface EmulatorOptions {
  statePath?: string;
  webhooks?: WebhookEndpointConfig[];
  webhookOptions?: WebhookOptions;
  now?: () => Date;
  production?: boolean;
  afterFinalFailure?: EmulatorSettings["afterFinalFailure"];
}

/** Per-instance billing settings (Stripe's account settings, simplified). */
export interface EmulatorSettings {
  /** What a subscription becomes after the last retry of an invoice fails (Stripe's default: canceled). */
  afterFinalFailure: "canceled" | "unpaid" | "past_due";
}

/** Fields computed on expansion rather than stored (Stripe's "includable" fields). */
type VirtualField = (emu: Emulator, scope: Scope, owner: StripeObject) => unknown;

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * The emulator's state and services, shared by every resource: the store, the clock, events and
 * webhook delivery. Request handlers are synchronous functions of (emulator, scope, params).
 */
export class Emulator {
  readonly store: Store;
  readonly clock: EmulatorClock;
  readonly webhooks: WebhookDispatcher;
  readonly production: boolean;
  readonly settings: EmulatorSettings;
  baseUrl = "http://127.0.0.1";
  /** Request id and idempotency key of the API request being handled (copied into events). */
  currentRequest: { id: string | null; idempotency_key: string | null } = { id: null, idempotency_key: null };
  readonly virtualFields = new Map<string, VirtualField>();
  /** Webhook sends held back while `atomically` runs. */
  private deferred: Array<() => void> | undefined;
  /** Runs what fell due (renewals, retries, trial ends); set by the billing engine. */
  runDue: () => void = () => undefined;

  constructor(options: EmulatorOptions = {}) {
    this.store = new Store(options.statePath);
    this.clock = new EmulatorClock(this.store, options.now);
    this.webhooks = new WebhookDispatcher(options.webhooks ?? [], options.webhookOptions);
    this.production = options.production ?? false;
    this.settings = { afterFinalFailure: options.afterFinalFailure ?? "canceled" };
    // `pending_webhooks` counts the endpoints that have not yet acknowledged the event (2xx).
    this.webhooks.onDelivered = (eventId, account) => {
      const event = this.store.get(account ? (account as Scope) : PLATFORM, eventId, "event");
      if (event && typeof event.pending_webhooks === "number" && event.pending_webhooks > 0) {
        event.pending_webhooks -= 1;
        this.store.changed();
      }
    };
  }

  now(): number {
    return this.clock.now();
  }

  /** Reads an object or throws Stripe's `resource_missing` (404). */
  find(scope: Scope, id: string, kind: string, label = kind, param = "id"): StripeObject {
    const found = this.store.get(scope, id, kind);
    if (!found) throw resourceMissing(label, id, param);
    return found;
  }

  /** Records an event for a state change and queues its webhook deliveries. */
  emit(scope: Scope, type: string, object: StripeObject, previous?: Record<string, unknown>): StripeObject {
    const account = scope === PLATFORM ? null : scope;
    const event: StripeObject = {
      id: newId("evt"),
      object: "event",
      api_version: API_VERSION,
      created: this.now(),
      data: { object: clone(object), ...(previous ? { previous_attributes: clone(previous) } : {}) },
      livemode: false,
      pending_webhooks: this.webhooks.matching(account).length,
      request: { ...this.currentRequest },
      type,
      ...(account ? { account } : {}),
    };
    this.store.put(scope, event);
    const payload = JSON.stringify(event, null, 2);
    const send = () => this.webhooks.enqueue({ id: String(event.id), type, account }, payload);
    if (this.deferred) this.deferred.push(send);
    else send();
    return event;
  }

  /**
   * Runs `fn` as one unit: when it throws (and `rollback(error)` agrees), the state goes back to what
   * it was and the events it produced are neither stored nor delivered (as when Stripe refuses a
   * request and creates nothing). Costs one copy of the state.
   */
  atomically<T>(fn: () => T, rollback: (error: unknown) => boolean = () => true): T {
    const snapshot = structuredClone(this.store.state);
    const outer = this.deferred;
    const sends: Array<() => void> = [];
    this.deferred = sends;
    try {
      const result = fn();
      this.deferred = outer;
      for (const send of sends)
        if (outer) outer.push(send);
        else send();
      return result;
    } catch (error) {
      this.deferred = outer;
      if (!rollback(error)) {
        for (const send of sends)
          if (outer) outer.push(send);
          else send();
        throw error;
      }
      // The test control "fail the next payment" counts attempts, so a rolled-back attempt still used one.
      const failNext = this.store.state.failNext;
      this.store.restore(snapshot);
      this.store.state.failNext = failNext;
      throw error;
    }
  }

  /** A response copy of an object with `expand[]` paths applied (`latest_invoice.payments`, `data.customer`). */
  render(scope: Scope, value: StripeObject, expand: string[] = []): StripeObject {
    let out = clone(value);
    for (const path of expand) out = this.expandPath(scope, out, path.split("."), path) as StripeObject;
    return out;
  }

  private lookup(scope: Scope, id: string): StripeObject | undefined {
    return this.store.get(scope, id) ?? this.store.get(PLATFORM, id) ?? this.store.locate(id)?.data;
  }

  private expandPath(scope: Scope, value: unknown, parts: string[], full: string): unknown {
    if (parts.length === 0 || value === null || typeof value !== "object") return value;
    const record = value as StripeObject;
    const [head, ...rest] = parts;
    if (head === undefined) return value;
    if (record.object === "list" && head === "data" && Array.isArray(record.data)) {
      record.data = record.data.map((item) => this.expandPath(scope, item, rest, full));
      return record;
    }
    const virtual = this.virtualFields.get(`${record.object}.${head}`);
    let field: unknown = virtual ? virtual(this, scope, record) : record[head];
    if (typeof field === "string") {
      const found = this.lookup(scope, field);
      if (found) field = clone(found);
    } else if (field === undefined || (field !== null && typeof field !== "object")) {
      throw invalidRequest(`This property cannot be expanded (${head}).`, "expand");
    }
    if (field !== null) field = this.expandPath(scope, field, rest, full);
    record[head] = field;
    return record;
  }
}
