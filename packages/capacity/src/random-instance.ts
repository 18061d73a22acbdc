import type { AllocationInstance, FactoryInput, RequestInput, WindowInput } from "./instance";

/** Seeded random instances for property tests and the benchmark (mulberry32: same seed, same instance). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomInstanceOptions {
  creators: number;
  factories: number;
  capabilities?: string[];
  period?: string;
  windowStart?: string;
  allowBackup?: boolean;
  /** Largest minimum batch (1 = no minimum batches). */
  maxMinBatch?: number;
  /** Whether requests get ship dates that rule some factories out. */
  deadlines?: boolean;
  /** Whether weights differ between creators. */
  weights?: boolean;
}

export function randomInstance(seed: number, o: RandomInstanceOptions): AllocationInstance {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const capabilities = o.capabilities ?? ["screenprint", "pigment-batch", "sewing"];
  const windowStart = o.windowStart ?? "2026-11-30";
  const factories: FactoryInput[] = Array.from({ length: o.factories }, (_, i) => ({
    id: `f${String(i).padStart(3, "0")}`,
    name: `Factory ${i}`,
    location: "",
    isBackup: i > 0 && rnd() < 0.25,
    isActive: rnd() > 0.05,
    leadTimeDays: int(2, 14),
    costPerUnitCents: int(100, 900),
  }));
  const windows: WindowInput[] = [];
  for (const f of factories)
    for (const c of capabilities) if (rnd() < 0.6) windows.push({ factoryId: f.id, capability: c, units: int(0, 400) });
  const requests: RequestInput[] = Array.from({ length: o.creators }, (_, i) => {
    const units = int(1, 120);
    const minBatch = Math.min(units, int(1, o.maxMinBatch ?? 1));
    return {
      id: `r${String(i).padStart(4, "0")}`,
      creatorId: `c${i}`,
      creatorName: `Creator ${i}`,
      capability: capabilities[int(0, capabilities.length - 1)]!,
      units,
      minBatch,
      weight: o.weights ? [1, 1, 2, 0.5][int(0, 3)]! : 1,
      preferredFactoryIds: rnd() < 0.3 ? [factories[int(0, factories.length - 1)]!.id] : [],
      latestShipDate: o.deadlines && rnd() < 0.4 ? `2026-12-${String(int(3, 14)).padStart(2, "0")}` : null,
      submittedAt: `2026-11-${String(int(1, 20)).padStart(2, "0")}T10:00:00.000Z`,
    };
  });
  return {
    period: o.period ?? "2026-W49",
    windowStart,
    allowBackup: o.allowBackup ?? false,
    factories,
    windows,
    requests,
  };
}
