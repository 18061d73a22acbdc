import type { DeliveryLogEntry } from "./webhooks";

/** A typed client for the emulator's `/_emulator` test controls. */
export interface EmulatorControl {
  now(): Promise<number>;
  advance(by: { days?: number; hours?: number; seconds?: number }): Promise<number>;
  failNextPayment(customer: string, options?: { count?: number; account?: string }): Promise<void>;
  redeliver(eventId: string): Promise<void>;
  /** The bank disputes a captured charge: `charge.dispute.created` (on the charge's account). */
  openDispute(
    charge: string,
    options?: { account?: string; reason?: string; amount?: number },
  ): Promise<{ id: string }>;
  /** Moves a dispute on: `charge.dispute.updated`, or `charge.dispute.closed` for won/lost. */
  setDisputeStatus(dispute: string, status: string, options?: { account?: string }): Promise<void>;
  dropNextDelivery(count?: number): Promise<void>;
  duplicateNextDelivery(count?: number): Promise<void>;
  holdDeliveries(): Promise<void>;
  releaseDeliveries(order?: "original" | "reverse"): Promise<number>;
  deliveries(): Promise<{ pending: number; deliveries: DeliveryLogEntry[] }>;
  state(): Promise<{ now: number; counts: Record<string, Record<string, number>>; failNext: Record<string, number> }>;
  object(id: string): Promise<{ scope: string; object: Record<string, unknown> }>;
  reset(): Promise<void>;
}

export function createEmulatorControl(baseUrl: string): EmulatorControl {
  const base = baseUrl.replace(/\/$/, "");
  async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${base}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as T & { error?: { message?: string } };
    if (!response.ok)
      throw new Error(`emulator control ${method} ${path}: ${response.status} ${json.error?.message ?? ""}`);
    return json;
  }
  return {
    now: async () => (await call<{ now: number }>("GET", "/clock")).now,
    advance: async (by) => (await call<{ now: number }>("POST", "/clock/advance", by)).now,
    failNextPayment: async (customer, options = {}) => {
      await call("POST", `/customers/${encodeURIComponent(customer)}/fail_next_payment`, options);
    },
    redeliver: async (eventId) => {
      await call("POST", `/events/${encodeURIComponent(eventId)}/redeliver`, {});
    },
    openDispute: (charge, options = {}) => call("POST", `/charges/${encodeURIComponent(charge)}/dispute`, options),
    setDisputeStatus: async (dispute, status, options = {}) => {
      await call("POST", `/disputes/${encodeURIComponent(dispute)}/status`, { ...options, status });
    },
    dropNextDelivery: async (count = 1) => {
      await call("POST", "/webhooks/drop_next", { count });
    },
    duplicateNextDelivery: async (count = 1) => {
      await call("POST", "/webhooks/duplicate_next", { count });
    },
    holdDeliveries: async () => {
      await call("POST", "/webhooks/hold", {});
    },
    releaseDeliveries: async (order = "original") =>
      (await call<{ released: number }>("POST", "/webhooks/release", { order })).released,
    deliveries: () => call("GET", "/webhooks/deliveries"),
    state: () => call("GET", "/state"),
    object: (id) => call("GET", `/objects/${encodeURIComponent(id)}`),
    reset: async () => {
      await call("POST", "/reset", {});
    },
  };
}
