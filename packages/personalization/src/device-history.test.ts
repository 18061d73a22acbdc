import { describe, expect, it } from "vitest";
import {
  clearDeviceHistory,
  DEVICE_HISTORY_KEY,
  DEVICE_HISTORY_LIMIT,
  MAX_DWELL_MS,
  readDeviceHistory,
  readStoredViews,
  recordDeviceView,
} from "./device-history";
import { deviceFeatures } from "./features";

/** localStorage's contract, in memory (optionally full, like a quota-exceeded store). */
function memoryStorage(options: { full?: boolean } = {}) {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => {
      if (options.full) throw new DOMException("quota", "QuotaExceededError");
      items.set(key, value);
    },
    removeItem: (key: string) => void items.delete(key),
  };
}

describe("device history", () => {
  it("keeps the last views, oldest first, bounded, with dwell capped", () => {
    const storage = memoryStorage();
    for (let i = 0; i < DEVICE_HISTORY_LIMIT + 25; i++) {
      expect(recordDeviceView({ productId: `p${i}`, tags: ["pastel"], dwellMs: i * 1000 }, { storage, at: i })).toBe(
        true,
      );
    }
    recordDeviceView({ productId: "long", tags: [], dwellMs: 5 * 3_600_000 }, { storage, at: 9999 });
    const views = readStoredViews(storage);
    expect(views).toHaveLength(DEVICE_HISTORY_LIMIT);
    expect(views[0]!.productId).toBe("p26");
    expect(views.at(-1)).toEqual({ productId: "long", tags: [], dwellMs: MAX_DWELL_MS, at: 9999 });
    expect(JSON.parse(storage.items.get(DEVICE_HISTORY_KEY)!)).toHaveLength(DEVICE_HISTORY_LIMIT);
  });

  it("feeds the feature spec: with history d_present is 1, without storage the defaults", () => {
    const storage = memoryStorage();
    recordDeviceView({ productId: "p1", tags: ["retro"], dwellMs: 30_000 }, { storage });
    const history = readDeviceHistory(storage);
    expect(history).toEqual([{ productId: "p1", tags: ["retro"], dwellMs: 30_000 }]);
    expect(deviceFeatures(history, { productId: "p1", tags: ["retro"] })[0]).toBe(1);
    expect(deviceFeatures(history, { productId: "p1", tags: ["retro"] })[3]).toBe(1);
    expect(readDeviceHistory(null)).toBeNull();
    expect(deviceFeatures(readDeviceHistory(null), { productId: "p1", tags: [] })).toEqual([0, 0, 0, 0]);
  });

  it("reads a broken or foreign store as empty and drops malformed entries", () => {
    const storage = memoryStorage();
    storage.items.set(DEVICE_HISTORY_KEY, "{not json");
    expect(readStoredViews(storage)).toEqual([]);
    storage.items.set(
      DEVICE_HISTORY_KEY,
      JSON.stringify([
        { productId: "ok", tags: ["a"], dwellMs: 1, at: 1 },
        { productId: "", tags: [], dwellMs: 1, at: 1 },
        { productId: "neg", tags: [], dwellMs: -5, at: 1 },
        { productId: "tags", tags: [1], dwellMs: 1, at: 1 },
        "string",
      ]),
    );
    expect(readStoredViews(storage).map((v) => v.productId)).toEqual(["ok"]);
    clearDeviceHistory(storage);
    expect(storage.items.has(DEVICE_HISTORY_KEY)).toBe(false);
  });

  it("a full store records nothing and does not throw", () => {
    const storage = memoryStorage({ full: true });
    expect(recordDeviceView({ productId: "p", tags: [], dwellMs: 1 }, { storage })).toBe(false);
    expect(readDeviceHistory(storage)).toEqual([]);
  });
});
