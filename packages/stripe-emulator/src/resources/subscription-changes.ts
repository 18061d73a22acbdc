import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import { clone, type Emulator } from "../emulator";
import { badState, invalidParam, missingParam } from "../errors";
import { newId } from "../ids";
import { filterCreated, paginate } from "../list";
import type { Params } from "../params";
import type { Scope, StripeObject } from "../store";
import { createDraftInvoice, finalizeInvoice, payInvoice, type EmulatedInvoiceItem } from "./invoices";
import { resolvePaymentMethod } from "./payment-methods";
import { getPrice } from "./products";
import {
  cancelSubscriptionNow,
  create,
  endTrial,
  getSubscription,
  invoicePeriod,
  nextPeriodEnd,
  periodOf,
  saveSubscription,
  setPeriod,
  type EmulatedSubscriptionItem,
  type StoredSubscription,
} from "./subscriptions";

/** Subscription changes: updates with proration, cancellation, pause and resume. */

const FEEDBACK = [
  "customer_service",
  "low_quality",
  "missing_features",
  "other",
  "switched_service",
  "too_complex",
  "too_expensive",
  "unused",
] as const;

/** `cancellation_details[comment|feedback]` on update and cancel. */
function readCancellationDetails(params: Params, sub: StoredSubscription) {
  const details = params.obj("cancellation_details");
  if (!details) return;
  const current = sub.cancellation_details ?? { comment: null, feedback: null, feedback_option: null, reason: null };
  sub.cancellation_details = {
    ...current,
    ...(details.has("comment") ? { comment: details.str("comment") || null } : {}),
    ...(details.has("feedback") ? { feedback: details.enum("feedback", FEEDBACK) ?? null } : {}),
  };
}

/** Proration rule: the unused share of the period, by seconds, credited at the old amount and charged at the new one. */
function prorate(
  emu: Emulator,
  scope: Scope,
  sub: StoredSubscription,
  item: EmulatedSubscriptionItem,
  newPrice: Stripe.Price,
  newQuantity: number,
) {
  const now = emu.now();
  const { start, end } = periodOf(sub);
  if (end <= now || sub.status === "trialing") return [];
  const fraction = (end - now) / (end - start);
  const made: Array<EmulatedInvoiceItem & StripeObject> = [];
  const add = (amount: number, description: string) => {
    const ii: EmulatedInvoiceItem = {
      id: newId("ii"),
      object: "invoiceitem",
      amount,
      currency: sub.currency,
      customer: sub.customer,
      date: now,
      description,
      invoice: null,
      livemode: false,
      metadata: {},
      period: { start: now, end },
      proration: true,
      quantity: 1,
      subscription: sub.id,
    };
    const stored = emu.store.put(scope, ii);
    emu.emit(scope, "invoiceitem.created", stored);
    made.push(stored);
  };
  const oldAmount = (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
  const newAmount = (newPrice.unit_amount ?? 0) * newQuantity;
  add(-Math.round(oldAmount * fraction), `Unused time on ${item.quantity ?? 1} × ${item.price.id}`);
  add(Math.round(newAmount * fraction), `Remaining time on ${newQuantity} × ${newPrice.id}`);
  return made;
}

function update(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const sub = getSubscription(emu, scope, arg(ctx));
  if (sub.status === "canceled" || sub.status === "incomplete_expired")
    throw badState(`A canceled subscription can only update its cancellation_details and metadata.`);
  const before = clone(sub);
  const now = emu.now();
  const proration =
    params.enum("proration_behavior", ["always_invoice", "create_prorations", "none"] as const) ?? "create_prorations";
  let prorated = false;
  for (const input of params.objArray("items") ?? []) {
    const itemId = input.str("id");
    const existing = itemId ? sub.items.data.find((i) => i.id === itemId) : undefined;
    if (itemId && !existing) throw invalidParam("items[id]", `No such subscription item: '${itemId}'`);
    if (existing && input.bool("deleted")) {
      sub.items.data = sub.items.data.filter((i) => i !== existing);
      continue;
    }
    const priceId = input.str("price");
    const price = priceId
      ? (clone(getPrice(emu, scope, priceId, "items[price]")) as unknown as Stripe.Price)
      : existing?.price;
    if (!price) throw missingParam("items[price]");
    const quantity = input.int("quantity", { min: 0 }) ?? existing?.quantity ?? 1;
    if (existing) {
      if (proration !== "none" && (existing.price.id !== price.id || existing.quantity !== quantity))
        prorated = prorate(emu, scope, sub, existing, price, quantity).length > 0 || prorated;
      existing.price = price;
      existing.quantity = quantity;
    } else {
      const { start, end } = periodOf(sub);
      sub.items.data.push({
        id: newId("si"),
        object: "subscription_item",
        created: now,
        current_period_start: start,
        current_period_end: end,
        discounts: [],
        metadata: {},
        price,
        quantity,
        subscription: sub.id,
        tax_rates: [],
      });
    }
  }
  if (params.has("cancel_at_period_end")) {
    const atEnd = params.bool("cancel_at_period_end") ?? false;
    sub.cancel_at_period_end = atEnd;
    sub.cancel_at = atEnd ? periodOf(sub).end : null;
    sub.canceled_at = atEnd ? now : null;
    sub.cancellation_details = {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: atEnd ? "cancellation_requested" : null,
    };
  }
  if (params.has("cancel_at")) {
    const at = params.timestamp("cancel_at");
    sub.cancel_at = typeof at === "number" ? at : null;
    sub.canceled_at = typeof at === "number" ? now : null;
  }
  const tax = params.obj("automatic_tax");
  if (tax) sub.automatic_tax = { ...sub.automatic_tax, enabled: tax.bool("enabled") ?? false };
  if (params.has("pause_collection")) {
    const pause = params.obj("pause_collection");
    sub.pause_collection = pause
      ? {
          behavior:
            pause.enum("behavior", ["keep_as_draft", "mark_uncollectible", "void"] as const) ??
            (() => {
              throw missingParam("pause_collection[behavior]");
            })(),
          resumes_at: (pause.timestamp("resumes_at") as number | undefined) ?? null,
        }
      : null;
  }
  const pm = params.str("default_payment_method");
  if (params.has("default_payment_method"))
    sub.default_payment_method = pm ? resolvePaymentMethod(emu, scope, pm, "default_payment_method").id : null;
  const metadata = params.metadata(sub.metadata);
  if (metadata) sub.metadata = metadata;
  if (params.has("description")) sub.description = params.str("description") || null;
  readCancellationDetails(params, sub);
  const trialEnd = params.timestamp("trial_end", true);
  saveSubscription(emu, scope, sub, before);
  if (trialEnd === "now" && sub.status === "trialing") endTrial(emu, scope, sub);
  if (prorated && proration === "always_invoice") {
    // Bill the prorations now, on their own invoice.
    const invoice = createDraftInvoice(emu, scope, {
      customer: sub.customer,
      currency: sub.currency,
      subscription: sub.id,
      billingReason: "subscription_update",
      period: { start: now, end: now },
      lines: [],
      defaultPaymentMethod: typeof sub.default_payment_method === "string" ? sub.default_payment_method : null,
    });
    finalizeInvoice(emu, scope, invoice);
    payInvoice(emu, scope, invoice);
    sub.latest_invoice = invoice.id;
    emu.store.put(scope, sub);
  }
  return getSubscription(emu, scope, sub.id);
}

function cancel(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const sub = getSubscription(emu, scope, arg(ctx));
  if (sub.status === "canceled") throw badState(`This subscription has already been canceled.`);
  readCancellationDetails(params, sub);
  cancelSubscriptionNow(emu, scope, sub, "cancellation_requested");
  return sub;
}

function resume(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const sub = getSubscription(emu, scope, arg(ctx));
  if (params.obj("billing_cycle_anchor")?.enum("type", ["now", "unchanged"] as const) === "unchanged")
    throw invalidParam(
      "billing_cycle_anchor[type]",
      "The Stripe emulator resumes with billing_cycle_anchor[type]=now only.",
    );
  if (sub.status !== "paused")
    throw badState("Subscription is not paused, so it cannot be resumed.", "subscription_not_paused");
  const before = clone(sub);
  const now = emu.now();
  const end = nextPeriodEnd(sub, now);
  setPeriod(sub, now, end);
  sub.billing_cycle_anchor = now;
  sub.status = "active";
  saveSubscription(emu, scope, sub, before, "customer.subscription.resumed");
  invoicePeriod(emu, scope, sub, "subscription_cycle", { start: now, end });
  return getSubscription(emu, scope, sub.id);
}

function list(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  let items = emu.store.all(scope, "subscription") as StoredSubscription[];
  const customer = params.str("customer");
  const status = params.str("status");
  const price = params.str("price");
  if (customer) items = items.filter((s) => s.customer === customer);
  if (status && status !== "all") items = items.filter((s) => s.status === status);
  else if (!status) items = items.filter((s) => s.status !== "canceled" && s.status !== "incomplete_expired");
  if (price) items = items.filter((s) => s.items.data.some((i) => i.price.id === price));
  return paginate(filterCreated(items, params), params, "/v1/subscriptions", "subscription");
}

export const subscriptionRoutes: Route[] = [
  route(
    "POST",
    "/v1/subscriptions",
    create,
    accepts<Stripe.SubscriptionCreateParams>(
      "customer",
      "items",
      "default_payment_method",
      "trial_period_days",
      "trial_end",
      "trial_settings",
      "application_fee_percent",
      "automatic_tax",
      "cancel_at_period_end",
      "payment_behavior",
      "metadata",
      "description",
      // Accepted and ignored: on create, prorations only matter for backdating, which the emulator has not.
      "proration_behavior",
    ),
  ),
  route("GET", "/v1/subscriptions", list, [
    ...PAGE,
    ...accepts<Stripe.SubscriptionListParams>("customer", "status", "price", "created"),
  ]),
  route("GET", "/v1/subscriptions/:id", (ctx) => getSubscription(ctx.emu, ctx.scope, arg(ctx))),
  route(
    "POST",
    "/v1/subscriptions/:id",
    update,
    accepts<Stripe.SubscriptionUpdateParams>(
      "automatic_tax",
      "items",
      "proration_behavior",
      "cancel_at_period_end",
      "cancel_at",
      "cancellation_details",
      "pause_collection",
      "default_payment_method",
      "metadata",
      "description",
      "trial_end",
    ),
  ),
  route("DELETE", "/v1/subscriptions/:id", cancel, accepts<Stripe.SubscriptionCancelParams>("cancellation_details")),
  route(
    "POST",
    "/v1/subscriptions/:id/resume",
    resume,
    accepts<Stripe.SubscriptionResumeParams>("billing_cycle_anchor"),
  ),
];
