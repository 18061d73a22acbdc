import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import { DECLINES, type Decline } from "../cards";
import { clone, type Emulator } from "../emulator";
import { badState, invalidParam, invalidRequest, StripeApiError } from "../errors";
import { idOf, newId, randomToken } from "../ids";
import { filterCreated, paginate } from "../list";
import type { Params } from "../params";
import { PLATFORM, type Scope, type StripeObject } from "../store";
import { createCharge, takeApplicationFee, type StoredCharge } from "./charges";
import { getAccount } from "./accounts";
import { getCustomer } from "./customers";
import { resolvePaymentMethod } from "./payment-methods";

export type EmulatedPaymentIntent = Pick<
  Stripe.PaymentIntent,
  | "id"
  | "object"
  | "amount"
  | "amount_capturable"
  | "amount_received"
  | "application_fee_amount"
  | "canceled_at"
  | "cancellation_reason"
  | "capture_method"
  | "client_secret"
  | "confirmation_method"
  | "created"
  | "currency"
  | "customer"
  | "description"
  | "last_payment_error"
  | "latest_charge"
  | "livemode"
  | "metadata"
  | "next_action"
  | "on_behalf_of"
  | "payment_method"
  | "payment_method_types"
  | "receipt_email"
  | "setup_future_usage"
  | "status"
  | "transfer_data"
>;
export type StoredPaymentIntent = EmulatedPaymentIntent & StripeObject;

/** What happens to a payment attempt: the card's behaviour, unless a test control fails it first. */
export function paymentOutcome(
  emu: Emulator,
  scope: Scope,
  paymentMethod: string,
  customer: string | null,
): "success" | "authentication_required" | Decline {
  const key = `${scope}/${customer ?? ""}`;
  const forced = emu.store.state.failNext[key];
  if (customer && forced && forced > 0) {
    if (forced === 1) delete emu.store.state.failNext[key];
    else emu.store.state.failNext[key] = forced - 1;
    return DECLINES.decline;
  }
  const behaviour = emu.store.state.cards[paymentMethod] ?? "success";
  if (behaviour === "success" || behaviour === "authentication_required") return behaviour;
  return DECLINES[behaviour];
}

export interface AttemptOptions {
  /** The customer is not present: a card that needs 3-D Secure fails with `authentication_required`. */
  offSession?: boolean;
  /** The customer just completed 3-D Secure on the hosted page. */
  authenticated?: boolean;
  returnUrl?: string | null;
  /** Where the 3-D Secure step sends the customer (default: the hosted page for this payment intent). */
  actionUrl?: string;
}

export function getPaymentIntent(emu: Emulator, scope: Scope, id: string, param = "id"): StoredPaymentIntent {
  return emu.find(scope, id, "payment_intent", "payment_intent", param) as StoredPaymentIntent;
}

/** Tries to pay with the intent's payment method; returns the decline when the card is declined. */
export function attemptPayment(
  emu: Emulator,
  scope: Scope,
  pi: StoredPaymentIntent,
  options: AttemptOptions = {},
): Decline | null {
  const pmId = typeof pi.payment_method === "string" ? pi.payment_method : pi.payment_method?.id;
  if (!pmId)
    throw invalidParam(
      "payment_method",
      "You cannot confirm this PaymentIntent because it's missing a payment method.",
    );
  const customer = typeof pi.customer === "string" ? pi.customer : null;
  let outcome = paymentOutcome(emu, scope, pmId, customer);
  if (outcome === "authentication_required" && options.authenticated) outcome = "success";
  if (outcome === "authentication_required" && options.offSession) outcome = DECLINES.authentication_required;
  pi.next_action = null;
  if (outcome === "authentication_required") {
    pi.status = "requires_action";
    pi.next_action = {
      type: "redirect_to_url",
      redirect_to_url: {
        url: options.actionUrl ?? `${emu.baseUrl}/hosted/3ds/${pi.id}`,
        return_url: options.returnUrl ?? null,
      },
    };
    emu.store.put(scope, pi);
    emu.emit(scope, "payment_intent.requires_action", pi);
    return null;
  }
  const fields = {
    amount: pi.amount,
    currency: pi.currency,
    customer,
    description: pi.description,
    metadata: pi.metadata,
    payment_intent: pi.id,
    payment_method: pmId,
    application_fee_amount: null,
    transfer_data: pi.transfer_data?.destination
      ? { amount: pi.transfer_data.amount ?? null, destination: idOf(pi.transfer_data.destination) }
      : null,
  };
  if (outcome !== "success") {
    const charge = createCharge(emu, scope, fields, { failureCode: outcome.code, failureMessage: outcome.message });
    pi.status = "requires_payment_method";
    pi.latest_charge = charge.id;
    pi.last_payment_error = {
      type: "card_error",
      code: outcome.code,
      decline_code: outcome.declineCode,
      message: outcome.message,
      charge: charge.id,
      payment_method: clone(emu.store.get(scope, pmId)) as unknown as Stripe.PaymentMethod,
    };
    emu.store.put(scope, pi);
    emu.emit(scope, "payment_intent.payment_failed", pi);
    return outcome;
  }
  const automatic = pi.capture_method !== "manual";
  const charge = createCharge(emu, scope, fields, { captured: automatic });
  pi.latest_charge = charge.id;
  pi.last_payment_error = null;
  if (automatic) {
    pi.status = "succeeded";
    pi.amount_received = pi.amount;
    if (pi.application_fee_amount) takeApplicationFee(emu, scope, charge, pi.application_fee_amount);
    emu.store.put(scope, pi);
    emu.emit(scope, "payment_intent.succeeded", pi);
  } else {
    pi.status = "requires_capture";
    pi.amount_capturable = pi.amount;
    emu.store.put(scope, pi);
    emu.emit(scope, "payment_intent.amount_capturable_updated", pi);
  }
  return null;
}

/** Confirms and turns a decline into Stripe's 402 card error carrying the payment intent. */
export function confirmOrThrow(emu: Emulator, scope: Scope, pi: StoredPaymentIntent, options: AttemptOptions) {
  const decline = attemptPayment(emu, scope, pi, options);
  if (decline) {
    throw new StripeApiError(402, {
      type: "card_error",
      code: decline.code,
      decline_code: decline.declineCode,
      message: decline.message,
      charge: typeof pi.latest_charge === "string" ? pi.latest_charge : undefined,
      payment_intent: clone(pi),
    });
  }
}

export function newPaymentIntent(
  emu: Emulator,
  scope: Scope,
  fields: Partial<EmulatedPaymentIntent> & Pick<EmulatedPaymentIntent, "amount" | "currency">,
): StoredPaymentIntent {
  const id = newId("pi");
  const pi: EmulatedPaymentIntent = {
    id,
    object: "payment_intent",
    amount_capturable: 0,
    amount_received: 0,
    application_fee_amount: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: "automatic_async",
    client_secret: `${id}_secret_${randomToken(24)}`,
    confirmation_method: "automatic",
    created: emu.now(),
    customer: null,
    description: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_types: ["card"],
    receipt_email: null,
    setup_future_usage: null,
    status: "requires_payment_method",
    transfer_data: null,
    ...fields,
  };
  if (pi.payment_method && pi.status === "requires_payment_method") pi.status = "requires_confirmation";
  const stored = emu.store.put(scope, pi) as StoredPaymentIntent;
  emu.emit(scope, "payment_intent.created", stored);
  return stored;
}

function readFee(params: Params, scope: Scope, amount: number): number | null {
  const fee = params.int("application_fee_amount", { min: 0 });
  if (fee === undefined) return null;
  if (scope === PLATFORM && !params.obj("transfer_data"))
    throw invalidParam(
      "application_fee_amount",
      "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).",
    );
  if (fee > amount)
    throw invalidParam("application_fee_amount", "The application fee cannot be greater than the amount.");
  return fee;
}

function create(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const amount = params.reqInt("amount", { min: 1, max: 99_999_999 });
  const currency = params.reqStr("currency").toLowerCase();
  const customer = params.str("customer");
  if (customer) getCustomer(emu, scope, customer);
  const pmParam = params.str("payment_method");
  const pm = pmParam ? resolvePaymentMethod(emu, scope, pmParam) : undefined;
  const transfer = params.obj("transfer_data");
  const destination = transfer?.reqStr("destination");
  if (transfer && scope !== PLATFORM)
    throw invalidParam(
      "transfer_data",
      "Destination charges are made on the platform, without a Stripe-Account header.",
    );
  if (destination) getAccount(emu, destination, "transfer_data[destination]");
  const transferAmount = transfer?.int("amount", { min: 1 });
  if (transferAmount !== undefined && params.has("application_fee_amount"))
    throw invalidRequest(
      "You may only specify one of these parameters: application_fee_amount, transfer_data[amount].",
    );
  if (transferAmount !== undefined && transferAmount > amount)
    throw invalidParam("transfer_data[amount]", "The transfer amount cannot be greater than the amount.");
  const pi = newPaymentIntent(emu, scope, {
    amount,
    currency,
    customer: customer ?? null,
    description: params.str("description") ?? null,
    metadata: params.metadata() ?? {},
    payment_method: pm?.id ?? null,
    capture_method:
      params.enum("capture_method", ["automatic", "automatic_async", "manual"] as const) ?? "automatic_async",
    application_fee_amount: readFee(params, scope, amount),
    receipt_email: params.str("receipt_email") ?? null,
    setup_future_usage: params.enum("setup_future_usage", ["off_session", "on_session"] as const) ?? null,
    transfer_data: destination
      ? { destination, ...(transferAmount !== undefined ? { amount: transferAmount } : {}) }
      : null,
  });
  if (params.bool("confirm")) {
    const offSession = params.bool("off_session") ?? false;
    confirmOrThrow(emu, scope, pi, { offSession, returnUrl: params.str("return_url") ?? null });
  }
  return pi;
}

function update(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const pi = getPaymentIntent(emu, scope, arg(ctx));
  if (pi.status === "succeeded" || pi.status === "canceled")
    throw badState(
      `This PaymentIntent's status is ${pi.status}, so it cannot be updated.`,
      "payment_intent_unexpected_state",
    );
  const previous: Record<string, unknown> = {};
  const amount = params.int("amount", { min: 1 });
  if (amount !== undefined) {
    previous.amount = pi.amount;
    pi.amount = amount;
  }
  const metadata = params.metadata(pi.metadata);
  if (metadata) {
    previous.metadata = pi.metadata;
    pi.metadata = metadata;
  }
  const pm = params.str("payment_method");
  if (pm) pi.payment_method = resolvePaymentMethod(emu, scope, pm).id;
  if (params.has("description")) pi.description = params.str("description") || null;
  emu.store.put(scope, pi);
  return pi;
}

function confirm(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const pi = getPaymentIntent(emu, scope, arg(ctx));
  if (!["requires_payment_method", "requires_confirmation", "requires_action"].includes(pi.status))
    throw badState(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`,
      "payment_intent_unexpected_state",
    );
  const pm = params.str("payment_method");
  if (pm) pi.payment_method = resolvePaymentMethod(emu, scope, pm).id;
  confirmOrThrow(emu, scope, pi, {
    offSession: params.bool("off_session") ?? false,
    returnUrl: params.str("return_url") ?? null,
  });
  return pi;
}

function capture(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const pi = getPaymentIntent(emu, scope, arg(ctx));
  if (pi.status !== "requires_capture")
    throw badState(
      `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      "payment_intent_unexpected_state",
    );
  const amount = params.int("amount_to_capture", { min: 1 }) ?? pi.amount_capturable;
  if (amount > pi.amount_capturable)
    throw invalidParam("amount_to_capture", "The amount to capture cannot exceed the capturable amount.");
  const fee = params.int("application_fee_amount", { min: 0 }) ?? pi.application_fee_amount;
  const charge = emu.find(scope, idOf(pi.latest_charge), "charge") as StoredCharge;
  charge.captured = true;
  charge.amount_captured = amount;
  charge.amount_refunded = charge.amount - amount;
  emu.store.put(scope, charge);
  emu.emit(scope, "charge.captured", charge);
  pi.status = "succeeded";
  pi.amount_received = amount;
  pi.amount_capturable = 0;
  pi.application_fee_amount = fee;
  if (fee) takeApplicationFee(emu, scope, charge, fee);
  emu.store.put(scope, pi);
  emu.emit(scope, "payment_intent.succeeded", pi);
  return pi;
}

export function cancelPaymentIntent(
  emu: Emulator,
  scope: Scope,
  pi: StoredPaymentIntent,
  reason: Stripe.PaymentIntent.CancellationReason | null,
) {
  if (pi.status === "succeeded" || pi.status === "canceled" || pi.status === "processing")
    throw badState(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      "payment_intent_unexpected_state",
    );
  if (pi.status === "requires_capture" && pi.latest_charge) {
    const charge = emu.find(scope, idOf(pi.latest_charge), "charge") as StoredCharge;
    charge.refunded = true;
    charge.amount_refunded = charge.amount;
    emu.store.put(scope, charge);
  }
  pi.status = "canceled";
  pi.amount_capturable = 0;
  pi.next_action = null;
  pi.canceled_at = emu.now();
  pi.cancellation_reason = reason;
  emu.store.put(scope, pi);
  emu.emit(scope, "payment_intent.canceled", pi);
  return pi;
}

function list(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "payment_intent");
  const customer = ctx.params.str("customer");
  if (customer) items = items.filter((p) => p.customer === customer);
  return paginate(filterCreated(items, ctx.params), ctx.params, "/v1/payment_intents", "payment_intent");
}

const REASONS = ["abandoned", "duplicate", "fraudulent", "requested_by_customer"] as const;

export const paymentIntentRoutes: Route[] = [
  route(
    "POST",
    "/v1/payment_intents",
    create,
    accepts<Stripe.PaymentIntentCreateParams>(
      "amount",
      "currency",
      "customer",
      "description",
      "metadata",
      "payment_method",
      "capture_method",
      "application_fee_amount",
      "receipt_email",
      "setup_future_usage",
      "transfer_data",
      "confirm",
      "off_session",
      "return_url",
      // Accepted and ignored: the emulator has card payment methods only and no statements.
      "automatic_payment_methods",
      "statement_descriptor",
      "statement_descriptor_suffix",
    ),
  ),
  route("GET", "/v1/payment_intents", list, [
    ...PAGE,
    ...accepts<Stripe.PaymentIntentListParams>("customer", "created"),
  ]),
  route("GET", "/v1/payment_intents/:id", (ctx) => getPaymentIntent(ctx.emu, ctx.scope, arg(ctx))),
  route(
    "POST",
    "/v1/payment_intents/:id",
    update,
    accepts<Stripe.PaymentIntentUpdateParams>("amount", "metadata", "payment_method", "description"),
  ),
  route(
    "POST",
    "/v1/payment_intents/:id/confirm",
    confirm,
    accepts<Stripe.PaymentIntentConfirmParams>("payment_method", "off_session", "return_url"),
  ),
  route(
    "POST",
    "/v1/payment_intents/:id/capture",
    capture,
    accepts<Stripe.PaymentIntentCaptureParams>("amount_to_capture", "application_fee_amount"),
  ),
  route(
    "POST",
    "/v1/payment_intents/:id/cancel",
    (ctx) =>
      cancelPaymentIntent(
        ctx.emu,
        ctx.scope,
        getPaymentIntent(ctx.emu, ctx.scope, arg(ctx)),
        ctx.params.enum("cancellation_reason", REASONS) ?? null,
      ),
    accepts<Stripe.PaymentIntentCancelParams>("cancellation_reason"),
  ),
];
