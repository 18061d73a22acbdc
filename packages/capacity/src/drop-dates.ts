import { and, asc, eq, inArray } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { schema, type Tx } from "@kiln/db";
import { selectLockedAllocation } from "./allocations";

/**
 * Drops follow their allocation's ship-by date (issue 7 §5). A drop is made from a creator's locked
 * allocation of one capability and window; its ship-by is the latest date among the allocation's
 * batches, each batch counting with its revised date when capacity changed after locking (the same
 * rule drops use when a drop is created). Whenever capacity changes after a lock (a window cut, a
 * factory paused or resumed) or a window is locked again, the co-op's affected drops get the date
 * again, in the same transaction, each change audited (`capacity.drop.ship_by_revised`), so the drops
 * issue can tell members and offer cancellation. A drop whose allocation has no batch left keeps its
 * date (the admin must re-plan; the flag says so).
 */

export interface RevisedDrop {
  dropId: string;
  creatorId: string;
  capability: string;
  period: string;
  from: string | null;
  to: string;
}

export async function reviseDropShipBy(
  tx: Tx,
  now: Date,
  scope: { coopId: string; userId: string },
  filter: { periods?: string[] } = {},
): Promise<RevisedDrop[]> {
  if (filter.periods && filter.periods.length === 0) return [];
  const drops = await tx
    .select({
      id: schema.drops.id,
      creatorId: schema.drops.creatorId,
      capability: schema.drops.capability,
      period: schema.drops.period,
      shipBy: schema.drops.shipBy,
    })
    .from(schema.drops)
    .where(
      and(
        eq(schema.drops.coopId, scope.coopId),
        filter.periods ? inArray(schema.drops.period, filter.periods) : undefined,
      ),
    )
    .orderBy(asc(schema.drops.id));
  const dates = new Map<string, string | null>();
  const revised: RevisedDrop[] = [];
  for (const drop of drops) {
    const key = `${drop.creatorId}|${drop.capability}|${drop.period}`;
    if (!dates.has(key)) {
      const allocation = await selectLockedAllocation(tx, drop);
      dates.set(
        key,
        allocation.batches
          .map((b) => b.revisedShipBy ?? b.shipBy)
          .sort()
          .at(-1) ?? null,
      );
    }
    const to = dates.get(key) ?? null;
    if (to === null || to === drop.shipBy) continue;
    await tx.update(schema.drops).set({ shipBy: to, updatedAt: now }).where(eq(schema.drops.id, drop.id));
    await appendAudit(tx, now, {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.drop.ship_by_revised",
      subjectType: "drop",
      subjectId: drop.id,
      data: { creatorId: drop.creatorId, period: drop.period, from: drop.shipBy, to },
    });
    revised.push({
      dropId: drop.id,
      creatorId: drop.creatorId,
      capability: drop.capability,
      period: drop.period,
      from: drop.shipBy,
      to,
    });
  }
  return revised;
}
