import { invalidRequest, resourceMissing } from "./errors";
import type { Params } from "./params";
import type { StripeObject } from "./store";

export interface ApiList<T = StripeObject> {
  object: "list";
  data: T[];
  has_more: boolean;
  url: string;
}

/** Applies `created[gte|gt|lte|lt]` or `created=<ts>` filters. */
export function filterCreated(items: StripeObject[], params: Params): StripeObject[] {
  if (!params.has("created")) return items;
  const exact = typeof params.raw.created === "string" ? params.int("created") : undefined;
  if (exact !== undefined) return items.filter((i) => i.created === exact);
  const range = params.obj("created");
  if (!range) return items;
  const gte = range.int("gte");
  const gt = range.int("gt");
  const lte = range.int("lte");
  const lt = range.int("lt");
  return items.filter((i) => {
    const c = Number(i.created);
    return (
      (gte === undefined || c >= gte) &&
      (gt === undefined || c > gt) &&
      (lte === undefined || c <= lte) &&
      (lt === undefined || c < lt)
    );
  });
}

/** Stripe's cursor pagination over a newest-first list: `limit` (1–100, default 10), `starting_after`, `ending_before`. */
export function paginate(items: StripeObject[], params: Params, url: string, kind = "object"): ApiList {
  const limit = params.int("limit", { min: 1, max: 100 }) ?? 10;
  const after = params.str("starting_after");
  const before = params.str("ending_before");
  if (after && before)
    throw invalidRequest("You may only specify one of these parameters: ending_before, starting_after.");
  if (after) {
    const i = items.findIndex((x) => x.id === after);
    if (i < 0) throw resourceMissing(kind, after, "starting_after");
    const rest = items.slice(i + 1);
    return { object: "list", data: rest.slice(0, limit), has_more: rest.length > limit, url };
  }
  if (before) {
    const i = items.findIndex((x) => x.id === before);
    if (i < 0) throw resourceMissing(kind, before, "ending_before");
    const head = items.slice(0, i);
    const start = Math.max(0, head.length - limit);
    return { object: "list", data: head.slice(start), has_more: start > 0, url };
  }
  return { object: "list", data: items.slice(0, limit), has_more: items.length > limit, url };
}

export function listOf<T>(data: T[], url: string): ApiList<T> {
  return { object: "list", data, has_more: false, url };
}
