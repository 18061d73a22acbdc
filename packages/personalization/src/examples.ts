/**
 * Training examples from the exposure log (issue 9 §3, decision 014). One example per offer shown:
 * the server features exactly as stored when the list was shown (float32, never recomputed), the device
 * features rebuilt from the member's consented page views before that moment (as the browser would
 * have kept them: the last DEVICE_HISTORY_LIMIT views, dwell capped), else the documented defaults,
 * and label 1 when the member claimed (held or bought) that product within LABEL_WINDOW_DAYS after.
 *
 * Lists whose label window has not closed yet (shown less than LABEL_WINDOW_DAYS before the runtime's
 * clock) are left out: their missing claims are not known negatives.
 */
import { and, asc, eq, gte, inArray, lt, lte } from "drizzle-orm";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { DEVICE_HISTORY_LIMIT, MAX_DWELL_MS } from "./device-history.js";
import { DEVICE_FEATURE_COUNT, deviceFeatures, SERVER_FEATURE_COUNT, type DeviceView } from "./features.js";
import { loadConsentedViews } from "./events.js";
import type { TrainingExample } from "./types.js";

const DAY = 86_400_000;
/** A claim of the product within this many days after the list was shown is a positive. */
export const LABEL_WINDOW_DAYS = 7;

/** The device history a browser would have held at `at`: consented views before it, bounded like the browser. */
export function deviceHistoryAt(
  views: ReadonlyArray<DeviceView & { occurredAt: Date }>,
  at: Date,
): DeviceView[] | null {
  const before = views.filter((v) => v.occurredAt.getTime() < at.getTime()).slice(-DEVICE_HISTORY_LIMIT);
  if (before.length === 0) return null;
  return before.map((v) => ({ productId: v.productId, tags: v.tags, dwellMs: Math.min(MAX_DWELL_MS, v.dwellMs) }));
}

export async function loadTrainingExamples(
  rt: Runtime,
  input: { coopId: string; from?: Date; to?: Date },
): Promise<TrainingExample[]> {
  const now = rt.clock.now();
  const labelled = new Date(now.getTime() - LABEL_WINDOW_DAYS * DAY);
  const to = input.to && input.to.getTime() < labelled.getTime() ? input.to : labelled;
  const e = schema.offerExposures;
  const i = schema.offerExposureItems;

  return withSystem(rt, "personalization-training-examples", async (tx) => {
    const rows = await tx
      .select({
        listId: e.id,
        memberId: e.memberUserId,
        shownAt: e.shownAt,
        position: i.position,
        offerId: i.dropId,
        productId: i.productId,
        serverFeatures: i.serverFeatures,
        tags: schema.products.tags,
      })
      .from(e)
      .innerJoin(i, eq(i.exposureId, e.id))
      .innerJoin(schema.products, eq(schema.products.id, i.productId))
      .where(
        and(
          eq(e.coopId, input.coopId),
          input.from ? gte(e.shownAt, input.from) : undefined,
          to === input.to ? lt(e.shownAt, to) : lte(e.shownAt, to),
        ),
      )
      .orderBy(asc(e.shownAt), asc(e.id), asc(i.position));
    if (rows.length === 0) return [];

    const memberIds = [...new Set(rows.map((r) => r.memberId))];
    const first = rows[0]!.shownAt;
    const last = rows[rows.length - 1]!.shownAt;
    const c = schema.dropClaims;
    const claims = await tx
      .select({ memberId: c.memberUserId, productId: schema.drops.productId, at: c.createdAt })
      .from(c)
      .innerJoin(schema.drops, eq(schema.drops.id, c.dropId))
      .where(
        and(
          eq(c.coopId, input.coopId),
          inArray(c.memberUserId, memberIds),
          inArray(c.status, ["reserved", "confirmed"]),
          gte(c.createdAt, first),
          lte(c.createdAt, new Date(last.getTime() + LABEL_WINDOW_DAYS * DAY)),
        ),
      );
    const claimTimes = new Map<string, number[]>();
    for (const claim of claims) {
      const key = `${claim.memberId}:${claim.productId}`;
      const list = claimTimes.get(key) ?? [];
      list.push(claim.at.getTime());
      claimTimes.set(key, list);
    }

    const views = await loadConsentedViews(tx, { coopId: input.coopId, memberIds });
    const deviceCache = new Map<string, DeviceView[] | null>();

    return rows.map((r): TrainingExample => {
      if (r.serverFeatures.length !== SERVER_FEATURE_COUNT)
        throw new Error(`exposure ${r.listId} item ${r.position}: ${r.serverFeatures.length} server features stored`);
      let history = deviceCache.get(r.listId);
      if (history === undefined) {
        history = deviceHistoryAt(views.get(r.memberId) ?? [], r.shownAt);
        deviceCache.set(r.listId, history);
      }
      const device = deviceFeatures(history, { productId: r.productId, tags: r.tags });
      if (device.length !== DEVICE_FEATURE_COUNT) throw new Error("device feature count mismatch");
      const shown = r.shownAt.getTime();
      const until = shown + LABEL_WINDOW_DAYS * DAY;
      const label = (claimTimes.get(`${r.memberId}:${r.productId}`) ?? []).some((t) => t > shown && t <= until) ? 1 : 0;
      return {
        listId: r.listId,
        memberId: r.memberId,
        offerId: r.offerId,
        productId: r.productId,
        shownAt: r.shownAt,
        features: [...r.serverFeatures.map((x) => Math.fround(Number(x))), ...device],
        label,
      };
    });
  });
}
