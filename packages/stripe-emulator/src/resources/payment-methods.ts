import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import { cardError, checkExpiry, MAGIC_PAYMENT_METHODS, readCardNumber, type CardDetails } from "../cards";
import type { Emulator } from "../emulator";
import { invalidParam, invalidRequest, resourceMissing } from "../errors";
import { newId, randomToken } from "../ids";
import { paginate } from "../list";
import type { Params } from "../params";
import type { Scope, StripeObject } from "../store";
import { getCustomer } from "./customers";

export type EmulatedPaymentMethod = Pick<
  Stripe.PaymentMethod,
  | "id"
  | "object"
  | "allow_redisplay"
  | "billing_details"
  | "card"
  | "created"
  | "customer"
  | "livemode"
  | "metadata"
  | "type"
>;
export type StoredPaymentMethod = EmulatedPaymentMethod & StripeObject;

export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
  cvc?: string;
}

/** Creates a card payment method; the card number decides its behaviour and is not kept. */
export function createCardPaymentMethod(
  emu: Emulator,
  scope: Scope,
  input: CardInput,
  extra: { metadata?: Record<string, string>; name?: string | null; email?: string | null } = {},
): StoredPaymentMethod {
  const details: CardDetails = readCardNumber(input.number);
  checkExpiry(input.expMonth, input.expYear, new Date(emu.clock.nowMs()));
  if (input.cvc !== undefined && !/^\d{3,4}$/.test(input.cvc))
    throw cardError("Your card's security code is invalid.", "invalid_cvc", "card[cvc]");
  const pm: EmulatedPaymentMethod = {
    id: newId("pm"),
    object: "payment_method",
    allow_redisplay: "unspecified",
    billing_details: { address: null, email: extra.email ?? null, name: extra.name ?? null, phone: null, tax_id: null },
    card: {
      brand: details.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: input.cvc ? "pass" : null },
      country: "US",
      display_brand: details.brand,
      exp_month: input.expMonth,
      exp_year: input.expYear < 100 ? 2000 + input.expYear : input.expYear,
      fingerprint: randomToken(16),
      funding: "credit",
      generated_from: null,
      last4: details.last4,
      networks: { available: [details.brand], preferred: null },
      regulated_status: "unregulated",
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: emu.now(),
    customer: null,
    livemode: false,
    metadata: extra.metadata ?? {},
    type: "card",
  };
  emu.store.state.cards[pm.id] = details.behaviour;
  return emu.store.put(scope, pm);
}

/**
 * Resolves a `payment_method` parameter: an existing `pm_…` of this account, or one of Stripe's magic
 * test ids (`pm_card_visa`, `pm_card_chargeDeclined`, …), which makes a fresh payment method.
 */
export function resolvePaymentMethod(
  emu: Emulator,
  scope: Scope,
  id: string,
  param = "payment_method",
): StoredPaymentMethod {
  const magic = MAGIC_PAYMENT_METHODS[id];
  if (magic) {
    const year = new Date(emu.clock.nowMs()).getUTCFullYear() + 3;
    return createCardPaymentMethod(emu, scope, { number: magic, expMonth: 12, expYear: year });
  }
  const found = emu.store.get(scope, id, "payment_method");
  if (!found) throw resourceMissing("PaymentMethod", id, param);
  return found as StoredPaymentMethod;
}

function readCard(params: Params): CardInput {
  const card = params.obj("card");
  if (!card) throw invalidParam("card", "Missing required param: card.");
  const token = card.str("token");
  if (token) {
    const number = MAGIC_PAYMENT_METHODS[token];
    if (!number) throw resourceMissing("token", token, "card[token]");
    return { number, expMonth: 12, expYear: 2099 };
  }
  return {
    number: card.reqStr("number"),
    expMonth: card.reqInt("exp_month"),
    expYear: card.reqInt("exp_year"),
    ...(card.str("cvc") !== undefined ? { cvc: card.str("cvc") } : {}),
  };
}

function create(ctx: ApiContext) {
  const { params, emu, scope } = ctx;
  const type = params.reqStr("type");
  if (type !== "card")
    throw invalidParam("type", `The emulator supports payment methods of type card only (got ${type}).`);
  const billing = params.obj("billing_details");
  return createCardPaymentMethod(emu, scope, readCard(params), {
    metadata: params.metadata() ?? {},
    name: billing?.str("name") ?? null,
    email: billing?.str("email") ?? null,
  });
}

/** Attaches to a customer (a declining card fails, as Stripe checks the card on attach). */
export function attachPaymentMethod(emu: Emulator, scope: Scope, pm: StoredPaymentMethod, customerId: string) {
  if (pm.customer === customerId) return pm;
  if (pm.customer)
    throw invalidRequest("The payment method you provided has already been attached to a customer.", "payment_method");
  if (emu.store.state.cards[pm.id] === "decline")
    throw cardError("Your card was declined.", "card_declined", undefined, "generic_decline");
  pm.customer = customerId;
  emu.store.put(scope, pm);
  emu.emit(scope, "payment_method.attached", pm);
  return pm;
}

function attach(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const pm = resolvePaymentMethod(emu, scope, arg(ctx), "payment_method");
  const customer = getCustomer(emu, scope, params.reqStr("customer"));
  return attachPaymentMethod(emu, scope, pm, customer.id);
}

function detach(ctx: ApiContext) {
  const { emu, scope } = ctx;
  const pm = resolvePaymentMethod(emu, scope, arg(ctx), "payment_method");
  if (!pm.customer)
    throw invalidRequest("The payment method you provided is not attached to a customer so detachment is impossible.");
  const previous = { customer: pm.customer };
  pm.customer = null;
  emu.store.put(scope, pm);
  emu.emit(scope, "payment_method.detached", pm, previous);
  return pm;
}

function update(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const pm = resolvePaymentMethod(emu, scope, arg(ctx));
  const metadata = params.metadata(pm.metadata ?? {});
  const previous: Record<string, unknown> = {};
  if (metadata) {
    previous.metadata = pm.metadata;
    pm.metadata = metadata;
  }
  const card = params.obj("card");
  if (card && pm.card) {
    const month = card.int("exp_month", { min: 1, max: 12 });
    const year = card.int("exp_year");
    previous.card = { ...pm.card };
    if (month) pm.card.exp_month = month;
    if (year) pm.card.exp_year = year;
  }
  emu.store.put(scope, pm);
  emu.emit(scope, "payment_method.updated", pm, previous);
  return pm;
}

function list(ctx: ApiContext, customerId?: string) {
  const { emu, scope, params } = ctx;
  const customer = customerId ?? params.str("customer");
  if (customer) getCustomer(emu, scope, customer);
  let items = emu.store.all(scope, "payment_method");
  items = customer ? items.filter((p) => p.customer === customer) : items.filter((p) => p.customer !== null);
  const type = params.str("type");
  if (type) items = items.filter((p) => p.type === type);
  const url = customerId ? `/v1/customers/${customerId}/payment_methods` : "/v1/payment_methods";
  return paginate(items, params, url, "payment_method");
}

export const paymentMethodRoutes: Route[] = [
  route(
    "POST",
    "/v1/payment_methods",
    create,
    accepts<Stripe.PaymentMethodCreateParams>("type", "card", "billing_details", "metadata"),
  ),
  route("GET", "/v1/payment_methods", (ctx) => list(ctx), [
    ...PAGE,
    ...accepts<Stripe.PaymentMethodListParams>("customer", "type"),
  ]),
  route("GET", "/v1/payment_methods/:id", (ctx) => resolvePaymentMethod(ctx.emu, ctx.scope, arg(ctx), "id")),
  route("POST", "/v1/payment_methods/:id", update, accepts<Stripe.PaymentMethodUpdateParams>("metadata", "card")),
  route("POST", "/v1/payment_methods/:id/attach", attach, accepts<Stripe.PaymentMethodAttachParams>("customer")),
  route("POST", "/v1/payment_methods/:id/detach", detach),
  route("GET", "/v1/customers/:id/payment_methods", (ctx) => list(ctx, arg(ctx)), [
    ...PAGE,
    ...accepts<Stripe.CustomerListPaymentMethodsParams>("type"),
  ]),
];
