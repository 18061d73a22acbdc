import type Stripe from "stripe";
import type { ApiContext } from "../api";
import { addInterval, DAYS } from "../billing/periods";
import { clone, type Emulator } from "../emulator";
import { invalidParam, missingParam, StripeApiError } from "../errors";
import { newId } from "../ids";
import type { Params } from "../params";
import { PLATFORM, type Scope, type StripeObject } from "../store";
import { getCustomer } from "./customers";
import {
  createDraftInvoice,
  finalizeInvoice,
  invoiceHooks,
  invoicePaymentIntent,
  invoiceSubscription,
  payInvoice,
  voidInvoice,
  type LineInput,
  type StoredInvoice,
} from "./invoices";
import { resolvePaymentMethod } from "./payment-methods";
import { createPrice, getPrice, type StoredPrice } from "./products";

export type EmulatedSubscriptionItem = Pick<
  Stripe.SubscriptionItem,
  | "id"
  | "object"
  | "created"
  | "current_period_end"
  | "current_period_start"
  | "discounts"
  | "metadata"
  | "price"
  | "quantity"
  | "subscription"
  | "tax_rates"
>;

export type EmulatedSubscription = Pick<
  Stripe.Subscription,
  | "id"
  | "object"
  | "application_fee_percent"
  | "automatic_tax"
  | "billing_cycle_anchor"
  | "cancel_at"
  | "cancel_at_period_end"
  | "canceled_at"
  | "cancellation_details"
  | "collection_method"
  | "created"
  | "currency"
  | "customer"
  | "default_payment_method"
  | "description"
  | "discounts"
  | "ended_at"
  | "latest_invoice"
  | "livemode"
  | "metadata"
  | "pause_collection"
  | "start_date"
  | "status"
  | "test_clock"
  | "trial_end"
  | "trial_settings"
  | "trial_start"
> & { items: { object: "list"; data: EmulatedSubscriptionItem[]; has_more: boolean; url: string } };
export type StoredSubscription = EmulatedSubscription & StripeObject & { customer: string };

export function getSubscription(emu: Emulator, scope: Scope, id: string, param = "id"): StoredSubscription {
  return emu.find(scope, id, "subscription", "subscription", param) as StoredSubscription;
}

export function periodOf(sub: EmulatedSubscription): { start: number; end: number } {
  const item = sub.items.data[0];
  return { start: item?.current_period_start ?? sub.start_date, end: item?.current_period_end ?? sub.start_date };
}

export function setPeriod(sub: EmulatedSubscription, start: number, end: number) {
  for (const item of sub.items.data) {
    item.current_period_start = start;
    item.current_period_end = end;
  }
}

/** The period after `start` for the subscription's (first) price. */
export function nextPeriodEnd(sub: EmulatedSubscription, start: number): number {
  const recurring = sub.items.data[0]?.price.recurring;
  const interval = recurring?.interval;
  const unit: "day" | "week" | "month" | "year" =
    interval === "day" ? "day" : interval === "week" ? "week" : interval === "year" ? "year" : "month";
  return addInterval(start, unit, recurring?.interval_count ?? 1);
}

/** Saves and emits `customer.subscription.updated` with the fields that changed. */
export function saveSubscription(
  emu: Emulator,
  scope: Scope,
  sub: StoredSubscription,
  before: StoredSubscription,
  type = "customer.subscription.updated",
) {
  const previous: Record<string, unknown> = {};
  for (const key of Object.keys(sub)) {
    if (JSON.stringify(sub[key]) !== JSON.stringify(before[key])) previous[key] = before[key];
  }
  emu.store.put(scope, sub);
  if (Object.keys(previous).length || type !== "customer.subscription.updated") emu.emit(scope, type, sub, previous);
}

function lineFor(sub: EmulatedSubscription, period: { start: number; end: number }): LineInput[] {
  return sub.items.data.map((item) => ({
    amount: (item.price.unit_amount ?? 0) * (item.quantity ?? 1),
    description: `${item.quantity ?? 1} × ${item.price.nickname ?? item.price.id} (${new Date(period.start * 1000).toISOString().slice(0, 10)} – ${new Date(period.end * 1000).toISOString().slice(0, 10)})`,
    period,
    quantity: item.quantity ?? 1,
    subscription: sub.id,
  }));
}

/** Creates, finalises and (unless collection is paused) charges the invoice for a period. */
export function invoicePeriod(
  emu: Emulator,
  scope: Scope,
  sub: StoredSubscription,
  reason: Stripe.Invoice.BillingReason,
  period: { start: number; end: number },
  options: { zero?: boolean; attempt?: boolean } = {},
): StoredInvoice {
  const lines = options.zero
    ? lineFor(sub, period).map((l) => ({ ...l, amount: 0, description: `Trial period for ${l.description}` }))
    : lineFor(sub, period);
  const invoice = createDraftInvoice(emu, scope, {
    customer: sub.customer,
    currency: sub.currency,
    subscription: sub.id,
    billingReason: reason,
    period,
    lines,
    defaultPaymentMethod: typeof sub.default_payment_method === "string" ? sub.default_payment_method : null,
  });
  sub.latest_invoice = invoice.id;
  emu.store.put(scope, sub);
  const pause = sub.pause_collection?.behavior;
  if (pause === "keep_as_draft") return invoice;
  finalizeInvoice(emu, scope, invoice);
  if (pause === "void") {
    voidInvoice(emu, scope, invoice);
    return invoice;
  }
  if (pause === "mark_uncollectible") {
    invoice.status = "uncollectible";
    invoice.status_transitions = { ...invoice.status_transitions, marked_uncollectible_at: emu.now() };
    emu.store.put(scope, invoice);
    emu.emit(scope, "invoice.marked_uncollectible", invoice);
    return invoice;
  }
  if (options.attempt !== false) payInvoice(emu, scope, invoice);
  return invoice;
}

export function cancelSubscriptionNow(
  emu: Emulator,
  scope: Scope,
  sub: StoredSubscription,
  reason: Stripe.Subscription.CancellationDetails.Reason,
) {
  const before = clone(sub);
  const now = emu.now();
  sub.status = "canceled";
  sub.canceled_at ??= now;
  sub.ended_at = now;
  // The comment and feedback given with the cancel request (or an earlier update) stay, as on Stripe.
  sub.cancellation_details = {
    comment: sub.cancellation_details?.comment ?? null,
    feedback: sub.cancellation_details?.feedback ?? null,
    feedback_option: null,
    reason,
  };
  saveSubscription(emu, scope, sub, before, "customer.subscription.deleted");
}

// Invoice outcomes move the subscription: paid → active; failed → incomplete / past_due; final failure → rule.
invoiceHooks.onOutcome = (emu, scope, invoice, result) => {
  const subId = invoiceSubscription(invoice);
  if (!subId) return;
  const sub = emu.store.get(scope, subId, "subscription") as StoredSubscription | undefined;
  if (!sub || sub.status === "canceled" || sub.status === "incomplete_expired") return;
  const before = clone(sub);
  if (result === "paid") {
    if (["incomplete", "past_due", "unpaid"].includes(sub.status)) sub.status = "active";
  } else if (invoice.billing_reason === "subscription_create") {
    sub.status = "incomplete";
  } else if (invoice.next_payment_attempt === null && result === "failed") {
    const rule = emu.settings.afterFinalFailure;
    if (rule === "canceled") return cancelSubscriptionNow(emu, scope, sub, "payment_failed");
    sub.status = rule;
  } else {
    sub.status = "past_due";
  }
  saveSubscription(emu, scope, sub, before);
};

invoiceHooks.paymentMethodFor = (emu, scope, invoice) => {
  if (typeof invoice.default_payment_method === "string") return invoice.default_payment_method;
  const subId = invoiceSubscription(invoice);
  const sub = subId ? (emu.store.get(scope, subId, "subscription") as StoredSubscription | undefined) : undefined;
  if (typeof sub?.default_payment_method === "string") return sub.default_payment_method;
  const customer = getCustomer(emu, scope, invoice.customer);
  const pm = customer.invoice_settings.default_payment_method;
  return typeof pm === "string" ? pm : null;
};

function readItems(
  emu: Emulator,
  scope: Scope,
  params: Params,
  subId: string,
  now: number,
): EmulatedSubscriptionItem[] {
  const items = params.objArray("items");
  if (!items?.length) throw missingParam("items");
  return items.map((item) => {
    const priceData = item.obj("price_data");
    const price: StoredPrice = priceData
      ? createPrice(emu, scope, priceData)
      : getPrice(emu, scope, item.reqStr("price"), `${"items"}[price]`);
    if (!price.recurring)
      throw invalidParam(
        "items[price]",
        `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
      );
    return {
      id: newId("si"),
      object: "subscription_item",
      created: now,
      current_period_end: now,
      current_period_start: now,
      discounts: [],
      metadata: item.metadata() ?? {},
      price: clone(price) as unknown as Stripe.Price,
      quantity: item.int("quantity", { min: 0 }) ?? 1,
      subscription: subId,
      tax_rates: [],
    };
  });
}

/** Creates a subscription; with `error_if_incomplete`, a first payment that fails leaves nothing behind. */
export function create(ctx: ApiContext) {
  return ctx.emu.atomically(() => createSubscription(ctx));
}

function createSubscription(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const customer = getCustomer(emu, scope, params.reqStr("customer"));
  const now = emu.now();
  const id = newId("sub");
  const items = readItems(emu, scope, params, id, now);
  const currency = items[0]?.price.currency ?? "usd";
  if (items.some((i) => i.price.currency !== currency))
    throw invalidParam("items", "All prices on a subscription must have the same currency.");
  const pmParam = params.str("default_payment_method");
  const defaultPm = pmParam ? resolvePaymentMethod(emu, scope, pmParam, "default_payment_method").id : null;
  const trialDays = params.int("trial_period_days", { min: 0, max: 730 });
  const trialEndParam = params.timestamp("trial_end", true);
  let trialEnd: number | null = null;
  if (trialEndParam !== undefined && trialEndParam !== "now") {
    if (trialEndParam <= now)
      throw invalidParam("trial_end", "Invalid timestamp: must be an integer Unix timestamp in the future.");
    trialEnd = trialEndParam;
  } else if (trialDays) trialEnd = now + DAYS(trialDays);
  const fee = params.num("application_fee_percent");
  if (fee !== undefined && scope === PLATFORM)
    throw invalidParam(
      "application_fee_percent",
      "application_fee_percent requires the Stripe-Account header (a connected account).",
    );
  const missingPm = params
    .obj("trial_settings")
    ?.obj("end_behavior")
    ?.enum("missing_payment_method", ["cancel", "create_invoice", "pause"] as const);
  const sub: EmulatedSubscription = {
    id,
    object: "subscription",
    application_fee_percent: fee ?? null,
    // Stripe Tax: the setting is kept and echoed; the emulator computes no tax (README).
    automatic_tax: {
      disabled_reason: null,
      enabled: params.obj("automatic_tax")?.bool("enabled") ?? false,
      liability: null,
    },
    billing_cycle_anchor: trialEnd ?? now,
    cancel_at: null,
    cancel_at_period_end: params.bool("cancel_at_period_end") ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: "charge_automatically",
    created: now,
    currency,
    customer: customer.id,
    default_payment_method: defaultPm,
    description: params.str("description") ?? null,
    discounts: [],
    ended_at: null,
    items: { object: "list", data: items, has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    metadata: params.metadata() ?? {},
    pause_collection: null,
    start_date: now,
    status: trialEnd ? "trialing" : "incomplete",
    test_clock: null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: missingPm ?? "create_invoice" },
    },
    trial_start: trialEnd ? now : null,
  };
  const stored = emu.store.put(scope, sub) as StoredSubscription;
  if (stored.cancel_at_period_end) stored.canceled_at = now;
  const end = trialEnd ?? nextPeriodEnd(stored, now);
  setPeriod(stored, now, end);
  if (stored.cancel_at_period_end) stored.cancel_at = end;
  emu.emit(scope, "customer.subscription.created", stored);
  const behavior =
    params.enum("payment_behavior", [
      "allow_incomplete",
      "default_incomplete",
      "error_if_incomplete",
      "pending_if_incomplete",
    ] as const) ?? "allow_incomplete";
  const invoice = invoicePeriod(
    emu,
    scope,
    stored,
    "subscription_create",
    { start: now, end },
    { zero: trialEnd !== null, attempt: behavior !== "default_incomplete" },
  );
  if (behavior === "error_if_incomplete" && invoice.status !== "paid") {
    const pi = invoicePaymentIntent(emu, scope, invoice);
    const error = pi?.last_payment_error;
    throw new StripeApiError(402, {
      type: "card_error",
      code: error?.code ?? "subscription_payment_intent_requires_action",
      message:
        error?.message ??
        "Payment for this subscription requires additional user action before it can be completed successfully.",
      ...(error?.decline_code ? { decline_code: error.decline_code } : {}),
    });
  }
  if (invoice.status === "paid" && stored.status === "incomplete") {
    const before = clone(stored);
    stored.status = "active";
    saveSubscription(emu, scope, stored, before);
  }
  return getSubscription(emu, scope, id);
}

/** Trial over: bill the first paid period (or pause/cancel when there is no payment method and the settings say so). */
export function endTrial(emu: Emulator, scope: Scope, sub: StoredSubscription) {
  const before = clone(sub);
  const now = emu.now();
  const hasPm =
    invoiceHooks.paymentMethodFor(emu, scope, {
      default_payment_method: sub.default_payment_method,
      customer: sub.customer,
      parent: null,
    } as unknown as StoredInvoice) !== null;
  const behaviour = sub.trial_settings?.end_behavior.missing_payment_method;
  sub.trial_end = Math.min(sub.trial_end ?? now, now);
  if (!hasPm && behaviour === "cancel") return cancelSubscriptionNow(emu, scope, sub, "cancellation_requested");
  if (!hasPm && behaviour === "pause") {
    sub.status = "paused";
    saveSubscription(emu, scope, sub, before, "customer.subscription.paused");
    return;
  }
  const end = nextPeriodEnd(sub, now);
  setPeriod(sub, now, end);
  sub.billing_cycle_anchor = now;
  sub.status = "active";
  if (sub.cancel_at_period_end) sub.cancel_at = end;
  saveSubscription(emu, scope, sub, before);
  invoicePeriod(emu, scope, sub, "subscription_cycle", { start: now, end });
}
