import type { Emulator } from "./emulator";
import type { ApiList } from "./list";
import type { Params } from "./params";
import type { Scope, StripeObject } from "./store";

export interface ApiContext {
  emu: Emulator;
  /** The platform, or the connected account named by the `Stripe-Account` header. */
  scope: Scope;
  params: Params;
  /** Path segments captured by `:name` placeholders, in order. */
  args: string[];
  path: string;
}

export type Handler = (ctx: ApiContext) => StripeObject | ApiList;

export interface Route {
  method: "GET" | "POST" | "DELETE";
  pattern: RegExp;
  handler: Handler;
}

export function route(method: Route["method"], path: string, handler: Handler): Route {
  const pattern = new RegExp(`^${path.replace(/:[a-z_]+/g, "([^/]+)")}$`);
  return { method, pattern, handler };
}

/** The first captured path segment (the object id). */
export function arg(ctx: ApiContext, index = 0): string {
  return decodeURIComponent(ctx.args[index] ?? "");
}
