import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import { filterCreated, paginate } from "../list";

function list(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "event");
  const type = ctx.params.str("type");
  const types = ctx.params.strArray("types");
  const matches = (pattern: string, t: string) =>
    pattern.endsWith(".*") ? t.startsWith(pattern.slice(0, -1)) : pattern === t;
  if (type) items = items.filter((e) => matches(type, String(e.type)));
  if (types) items = items.filter((e) => types.some((p) => matches(p, String(e.type))));
  return paginate(filterCreated(items, ctx.params), ctx.params, "/v1/events", "event");
}

export const eventRoutes: Route[] = [
  route("GET", "/v1/events", list, [...PAGE, ...accepts<Stripe.EventListParams>("type", "types", "created")]),
  route("GET", "/v1/events/:id", (ctx) => ctx.emu.find(ctx.scope, arg(ctx), "event")),
];
