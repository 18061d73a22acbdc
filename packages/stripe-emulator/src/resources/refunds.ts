import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import { badState, invalidParam, invalidRequest } from "../errors";
import { idOf, newId } from "../ids";
import { paginate } from "../list";
import type { StripeObject } from "../store";
import type { StoredCharge } from "./charges";
import { getPaymentIntent } from "./payment-intents";

export type EmulatedRefund = Pick<
  Stripe.Refund,
  "id" | "object" | "amount" | "charge" | "created" | "currency" | "metadata" | "payment_intent" | "reason" | "status"
>;

function create(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const piId = params.str("payment_intent");
  let chargeId = params.str("charge");
  if (!piId && !chargeId)
    throw invalidRequest(
      "One of the following params should be provided for this request: payment_intent or charge.",
      "payment_intent",
      "parameter_missing",
    );
  if (piId) {
    const pi = getPaymentIntent(emu, scope, piId, "payment_intent");
    if (pi.status !== "succeeded")
      throw badState(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
        "charge_not_refundable",
      );
    chargeId = idOf(pi.latest_charge);
  }
  const charge = emu.find(scope, String(chargeId), "charge", "charge", "charge") as StoredCharge;
  if (!charge.captured) throw badState(`Charge ${charge.id} has not been captured.`, "charge_not_refundable");
  const remaining = charge.amount_captured - (charge.amount_refunded - (charge.amount - charge.amount_captured));
  if (remaining <= 0) throw badState(`Charge ${charge.id} has already been refunded.`, "charge_already_refunded");
  const amount = params.int("amount", { min: 1 }) ?? remaining;
  if (amount > remaining)
    throw invalidParam(
      "amount",
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
    );
  const refund: EmulatedRefund = {
    id: newId("re"),
    object: "refund",
    amount,
    charge: charge.id,
    created: emu.now(),
    currency: charge.currency,
    metadata: params.metadata() ?? {},
    payment_intent: typeof charge.payment_intent === "string" ? charge.payment_intent : null,
    reason: params.enum("reason", ["duplicate", "fraudulent", "requested_by_customer"] as const) ?? null,
    status: "succeeded",
  };
  const stored = emu.store.put(scope, refund) as EmulatedRefund & StripeObject;
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded >= charge.amount;
  emu.store.put(scope, charge);
  emu.emit(scope, "refund.created", stored);
  emu.emit(scope, "charge.refunded", charge, previous);
  return stored;
}

function list(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "refund");
  const pi = ctx.params.str("payment_intent");
  const charge = ctx.params.str("charge");
  if (pi) items = items.filter((r) => r.payment_intent === pi);
  if (charge) items = items.filter((r) => r.charge === charge);
  return paginate(items, ctx.params, "/v1/refunds", "refund");
}

export const refundRoutes: Route[] = [
  route(
    "POST",
    "/v1/refunds",
    create,
    accepts<Stripe.RefundCreateParams>("payment_intent", "charge", "amount", "metadata", "reason"),
  ),
  route("GET", "/v1/refunds", list, [...PAGE, ...accepts<Stripe.RefundListParams>("payment_intent", "charge")]),
  route("GET", "/v1/refunds/:id", (ctx) => ctx.emu.find(ctx.scope, arg(ctx), "refund")),
];
