import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import type { Emulator } from "../emulator";
import { badState, invalidRequest } from "../errors";
import { newId } from "../ids";
import { filterCreated, paginate } from "../list";
import type { Scope, StripeObject } from "../store";
import type { StoredCharge } from "./charges";

export type EmulatedDispute = Pick<
  Stripe.Dispute,
  | "id"
  | "object"
  | "amount"
  | "charge"
  | "created"
  | "currency"
  | "is_charge_refundable"
  | "livemode"
  | "metadata"
  | "payment_intent"
  | "reason"
  | "status"
>;
export type StoredDispute = EmulatedDispute & StripeObject;

export const DISPUTE_REASONS = [
  "bank_cannot_process",
  "credit_not_processed",
  "customer_initiated",
  "debit_not_authorized",
  "duplicate",
  "fraudulent",
  "general",
  "incorrect_account_details",
  "insufficient_funds",
  "product_not_received",
  "product_unacceptable",
  "subscription_canceled",
  "unrecognized",
] as const;

const OPEN: ReadonlyArray<Stripe.Dispute.Status> = [
  "warning_needs_response",
  "warning_under_review",
  "needs_response",
  "under_review",
];
const CLOSED: ReadonlyArray<Stripe.Dispute.Status> = ["won", "lost", "warning_closed"];
export const DISPUTE_STATUSES = [...OPEN, ...CLOSED] as const;

/**
 * The card holder's bank disputes a captured charge (test control; on Stripe the bank does this):
 * a `dp_…` object in the charge's account, `charge.dispute.created` (Stripe's shape: the dispute is
 * the event's object, `charge` its id).
 */
export function openDispute(
  emu: Emulator,
  scope: Scope,
  chargeId: string,
  options: { reason?: string; amount?: number } = {},
): StoredDispute {
  const charge = emu.find(scope, chargeId, "charge", "charge", "charge") as StoredCharge;
  if (!charge.captured) throw badState(`Charge ${charge.id} has not been captured.`);
  if (emu.store.all(scope, "dispute").some((d) => d.charge === charge.id))
    throw badState(`Charge ${charge.id} has already been disputed.`, "charge_disputed");
  const reason = options.reason ?? "fraudulent";
  if (!(DISPUTE_REASONS as readonly string[]).includes(reason))
    throw invalidRequest(`Invalid reason ${reason}`, "reason");
  const amount = options.amount ?? charge.amount_captured - charge.amount_refunded;
  if (!Number.isInteger(amount) || amount <= 0 || amount > charge.amount_captured)
    throw invalidRequest("amount must be a positive integer up to the captured amount", "amount");
  const dispute: EmulatedDispute = {
    id: newId("dp"),
    object: "dispute",
    amount,
    charge: charge.id,
    created: emu.now(),
    currency: charge.currency,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: typeof charge.payment_intent === "string" ? charge.payment_intent : null,
    reason,
    status: "needs_response",
  };
  const stored = emu.store.put(scope, dispute) as StoredDispute;
  emu.emit(scope, "charge.dispute.created", stored);
  return stored;
}

/** Moves a dispute to `status`: `charge.dispute.closed` when that closes it, else `charge.dispute.updated`. */
export function setDisputeStatus(emu: Emulator, scope: Scope, id: string, status: string): StoredDispute {
  const dispute = emu.find(scope, id, "dispute") as StoredDispute;
  if (!(DISPUTE_STATUSES as readonly string[]).includes(status))
    throw invalidRequest(`Invalid status ${status}`, "status");
  if ((CLOSED as readonly string[]).includes(dispute.status))
    throw badState(`This dispute is already closed (${dispute.status}).`);
  const previous = { status: dispute.status };
  dispute.status = status;
  emu.store.put(scope, dispute);
  emu.emit(
    scope,
    (CLOSED as readonly string[]).includes(status) ? "charge.dispute.closed" : "charge.dispute.updated",
    dispute,
    previous,
  );
  return dispute;
}

function list(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "dispute");
  const charge = ctx.params.str("charge");
  const pi = ctx.params.str("payment_intent");
  if (charge) items = items.filter((d) => d.charge === charge);
  if (pi) items = items.filter((d) => d.payment_intent === pi);
  return paginate(filterCreated(items, ctx.params), ctx.params, "/v1/disputes", "dispute");
}

export const disputeRoutes: Route[] = [
  route("GET", "/v1/disputes", list, [
    ...PAGE,
    ...accepts<Stripe.DisputeListParams>("charge", "payment_intent", "created"),
  ]),
  route("GET", "/v1/disputes/:id", (ctx) => ctx.emu.find(ctx.scope, arg(ctx), "dispute")),
  // Closing a dispute on Stripe accepts it: the merchant gives up, the dispute is lost.
  route("POST", "/v1/disputes/:id/close", (ctx) => setDisputeStatus(ctx.emu, ctx.scope, arg(ctx), "lost")),
];

/** The balance of an account, from its charges: captured minus refunded, disputed and application fees. */
function balance(ctx: ApiContext): StripeObject {
  const perCurrency = new Map<string, number>();
  for (const c of ctx.emu.store.all(ctx.scope, "charge") as StoredCharge[]) {
    if (!c.captured) continue;
    const net = c.amount_captured - c.amount_refunded - (c.application_fee_amount ?? 0);
    perCurrency.set(c.currency, (perCurrency.get(c.currency) ?? 0) + net);
  }
  for (const d of ctx.emu.store.all(ctx.scope, "dispute"))
    if (d.status !== "won" && d.status !== "warning_closed")
      perCurrency.set(String(d.currency), (perCurrency.get(String(d.currency)) ?? 0) - Number(d.amount));
  const amounts = [...perCurrency].map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
  return {
    id: "balance",
    object: "balance",
    available: amounts,
    pending: amounts.map((a) => ({ ...a, amount: 0, source_types: { card: 0 } })),
    livemode: false,
  };
}

export const balanceRoutes: Route[] = [route("GET", "/v1/balance", balance)];
