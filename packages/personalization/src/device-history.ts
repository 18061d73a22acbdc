/**
 * The device-only browsing history: which products this browser viewed and how long it looked at
 * them, kept in its own `localStorage` and read by the on-device scorer (`deviceFeatures`).
 *
 * Browser-safe. This history never leaves the device: nothing here touches the network, except
 * `sendConsentedView`, which a page calls only when the member has granted page-view consent, and
 * which sends one view (product id and dwell) to Kiln's own first-party beacon.
 */
import type { DeviceView } from "./features.js";

/** Versioned: a change of the stored shape is a new key. */
export const DEVICE_HISTORY_KEY = "kiln.device-history.v1";
/** Only the most recent views are kept. */
export const DEVICE_HISTORY_LIMIT = 200;
/** One page left open for an hour is not an hour of interest: dwell per view is capped. */
export const MAX_DWELL_MS = 10 * 60 * 1000;

/** A view as stored: the feature spec's DeviceView plus when it happened (epoch ms). */
export interface StoredView extends DeviceView {
  at: number;
}

type StorageLike = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** The page's localStorage, or null where there is none or it is blocked (private modes, policies). */
function defaultStorage(): StorageLike | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

const isView = (v: unknown): v is StoredView => {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.productId === "string" &&
    r.productId.length > 0 &&
    r.productId.length <= 64 &&
    Array.isArray(r.tags) &&
    r.tags.every((t) => typeof t === "string") &&
    typeof r.dwellMs === "number" &&
    Number.isFinite(r.dwellMs) &&
    r.dwellMs >= 0 &&
    typeof r.at === "number" &&
    Number.isFinite(r.at)
  );
};

/** The stored views, oldest first; entries that do not parse are dropped, a broken store reads as empty. */
export function readStoredViews(storage: StorageLike | null = defaultStorage()): StoredView[] {
  if (!storage) return [];
  let raw: string | null;
  try {
    raw = storage.getItem(DEVICE_HISTORY_KEY);
  } catch {
    return [];
  }
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter(isView).slice(-DEVICE_HISTORY_LIMIT) : [];
  } catch {
    return [];
  }
}

/**
 * The history as the feature spec wants it, or null when this browser keeps none (no storage): the
 * scorer then uses the documented defaults (`d_present` = 0), exactly like the server.
 */
export function readDeviceHistory(storage: StorageLike | null = defaultStorage()): DeviceView[] | null {
  if (!storage) return null;
  return readStoredViews(storage).map(({ productId, tags, dwellMs }) => ({ productId, tags, dwellMs }));
}

/** Appends one view (bounded to the last DEVICE_HISTORY_LIMIT); false when the browser cannot store it. */
export function recordDeviceView(
  view: DeviceView,
  options: { storage?: StorageLike | null; at?: number } = {},
): boolean {
  const storage = options.storage === undefined ? defaultStorage() : options.storage;
  if (!storage || !view.productId) return false;
  const entry: StoredView = {
    productId: view.productId,
    tags: view.tags.filter((t) => typeof t === "string").slice(0, 20),
    dwellMs: Math.round(Math.min(MAX_DWELL_MS, Math.max(0, Number.isFinite(view.dwellMs) ? view.dwellMs : 0))),
    at: options.at ?? Date.now(),
  };
  const views = [...readStoredViews(storage), entry].slice(-DEVICE_HISTORY_LIMIT);
  try {
    storage.setItem(DEVICE_HISTORY_KEY, JSON.stringify(views));
    return true;
  } catch {
    // Quota exceeded or storage blocked: the device simply keeps no history.
    return false;
  }
}

/** Forgets this device's history (the member's "forget my browsing on this device"). */
export function clearDeviceHistory(storage: StorageLike | null = defaultStorage()): void {
  try {
    storage?.removeItem(DEVICE_HISTORY_KEY);
  } catch {
    // Nothing stored, nothing to forget.
  }
}

/**
 * Sends one consented page view (product id and dwell, nothing else) to Kiln's first-party beacon.
 * Callers pass `url` only when the loader said the member granted page-view consent.
 */
export function sendConsentedView(url: string, view: { productId: string; dwellMs: number }): void {
  try {
    void fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ productId: view.productId, dwellMs: Math.round(Math.min(MAX_DWELL_MS, view.dwellMs)) }),
      credentials: "same-origin",
      keepalive: true,
    }).catch(() => undefined);
  } catch {
    // A lost page view is acceptable; it is analytics, not an order.
  }
}

export interface TrackOptions {
  /** Set only with the member's page-view consent: the beacon URL the view is also sent to. */
  consentedBeaconUrl?: string | null;
  storage?: StorageLike | null;
  /** Clock for tests (performance.now-like, ms). */
  now?: () => number;
}

/**
 * Records a product view with its dwell time: visible time only, from now until the page is hidden
 * for good (pagehide) or the returned stop function runs (client-side navigation away). Recorded
 * once per call.
 */
export function trackProductView(product: { productId: string; tags: readonly string[] }, options: TrackOptions = {}) {
  const now = options.now ?? (() => performance.now());
  let visibleSince: number | null = document.visibilityState === "visible" ? now() : null;
  let dwellMs = 0;
  let done = false;

  const pause = () => {
    if (visibleSince !== null) dwellMs += now() - visibleSince;
    visibleSince = null;
  };
  const onVisibility = () => {
    if (document.visibilityState === "visible") visibleSince ??= now();
    else pause();
  };
  const finish = () => {
    if (done) return;
    done = true;
    pause();
    document.removeEventListener("visibilitychange", onVisibility);
    window.removeEventListener("pagehide", finish);
    recordDeviceView({ productId: product.productId, tags: product.tags, dwellMs }, { storage: options.storage });
    if (options.consentedBeaconUrl) {
      sendConsentedView(options.consentedBeaconUrl, { productId: product.productId, dwellMs });
    }
  };
  document.addEventListener("visibilitychange", onVisibility);
  window.addEventListener("pagehide", finish);
  return finish;
}
