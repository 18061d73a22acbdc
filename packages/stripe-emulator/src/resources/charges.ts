import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import type { Emulator } from "../emulator";
import { newId } from "../ids";
import { paginate } from "../list";
import { PLATFORM, type Scope, type StripeObject } from "../store";

export type EmulatedCharge = Pick<
  Stripe.Charge,
  | "id"
  | "object"
  | "amount"
  | "amount_captured"
  | "amount_refunded"
  | "application_fee"
  | "application_fee_amount"
  | "captured"
  | "created"
  | "currency"
  | "customer"
  | "description"
  | "failure_code"
  | "failure_message"
  | "livemode"
  | "metadata"
  | "paid"
  | "payment_intent"
  | "payment_method"
  | "refunded"
  | "status"
  | "transfer_data"
>;
export type StoredCharge = EmulatedCharge & StripeObject;

export type EmulatedApplicationFee = Pick<
  Stripe.ApplicationFee,
  | "id"
  | "object"
  | "account"
  | "amount"
  | "amount_refunded"
  | "charge"
  | "created"
  | "currency"
  | "livemode"
  | "originating_transaction"
  | "refunded"
>;

export function createCharge(
  emu: Emulator,
  scope: Scope,
  fields: Pick<
    EmulatedCharge,
    | "amount"
    | "currency"
    | "customer"
    | "description"
    | "metadata"
    | "payment_intent"
    | "payment_method"
    | "application_fee_amount"
    | "transfer_data"
  >,
  outcome: { captured: boolean } | { failureCode: string; failureMessage: string },
): StoredCharge {
  const failed = "failureCode" in outcome;
  const charge: EmulatedCharge = {
    id: newId("ch"),
    object: "charge",
    ...fields,
    amount_captured: !failed && outcome.captured ? fields.amount : 0,
    amount_refunded: 0,
    application_fee: null,
    captured: !failed && outcome.captured,
    created: emu.now(),
    failure_code: failed ? outcome.failureCode : null,
    failure_message: failed ? outcome.failureMessage : null,
    livemode: false,
    paid: !failed,
    refunded: false,
    status: failed ? "failed" : "succeeded",
  };
  const stored = emu.store.put(scope, charge) as StoredCharge;
  emu.emit(scope, failed ? "charge.failed" : "charge.succeeded", stored);
  return stored;
}

/**
 * The platform's fee on a captured charge — a direct charge on a connected account (`scope`), or a
 * destination charge on the platform (`transfer_data[destination]`): a `fee_…` object on the platform
 * (Stripe keeps application fees there), `application_fee.created` to the platform's endpoints.
 */
export function takeApplicationFee(emu: Emulator, scope: Scope, charge: StoredCharge, amount: number) {
  const destination = charge.transfer_data?.destination;
  const account = scope !== PLATFORM ? scope : typeof destination === "string" ? destination : destination?.id;
  if (amount <= 0 || !account) return;
  const fee: EmulatedApplicationFee = {
    id: newId("fee"),
    object: "application_fee",
    account,
    amount,
    amount_refunded: 0,
    charge: charge.id,
    created: emu.now(),
    currency: charge.currency,
    livemode: false,
    originating_transaction: null,
    refunded: false,
  };
  const stored = emu.store.put(PLATFORM, fee);
  charge.application_fee = fee.id;
  charge.application_fee_amount = amount;
  emu.store.put(scope, charge);
  emu.emit(PLATFORM, "application_fee.created", stored);
}

function listFees(ctx: ApiContext) {
  let items = ctx.emu.store.all(PLATFORM, "application_fee");
  const charge = ctx.params.str("charge");
  if (charge) items = items.filter((f) => f.charge === charge);
  return paginate(items, ctx.params, "/v1/application_fees", "application fee");
}

function listCharges(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "charge");
  const pi = ctx.params.str("payment_intent");
  const customer = ctx.params.str("customer");
  if (pi) items = items.filter((c) => c.payment_intent === pi);
  if (customer) items = items.filter((c) => c.customer === customer);
  return paginate(items, ctx.params, "/v1/charges", "charge");
}

export const chargeRoutes: Route[] = [
  route("GET", "/v1/charges", listCharges, [
    ...PAGE,
    ...accepts<Stripe.ChargeListParams>("payment_intent", "customer"),
  ]),
  route("GET", "/v1/charges/:id", (ctx) => ctx.emu.find(ctx.scope, arg(ctx), "charge")),
  route("GET", "/v1/application_fees", listFees, [...PAGE, ...accepts<Stripe.ApplicationFeeListParams>("charge")]),
  route("GET", "/v1/application_fees/:id", (ctx) =>
    ctx.emu.find(PLATFORM, arg(ctx), "application_fee", "application fee"),
  ),
];
