import type Stripe from "stripe";
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
  /**
   * The top-level parameters the endpoint accepts besides `expand` (always accepted). Anything else
   * is refused with Stripe's `parameter_unknown` — including real Stripe parameters the emulator does
   * not implement, so a test never silently runs without behaviour it asked for.
   */
  accepts: readonly string[];
}

export function route(method: Route["method"], path: string, handler: Handler, accepts: readonly string[] = []): Route {
  const pattern = new RegExp(`^${path.replace(/:[a-z_]+/g, "([^/]+)")}$`);
  return { method, pattern, handler, accepts };
}

/**
 * Names of accepted parameters, type-checked against the SDK's params type of the endpoint, so each
 * one is a real Stripe parameter: `accepts<Stripe.CustomerCreateParams>("email", "name")`.
 */
export function accepts<P>(...names: Array<Extract<keyof P, string>>): readonly string[] {
  return names;
}

/** Stripe's cursor parameters, accepted by every list endpoint. */
export const PAGE = accepts<Stripe.PaginationParams>("limit", "starting_after", "ending_before");

/** The first captured path segment (the object id). */
export function arg(ctx: ApiContext, index = 0): string {
  return decodeURIComponent(ctx.args[index] ?? "");
}
