import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import { cardError } from "../cards";
import { clone, type Emulator } from "../emulator";
import { badState, StripeApiError } from "../errors";
import { idOf, newId, randomToken } from "../ids";
import { paginate } from "../list";
import type { Scope, StripeObject } from "../store";
import { getCustomer } from "./customers";
import { attachPaymentMethod, resolvePaymentMethod } from "./payment-methods";
import { paymentOutcome } from "./payment-intents";

export type EmulatedSetupIntent = Pick<
  Stripe.SetupIntent,
  | "id"
  | "object"
  | "cancellation_reason"
  | "client_secret"
  | "created"
  | "customer"
  | "description"
  | "last_setup_error"
  | "latest_attempt"
  | "livemode"
  | "metadata"
  | "next_action"
  | "payment_method"
  | "payment_method_types"
  | "status"
  | "usage"
>;
export type StoredSetupIntent = EmulatedSetupIntent & StripeObject;

export function getSetupIntent(emu: Emulator, scope: Scope, id: string, param = "id"): StoredSetupIntent {
  return emu.find(scope, id, "setup_intent", "setup_intent", param) as StoredSetupIntent;
}

export function newSetupIntent(emu: Emulator, scope: Scope, fields: Partial<EmulatedSetupIntent>): StoredSetupIntent {
  const id = newId("seti");
  const si: EmulatedSetupIntent = {
    id,
    object: "setup_intent",
    cancellation_reason: null,
    client_secret: `${id}_secret_${randomToken(24)}`,
    created: emu.now(),
    customer: null,
    description: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    metadata: {},
    next_action: null,
    payment_method: null,
    payment_method_types: ["card"],
    status: "requires_payment_method",
    usage: "off_session",
    ...fields,
  };
  if (si.payment_method) si.status = "requires_confirmation";
  const stored = emu.store.put(scope, si) as StoredSetupIntent;
  emu.emit(scope, "setup_intent.created", stored);
  return stored;
}

/**
 * Confirms a setup intent: a declining card fails (`setup_intent.setup_failed`), a card that needs
 * 3-D Secure goes to `requires_action` (hosted page) unless `authenticated`; success attaches the card.
 */
export function confirmSetupIntent(
  emu: Emulator,
  scope: Scope,
  si: StoredSetupIntent,
  options: { authenticated?: boolean; returnUrl?: string | null; actionUrl?: string } = {},
): StripeApiError | null {
  const pmId = idOf(si.payment_method);
  const customer = typeof si.customer === "string" ? si.customer : null;
  const behaviour = emu.store.state.cards[pmId] ?? "success";
  const outcome = paymentOutcome(emu, scope, pmId, null);
  si.next_action = null;
  if (behaviour === "authentication_required" && !options.authenticated) {
    si.status = "requires_action";
    si.next_action = {
      type: "redirect_to_url",
      redirect_to_url: {
        url: options.actionUrl ?? `${emu.baseUrl}/hosted/3ds/${si.id}`,
        return_url: options.returnUrl ?? null,
      },
    };
    emu.store.put(scope, si);
    emu.emit(scope, "setup_intent.requires_action", si);
    return null;
  }
  if (behaviour === "decline" && typeof outcome !== "string") {
    si.status = "requires_payment_method";
    si.last_setup_error = {
      type: "card_error",
      code: outcome.code,
      decline_code: outcome.declineCode,
      message: outcome.message,
      payment_method: clone(emu.store.get(scope, pmId)) as unknown as Stripe.PaymentMethod,
    };
    emu.store.put(scope, si);
    emu.emit(scope, "setup_intent.setup_failed", si);
    const error = cardError(outcome.message, outcome.code, undefined, outcome.declineCode);
    return new StripeApiError(402, { ...error.body, setup_intent: clone(si) });
  }
  if (customer) attachPaymentMethod(emu, scope, resolvePaymentMethod(emu, scope, pmId), customer);
  si.status = "succeeded";
  si.last_setup_error = null;
  emu.store.put(scope, si);
  emu.emit(scope, "setup_intent.succeeded", si);
  return null;
}

function create(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const customer = params.str("customer");
  if (customer) getCustomer(emu, scope, customer);
  const pm = params.str("payment_method");
  const si = newSetupIntent(emu, scope, {
    customer: customer ?? null,
    description: params.str("description") ?? null,
    metadata: params.metadata() ?? {},
    payment_method: pm ? resolvePaymentMethod(emu, scope, pm).id : null,
    usage: params.enum("usage", ["off_session", "on_session"] as const) ?? "off_session",
  });
  if (params.bool("confirm")) {
    if (!si.payment_method)
      throw badState("You cannot confirm this SetupIntent because it's missing a payment method.");
    const error = confirmSetupIntent(emu, scope, si, { returnUrl: params.str("return_url") ?? null });
    if (error) throw error;
  }
  return si;
}

function confirm(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const si = getSetupIntent(emu, scope, arg(ctx));
  if (!["requires_payment_method", "requires_confirmation", "requires_action"].includes(si.status))
    throw badState(
      `You cannot confirm this SetupIntent because it has a status of ${si.status}.`,
      "setup_intent_unexpected_state",
    );
  const pm = params.str("payment_method");
  if (pm) si.payment_method = resolvePaymentMethod(emu, scope, pm).id;
  if (!si.payment_method) throw badState("You cannot confirm this SetupIntent because it's missing a payment method.");
  const error = confirmSetupIntent(emu, scope, si, { returnUrl: params.str("return_url") ?? null });
  if (error) throw error;
  return si;
}

function cancel(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const si = getSetupIntent(emu, scope, arg(ctx));
  if (si.status === "succeeded" || si.status === "canceled")
    throw badState(
      `You cannot cancel this SetupIntent because it has a status of ${si.status}.`,
      "setup_intent_unexpected_state",
    );
  si.status = "canceled";
  si.cancellation_reason =
    params.enum("cancellation_reason", ["abandoned", "duplicate", "requested_by_customer"] as const) ?? null;
  emu.store.put(scope, si);
  emu.emit(scope, "setup_intent.canceled", si);
  return si;
}

function list(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "setup_intent");
  const customer = ctx.params.str("customer");
  if (customer) items = items.filter((s) => s.customer === customer);
  return paginate(items, ctx.params, "/v1/setup_intents", "setup_intent");
}

export const setupIntentRoutes: Route[] = [
  route(
    "POST",
    "/v1/setup_intents",
    create,
    accepts<Stripe.SetupIntentCreateParams>(
      "customer",
      "description",
      "metadata",
      "payment_method",
      "usage",
      "confirm",
      "return_url",
      // Accepted and ignored: the emulator has card payment methods only.
      "automatic_payment_methods",
    ),
  ),
  route("GET", "/v1/setup_intents", list, [...PAGE, ...accepts<Stripe.SetupIntentListParams>("customer")]),
  route("GET", "/v1/setup_intents/:id", (ctx) => getSetupIntent(ctx.emu, ctx.scope, arg(ctx))),
  route(
    "POST",
    "/v1/setup_intents/:id/confirm",
    confirm,
    accepts<Stripe.SetupIntentConfirmParams>("payment_method", "return_url"),
  ),
  route("POST", "/v1/setup_intents/:id/cancel", cancel, accepts<Stripe.SetupIntentCancelParams>("cancellation_reason")),
];
