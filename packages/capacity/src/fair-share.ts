import {
  byFixedOrder,
  capacityMap,
  eligibleFactories,
  windowKey,
  type AllocationInstance,
  type Batch,
  type FactoryInput,
  type Plan,
  type RequestInput,
} from "./instance";

/**
 * Weighted max-min fair share (water-filling), deterministic. The rule, per capability:
 *
 * 1. **Water-fill** the pooled primary capacity (every active primary factory's window for the
 *    capability) among the requests that have at least one eligible primary factory: raise a common
 *    level t; each request gets min(units, weight × t) until the pool is used up.
 * 2. **Minimum batches.** If a request's share is below its minimum batch, the requests cannot all be
 *    met: drop exactly one, the one with the largest minimum batch per unit of weight (ties: the
 *    later-submitted, then the larger id), and water-fill again among the rest. Repeat until every
 *    remaining share reaches its minimum batch.
 * 3. **Whole units.** Shares are rounded down; the units left over go one each to the largest
 *    fractional parts (ties in the fixed order: earliest submitted, then id).
 * 4. **Placement.** Requests are placed largest share first into their eligible factories (preferred,
 *    primary, cheaper, faster, name, id); a new batch at a factory must reach the minimum batch.
 *    What cannot be placed (eligibility differs per factory, or a remainder below the minimum batch)
 *    returns to the pool, and rounds 1–4 repeat on the residual capacity among the requests that
 *    got their whole share so far, until nothing more can be placed.
 * 5. **Dropped requests** get whatever capacity is left afterwards, in the fixed order, in batches of
 *    at least their minimum.
 * 6. **Backup.** If the admin allows it, the same procedure runs again on backup factories for the
 *    demand primary capacity left unmet.
 */
export function fairShare(instance: AllocationInstance): Plan {
  const residual = capacityMap(instance);
  const requests = [...instance.requests].sort(byFixedOrder);
  const placed = new Map<string, Map<string, number>>(); // request → factory → units
  const fairShares: Record<string, number> = {};
  const dropped: string[] = [];
  const capabilities = [...new Set(requests.map((r) => r.capability))].sort();

  for (const capability of capabilities) {
    const group = requests.filter((r) => r.capability === capability);
    const primary = fillPhase(instance, group, residual, placed, (f) => !f.isBackup);
    for (const r of group) fairShares[r.id] = primary.shares.get(r.id) ?? 0;
    dropped.push(...primary.dropped);
    if (instance.allowBackup) fillPhase(instance, group, residual, placed, (f) => f.isBackup);
  }

  const batches: Batch[] = [];
  for (const r of requests)
    for (const [factoryId, units] of [...(placed.get(r.id) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1)))
      if (units > 0) batches.push({ requestId: r.id, factoryId, units });
  return { method: "fair", batches, fairShares, dropped };
}

/** Weighted water-filling of `capacity` over demands: max-min fair in demand/weight, continuous. */
export function waterFill(items: readonly { demand: number; weight: number }[], capacity: number): number[] {
  const total = items.reduce((s, i) => s + i.demand, 0);
  if (total <= capacity) return items.map((i) => i.demand);
  const order = items
    .map((_, i) => i)
    .sort((a, b) => items[a]!.demand / items[a]!.weight - items[b]!.demand / items[b]!.weight);
  const shares = new Array<number>(items.length).fill(0);
  let left = Math.max(0, capacity);
  let weight = items.reduce((s, i) => s + i.weight, 0);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const item = items[i]!;
    const level = left / weight;
    if (item.demand / item.weight <= level) {
      shares[i] = item.demand;
      left -= item.demand;
      weight -= item.weight;
    } else {
      for (const j of order.slice(k)) shares[j] = items[j]!.weight * level;
      break;
    }
  }
  return shares;
}

/** Rounds shares to whole units that sum to min(floor(capacity), Σ demand): largest remainders first. */
export function wholeUnits(shares: readonly number[], demands: readonly number[], capacity: number): number[] {
  const units = shares.map((s, i) => Math.min(demands[i]!, Math.floor(s + 1e-9)));
  const target = Math.min(
    Math.floor(capacity + 1e-9),
    demands.reduce((s, d) => s + d, 0),
  );
  let missing = target - units.reduce((s, u) => s + u, 0);
  const order = shares
    .map((s, i) => ({ i, frac: s - units[i]! }))
    .filter((x) => x.frac > 1e-9)
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (missing <= 0) break;
    if (units[i]! < demands[i]!) {
      units[i]! += 1;
      missing--;
    }
  }
  return units;
}

interface PhaseResult {
  shares: Map<string, number>;
  dropped: string[];
}

function fillPhase(
  instance: AllocationInstance,
  group: readonly RequestInput[],
  residual: Map<string, number>,
  placed: Map<string, Map<string, number>>,
  inPhase: (f: FactoryInput) => boolean,
): PhaseResult {
  const options = new Map(group.map((r) => [r.id, eligibleFactories(instance, r, residual).filter(inPhase)] as const));
  const got = (r: RequestInput) => [...(placed.get(r.id)?.values() ?? [])].reduce((s, u) => s + u, 0);
  const demand = (r: RequestInput) => r.units - got(r);
  const pool = (members: readonly RequestInput[]) => {
    const keys = new Set<string>();
    for (const r of members) for (const f of options.get(r.id) ?? []) keys.add(windowKey(f.id, r.capability));
    return [...keys].reduce((s, k) => s + (residual.get(k) ?? 0), 0);
  };

  let active = group.filter((r) => demand(r) > 0 && (options.get(r.id)?.length ?? 0) > 0);
  const shares = new Map<string, number>();
  const dropped: string[] = [];

  // Round 1 decides the fair shares and applies the minimum-batch rule.
  for (;;) {
    const capacity = pool(active);
    const s = waterFill(
      active.map((r) => ({ demand: demand(r), weight: r.weight })),
      capacity,
    );
    const unmeetable = active.filter((r, i) => s[i]! < r.minBatch - 1e-9 && !hasBatchIn(placed, r, options));
    if (unmeetable.length === 0) {
      active.forEach((r, i) => shares.set(r.id, s[i]!));
      break;
    }
    const victim = [...unmeetable].sort(
      (a, b) => b.minBatch / b.weight - a.minBatch / a.weight || byFixedOrder(b, a),
    )[0]!;
    shares.set(victim.id, s[active.indexOf(victim)]!);
    dropped.push(victim.id);
    active = active.filter((r) => r !== victim);
  }

  // Rounds: whole units, placement, and again on what is left among those not stuck.
  let first = true;
  while (active.length > 0) {
    const capacity = pool(active);
    if (capacity <= 0) break;
    const demands = active.map(demand);
    const s = first
      ? active.map((r) => shares.get(r.id)!)
      : waterFill(
          active.map((r, i) => ({ demand: demands[i]!, weight: r.weight })),
          capacity,
        );
    first = false;
    const units = wholeUnits(s, demands, capacity);
    const order = active.map((r, i) => ({ r, u: units[i]! })).sort((a, b) => b.u - a.u || byFixedOrder(a.r, b.r));
    let progress = 0;
    const stuck = new Set<string>();
    for (const { r, u } of order) {
      if (u <= 0) continue;
      const done = place(r, u, options.get(r.id)!, residual, placed);
      progress += done;
      if (done < u) stuck.add(r.id);
    }
    if (progress === 0) break;
    active = active.filter((r) => !stuck.has(r.id) && demand(r) > 0);
  }

  // Dropped requests take what is left, in the fixed order.
  for (const r of [...dropped].map((id) => group.find((g) => g.id === id)!).sort(byFixedOrder))
    place(r, demand(r), options.get(r.id)!, residual, placed);

  return { shares, dropped };
}

const hasBatchIn = (placed: Map<string, Map<string, number>>, r: RequestInput, options: Map<string, FactoryInput[]>) =>
  (options.get(r.id) ?? []).some((f) => (placed.get(r.id)?.get(f.id) ?? 0) > 0);

/** Places up to `units` of r into its factories in order; returns what it placed. */
function place(
  r: RequestInput,
  units: number,
  factories: readonly FactoryInput[],
  residual: Map<string, number>,
  placed: Map<string, Map<string, number>>,
): number {
  let left = units;
  const mine = placed.get(r.id) ?? new Map<string, number>();
  for (const f of factories) {
    if (left <= 0) break;
    const key = windowKey(f.id, r.capability);
    const free = residual.get(key) ?? 0;
    const existing = mine.get(f.id) ?? 0;
    const chunk = Math.min(left, free);
    if (chunk <= 0 || (existing === 0 && chunk < r.minBatch)) continue;
    mine.set(f.id, existing + chunk);
    residual.set(key, free - chunk);
    left -= chunk;
  }
  placed.set(r.id, mine);
  return units - left;
}
