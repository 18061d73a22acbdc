import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import type { Emulator } from "../emulator";
import { badState, invalidParam, missingParam } from "../errors";
import { newId } from "../ids";
import { paginate } from "../list";
import { PLATFORM, type Scope, type StripeObject } from "../store";
import { getCustomer } from "./customers";
import { createPrice, getPrice } from "./products";

export type EmulatedCheckoutSession = Pick<
  Stripe.Checkout.Session,
  | "id"
  | "object"
  | "amount_subtotal"
  | "amount_total"
  | "automatic_tax"
  | "billing_address_collection"
  | "cancel_url"
  | "client_reference_id"
  | "created"
  | "currency"
  | "customer"
  | "customer_email"
  | "expires_at"
  | "livemode"
  | "metadata"
  | "mode"
  | "payment_intent"
  | "payment_status"
  | "setup_intent"
  | "status"
  | "success_url"
  | "url"
>;

/** What the hosted page needs beyond the public object: line items and the intents' settings. */
export interface CheckoutExtras {
  lines: Array<{ price: string; quantity: number; amount: number; description: string }>;
  captureMethod: "automatic" | "manual";
  applicationFeeAmount: number | null;
  intentMetadata: Record<string, string>;
  customerCreation: "always" | "if_required";
}

export type StoredCheckoutSession = EmulatedCheckoutSession & StripeObject & { emulator: CheckoutExtras };

function create(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const mode = params.enum("mode", ["payment", "setup", "subscription"] as const);
  if (!mode) throw missingParam("mode");
  if (mode === "subscription")
    throw invalidParam(
      "mode",
      "The Stripe emulator does not support Checkout in subscription mode; Kiln uses setup mode and creates subscriptions server-side.",
    );
  const successUrl = params.reqStr("success_url");
  const customerId = params.str("customer");
  const customer = customerId ? getCustomer(emu, scope, customerId) : undefined;
  const now = emu.now();
  const expiresAt = params.int("expires_at") ?? now + 24 * 3600;
  if (expiresAt < now + 30 * 60 || expiresAt > now + 24 * 3600)
    throw invalidParam(
      "expires_at",
      "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
    );
  const lines: CheckoutExtras["lines"] = [];
  for (const item of params.objArray("line_items") ?? []) {
    const priceData = item.obj("price_data");
    const price = priceData
      ? createPrice(emu, scope, priceData)
      : getPrice(emu, scope, item.reqStr("price"), "line_items[price]");
    const quantity = item.int("quantity", { min: 1 }) ?? 1;
    const product = emu.store.get(scope, price.product);
    lines.push({
      price: price.id,
      quantity,
      amount: (price.unit_amount ?? 0) * quantity,
      description: typeof product?.name === "string" ? product.name : price.id,
    });
  }
  let currency = params.str("currency")?.toLowerCase() ?? null;
  if (mode === "payment") {
    if (!lines.length) throw missingParam("line_items");
    const currencies = new Set(lines.map((l) => String(emu.store.get(scope, l.price)?.currency)));
    if (currencies.size > 1) throw invalidParam("line_items", "All line items must have the same currency.");
    currency = [...currencies][0] ?? null;
  }
  const pid = params.obj("payment_intent_data");
  const sid = params.obj("setup_intent_data");
  const fee = pid?.int("application_fee_amount", { min: 0 }) ?? null;
  if (fee !== null && scope === PLATFORM)
    throw invalidParam(
      "payment_intent_data[application_fee_amount]",
      "An application fee needs the Stripe-Account header (a connected account).",
    );
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const id = newId("cs_test");
  const session: EmulatedCheckoutSession & { emulator: CheckoutExtras } = {
    id,
    object: "checkout.session",
    amount_subtotal: mode === "payment" ? total : null,
    amount_total: mode === "payment" ? total : null,
    // Stripe Tax settings are kept and echoed; the emulator computes no tax (README).
    automatic_tax: {
      enabled: params.obj("automatic_tax")?.bool("enabled") ?? false,
      liability: null,
      provider: null,
      status: null,
    },
    billing_address_collection: params.enum("billing_address_collection", ["auto", "required"] as const) ?? null,
    cancel_url: params.str("cancel_url") ?? null,
    client_reference_id: params.str("client_reference_id") ?? null,
    created: now,
    currency,
    customer: customer?.id ?? null,
    customer_email: params.str("customer_email") ?? customer?.email ?? null,
    expires_at: expiresAt,
    livemode: false,
    metadata: params.metadata() ?? {},
    mode,
    payment_intent: null,
    payment_status: mode === "setup" ? "no_payment_required" : "unpaid",
    setup_intent: null,
    status: "open",
    success_url: successUrl,
    url: `${emu.baseUrl}/hosted/checkout/${id}`,
    emulator: {
      lines,
      captureMethod:
        pid?.enum("capture_method", ["automatic", "automatic_async", "manual"] as const) === "manual"
          ? "manual"
          : "automatic",
      applicationFeeAmount: fee,
      intentMetadata: (mode === "payment" ? pid?.metadata() : sid?.metadata()) ?? {},
      customerCreation: params.enum("customer_creation", ["always", "if_required"] as const) ?? "if_required",
    },
  };
  return emu.store.put(scope, session);
}

export function getCheckoutSession(emu: Emulator, scope: Scope, id: string): StoredCheckoutSession {
  return emu.find(scope, id, "checkout.session", "checkout.session") as StoredCheckoutSession;
}

export function expireSession(emu: Emulator, scope: Scope, session: StoredCheckoutSession) {
  if (session.status !== "open")
    throw badState(
      `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
    );
  session.status = "expired";
  session.url = null;
  emu.store.put(scope, session);
  emu.emit(scope, "checkout.session.expired", publicSession(session));
}

/** The session as Stripe shows it (without the emulator's own bookkeeping). */
export function publicSession(session: StoredCheckoutSession): StripeObject {
  const { emulator: _extras, ...rest } = session;
  return rest;
}

function list(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "checkout.session");
  const customer = ctx.params.str("customer");
  const pi = ctx.params.str("payment_intent");
  if (customer) items = items.filter((s) => s.customer === customer);
  if (pi) items = items.filter((s) => s.payment_intent === pi);
  const page = paginate(items, ctx.params, "/v1/checkout/sessions", "checkout.session");
  return { ...page, data: page.data.map((s) => publicSession(s as StoredCheckoutSession)) };
}

export const checkoutRoutes: Route[] = [
  route(
    "POST",
    "/v1/checkout/sessions",
    (ctx) => publicSession(create(ctx)),
    accepts<Stripe.Checkout.SessionCreateParams>(
      "mode",
      "success_url",
      "cancel_url",
      "customer",
      "customer_email",
      "customer_creation",
      "client_reference_id",
      "currency",
      "expires_at",
      "line_items",
      "metadata",
      "payment_intent_data",
      "setup_intent_data",
      "automatic_tax",
      "billing_address_collection",
      // Accepted and ignored: the hosted page collects no address, so nothing is written to the customer.
      "customer_update",
      // Accepted and ignored: the hosted page is in English.
      "locale",
    ),
  ),
  route("GET", "/v1/checkout/sessions", list, [
    ...PAGE,
    ...accepts<Stripe.Checkout.SessionListParams>("customer", "payment_intent"),
  ]),
  route("GET", "/v1/checkout/sessions/:id", (ctx) => publicSession(getCheckoutSession(ctx.emu, ctx.scope, arg(ctx)))),
  route(
    "GET",
    "/v1/checkout/sessions/:id/line_items",
    (ctx) => {
      const session = getCheckoutSession(ctx.emu, ctx.scope, arg(ctx));
      const data = session.emulator.lines.map((l) => ({
        id: newId("li"),
        object: "item",
        amount_total: l.amount,
        amount_subtotal: l.amount,
        currency: session.currency,
        description: l.description,
        price: ctx.emu.store.get(ctx.scope, l.price),
        quantity: l.quantity,
      }));
      return paginate(data, ctx.params, `/v1/checkout/sessions/${session.id}/line_items`);
    },
    PAGE,
  ),
  route("POST", "/v1/checkout/sessions/:id/expire", (ctx) => {
    const session = getCheckoutSession(ctx.emu, ctx.scope, arg(ctx));
    expireSession(ctx.emu, ctx.scope, session);
    return publicSession(session);
  }),
];

export function ensureOpen(session: StoredCheckoutSession, now: number) {
  if (session.status === "open" && session.expires_at <= now) return "expired" as const;
  if (session.status !== "open") return session.status ?? "expired";
  return "open" as const;
}
