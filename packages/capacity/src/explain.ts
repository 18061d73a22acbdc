import {
  byFixedOrder,
  capacityMap,
  eligibility,
  totalsOf,
  windowKey,
  type AllocationInstance,
  type IneligibleReason,
  type Plan,
} from "./instance";

/**
 * Plain-language explanations: per request, what it got and what bound it; per factory window, its
 * utilisation. Parts are codes with numbers so the app can render them in the reader's language;
 * `renderExplanation` gives the English text (API, tests).
 */

export type BoundBy = "request" | "capacity" | "min_batch" | "eligibility";

export interface ExplanationPart {
  code:
    | "summary"
    | "got_all"
    | "capacity"
    | "above_share"
    | "min_batch_dropped"
    | "min_batch_remainder"
    | "eligibility"
    | "ineligible_paused"
    | "ineligible_too_slow"
    | "weight"
    | "backup"
    | "batches";
  params: Record<string, string | number>;
}

export interface RequestOutcome {
  requestId: string;
  creatorId: string;
  creatorName: string;
  capability: string;
  requested: number;
  allocated: number;
  fairShare: number;
  boundBy: BoundBy;
  parts: ExplanationPart[];
}

export interface FactoryUtilisation {
  factoryId: string;
  factoryName: string;
  capability: string;
  capacity: number;
  allocated: number;
  /** allocated / capacity, 0…1 (0 for an empty window). */
  utilisation: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export function explainPlan(instance: AllocationInstance, plan: Plan): RequestOutcome[] {
  const capacity = capacityMap(instance);
  const totals = totalsOf(plan.batches);
  const factories = new Map(instance.factories.map((f) => [f.id, f]));
  const dropped = new Set(plan.dropped);
  const requests = [...instance.requests].sort(byFixedOrder);
  return requests.map((r) => {
    const allocated = totals.get(r.id) ?? 0;
    const share = plan.fairShares[r.id] ?? 0;
    const group = requests.filter((g) => g.capability === r.capability);
    const withWindow = instance.factories.filter((f) => (capacity.get(windowKey(f.id, r.capability)) ?? 0) > 0);
    const usable = withWindow.filter(
      (f) => eligibility(instance, r, f, capacity) === null && (instance.allowBackup || !f.isBackup),
    );
    const blocked = withWindow
      .map((f) => ({ f, reason: eligibility(instance, r, f, capacity) }))
      .filter((x): x is { f: (typeof withWindow)[number]; reason: IneligibleReason } => x.reason !== null);
    const pool = withWindow
      .filter((f) => !f.isBackup && f.isActive)
      .reduce((s, f) => s + (capacity.get(windowKey(f.id, r.capability)) ?? 0), 0);
    const parts: ExplanationPart[] = [
      { code: "summary", params: { allocated, requested: r.units, capability: r.capability, period: instance.period } },
    ];
    let boundBy: BoundBy;
    if (allocated >= r.units) {
      boundBy = "request";
      parts.push({ code: "got_all", params: {} });
    } else if (usable.length === 0) {
      boundBy = "eligibility";
    } else if (dropped.has(r.id) && allocated < r.minBatch) {
      boundBy = "min_batch";
      parts.push({ code: "min_batch_dropped", params: { share: round1(share), minBatch: r.minBatch } });
    } else if (allocated < Math.floor(share + 1e-9) && blocked.length > 0) {
      boundBy = "eligibility";
    } else if (allocated < Math.floor(share + 1e-9)) {
      boundBy = "min_batch";
      parts.push({ code: "min_batch_remainder", params: { minBatch: r.minBatch } });
    } else {
      boundBy = "capacity";
      parts.push({
        code: "capacity",
        params: { capability: r.capability, pool, requests: group.length, share: round1(share) },
      });
      if (allocated > Math.ceil(share - 1e-9))
        parts.push({ code: "above_share", params: { extra: allocated - Math.round(share) } });
    }
    if (boundBy === "eligibility") parts.push({ code: "eligibility", params: {} });
    if (boundBy !== "request")
      for (const reason of ["too_slow", "paused"] as const) {
        const names = blocked.filter((b) => b.reason === reason).map((b) => b.f.name);
        if (names.length) parts.push({ code: `ineligible_${reason}`, params: { factories: names.join(", ") } });
      }
    const weights = new Set(group.map((g) => g.weight));
    if (weights.size > 1) parts.push({ code: "weight", params: { weight: r.weight } });
    const mine = plan.batches.filter((b) => b.requestId === r.id && b.units > 0);
    const backupUnits = mine.filter((b) => factories.get(b.factoryId)?.isBackup).reduce((s, b) => s + b.units, 0);
    if (backupUnits > 0) parts.push({ code: "backup", params: { units: backupUnits } });
    if (mine.length > 0)
      parts.push({
        code: "batches",
        params: { list: mine.map((b) => `${factories.get(b.factoryId)?.name ?? b.factoryId}: ${b.units}`).join(", ") },
      });
    return {
      requestId: r.id,
      creatorId: r.creatorId,
      creatorName: r.creatorName,
      capability: r.capability,
      requested: r.units,
      allocated,
      fairShare: share,
      boundBy,
      parts,
    };
  });
}

export function utilisationOf(instance: AllocationInstance, plan: Plan): FactoryUtilisation[] {
  const requests = new Map(instance.requests.map((r) => [r.id, r]));
  const used = new Map<string, number>();
  for (const b of plan.batches) {
    const key = windowKey(b.factoryId, requests.get(b.requestId)?.capability ?? "");
    used.set(key, (used.get(key) ?? 0) + b.units);
  }
  const factories = new Map(instance.factories.map((f) => [f.id, f]));
  return [...capacityMap(instance)]
    .map(([key, units]) => {
      const [factoryId = "", capability = ""] = key.split("\u0000");
      const allocated = used.get(key) ?? 0;
      return {
        factoryId,
        factoryName: factories.get(factoryId)?.name ?? factoryId,
        capability,
        capacity: units,
        allocated,
        utilisation: units > 0 ? allocated / units : 0,
      };
    })
    .sort((a, b) =>
      a.factoryName < b.factoryName ? -1 : a.factoryName > b.factoryName ? 1 : a.capability < b.capability ? -1 : 1,
    );
}

/** English templates; the app has the same codes as i18n keys `explain.<code>` in en and de. */
export const EXPLANATION_TEXT: Record<ExplanationPart["code"], string> = {
  summary: "You got {allocated} of the {requested} {capability} units you asked for in {period}.",
  got_all: "Your whole request fit.",
  capacity:
    "Capacity bound you: primary capacity for {capability} was {pool} units for {requests} requests, and your weighted fair share was {share} units.",
  above_share: "The plan found room for {extra} units beyond your fair share.",
  min_batch_dropped:
    "Your minimum batch bound you: your fair share ({share} units) was below your minimum batch of {minBatch}. When minimum batches cannot all be met, the co-op's rule sets aside the request with the largest minimum batch per unit of weight first; it gets only capacity left over afterwards.",
  min_batch_remainder:
    "Your minimum batch bound you: no factory had room for another batch of at least {minBatch} units.",
  eligibility: "Eligibility bound you: the factories that could take your request had no more room.",
  ineligible_too_slow: "These factories cannot ship by your latest ship date: {factories}.",
  ineligible_paused: "These factories are paused: {factories}.",
  weight: "Your weight in the co-op's policy is {weight}; shares grow in proportion to weight.",
  backup: "{units} units come from backup factories.",
  batches: "Batches: {list}.",
};

export function renderExplanation(parts: readonly ExplanationPart[]): string {
  return parts
    .map((p) =>
      EXPLANATION_TEXT[p.code].replace(/\{(\w+)\}/g, (m, name: string) =>
        p.params[name] === undefined ? m : String(p.params[name]),
      ),
    )
    .join(" ");
}
