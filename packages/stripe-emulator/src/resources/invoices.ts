import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import { RETRY_SCHEDULE_DAYS, DAYS } from "../billing/periods";
import type { Emulator } from "../emulator";
import { badState, StripeApiError } from "../errors";
import { newId } from "../ids";
import { filterCreated, listOf, paginate } from "../list";
import type { Scope, StripeObject } from "../store";
import { getCustomer } from "./customers";
import { attemptPayment, getPaymentIntent, newPaymentIntent, type StoredPaymentIntent } from "./payment-intents";
import { resolvePaymentMethod } from "./payment-methods";

export type EmulatedInvoice = Pick<
  Stripe.Invoice,
  | "id"
  | "object"
  | "amount_due"
  | "amount_paid"
  | "amount_remaining"
  | "attempt_count"
  | "attempted"
  | "auto_advance"
  | "billing_reason"
  | "collection_method"
  | "created"
  | "currency"
  | "customer"
  | "customer_email"
  | "default_payment_method"
  | "description"
  | "due_date"
  | "effective_at"
  | "hosted_invoice_url"
  | "lines"
  | "livemode"
  | "metadata"
  | "next_payment_attempt"
  | "number"
  | "parent"
  | "period_end"
  | "period_start"
  | "status"
  | "status_transitions"
  | "subtotal"
  | "total"
>;
export type StoredInvoice = EmulatedInvoice & StripeObject & { customer: string };

export type EmulatedLine = Pick<
  Stripe.InvoiceLineItem,
  | "id"
  | "object"
  | "amount"
  | "currency"
  | "description"
  | "invoice"
  | "livemode"
  | "metadata"
  | "period"
  | "quantity"
  | "subscription"
  | "subtotal"
>;

export type EmulatedInvoiceItem = Pick<
  Stripe.InvoiceItem,
  | "id"
  | "object"
  | "amount"
  | "currency"
  | "customer"
  | "date"
  | "description"
  | "invoice"
  | "livemode"
  | "metadata"
  | "period"
  | "proration"
  | "quantity"
> & { subscription: string | null };

export type EmulatedInvoicePayment = Pick<
  Stripe.InvoicePayment,
  | "id"
  | "object"
  | "amount_paid"
  | "amount_requested"
  | "created"
  | "currency"
  | "invoice"
  | "is_default"
  | "livemode"
  | "payment"
  | "status"
  | "status_transitions"
>;

export interface LineInput {
  amount: number;
  description: string;
  period: { start: number; end: number };
  quantity: number | null;
  subscription: string | null;
}

/** Which subscription an invoice bills (API 2025+ keeps it under `parent.subscription_details`). */
export function invoiceSubscription(invoice: EmulatedInvoice): string | null {
  const sub = invoice.parent?.subscription_details?.subscription;
  return typeof sub === "string" ? sub : (sub?.id ?? null);
}

/** Creates a draft invoice (`invoice.created`) from lines plus the customer's pending invoice items. */
export function createDraftInvoice(
  emu: Emulator,
  scope: Scope,
  fields: {
    customer: string;
    currency: string;
    subscription: string | null;
    billingReason: Stripe.Invoice.BillingReason;
    period: { start: number; end: number };
    lines: LineInput[];
    defaultPaymentMethod?: string | null;
  },
): StoredInvoice {
  const id = newId("in");
  const customer = getCustomer(emu, scope, fields.customer);
  const pending = emu.store
    .all(scope, "invoiceitem")
    .filter(
      (ii) =>
        ii.invoice === null && ii.customer === fields.customer && (ii.subscription ?? null) === fields.subscription,
    );
  const lines: EmulatedLine[] = fields.lines.map((l) => ({
    id: newId("il"),
    object: "line_item",
    amount: l.amount,
    currency: fields.currency,
    description: l.description,
    invoice: id,
    livemode: false,
    metadata: {},
    period: l.period,
    quantity: l.quantity,
    subscription: l.subscription,
    subtotal: l.amount,
  }));
  for (const ii of pending as Array<EmulatedInvoiceItem & StripeObject>) {
    ii.invoice = id;
    emu.store.put(scope, ii);
    lines.push({
      id: newId("il"),
      object: "line_item",
      amount: ii.amount,
      currency: ii.currency,
      description: ii.description,
      invoice: id,
      livemode: false,
      metadata: {},
      period: ii.period,
      quantity: ii.quantity,
      subscription: ii.subscription,
      subtotal: ii.amount,
    });
  }
  const total = Math.max(
    0,
    lines.reduce((sum, l) => sum + l.amount, 0),
  );
  const invoice: EmulatedInvoice = {
    id,
    object: "invoice",
    amount_due: total,
    amount_paid: 0,
    amount_remaining: total,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    billing_reason: fields.billingReason,
    collection_method: "charge_automatically",
    created: emu.now(),
    currency: fields.currency,
    customer: fields.customer,
    customer_email: customer.email,
    default_payment_method: fields.defaultPaymentMethod ?? null,
    description: null,
    due_date: null,
    effective_at: null,
    hosted_invoice_url: null,
    lines: {
      object: "list",
      data: lines as Stripe.InvoiceLineItem[],
      has_more: false,
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    parent: fields.subscription
      ? {
          type: "subscription_details",
          quote_details: null,
          subscription_details: { subscription: fields.subscription, metadata: null },
        }
      : null,
    period_end: fields.period.end,
    period_start: fields.period.start,
    status: "draft",
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    total,
  };
  const stored = emu.store.put(scope, invoice) as StoredInvoice;
  emu.emit(scope, "invoice.created", stored);
  return stored;
}

export function finalizeInvoice(emu: Emulator, scope: Scope, invoice: StoredInvoice) {
  if (invoice.status !== "draft") throw badState("This invoice is already finalized.", "invoice_not_editable");
  const count = emu.store.all(scope, "invoice").filter((i) => i.number !== null).length;
  const customer = getCustomer(emu, scope, invoice.customer);
  invoice.status = "open";
  invoice.number = `${customer.invoice_prefix ?? "EMU"}-${String(count + 1).padStart(4, "0")}`;
  invoice.hosted_invoice_url = `${emu.baseUrl}/hosted/invoice/${invoice.id}`;
  invoice.effective_at = emu.now();
  invoice.status_transitions = { ...invoice.status_transitions, finalized_at: emu.now() };
  emu.store.put(scope, invoice);
  emu.emit(scope, "invoice.finalized", invoice);
}

function markPaid(emu: Emulator, scope: Scope, invoice: StoredInvoice) {
  invoice.status = "paid";
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions = { ...invoice.status_transitions, paid_at: emu.now() };
  emu.store.put(scope, invoice);
  emu.emit(scope, "invoice.paid", invoice);
  emu.emit(scope, "invoice.payment_succeeded", invoice);
}

/** The invoice's payment intent (one per invoice, reused by every retry), via its `invoice_payment`. */
export function invoicePaymentIntent(
  emu: Emulator,
  scope: Scope,
  invoice: StoredInvoice,
): StoredPaymentIntent | undefined {
  const payment = emu.store.all(scope, "invoice_payment").find((p) => p.invoice === invoice.id) as
    EmulatedInvoicePayment | undefined;
  const pi = payment?.payment.payment_intent;
  return typeof pi === "string" ? getPaymentIntent(emu, scope, pi) : undefined;
}

export type PaymentResult = "paid" | "requires_action" | "failed";

/** Hooks the subscription logic registers, so invoices can report outcomes without an import cycle. */
export const invoiceHooks: {
  onOutcome: (emu: Emulator, scope: Scope, invoice: StoredInvoice, result: PaymentResult) => void;
  paymentMethodFor: (emu: Emulator, scope: Scope, invoice: StoredInvoice) => string | null;
} = { onOutcome: () => undefined, paymentMethodFor: () => null };

/**
 * Attempts to pay an open invoice with its payment method: paid → `invoice.paid`; declined →
 * `invoice.payment_failed` with the next retry on the schedule; 3-D Secure → `invoice.payment_action_required`
 * (the customer completes it on the hosted invoice page).
 */
export function payInvoice(
  emu: Emulator,
  scope: Scope,
  invoice: StoredInvoice,
  options: { paymentMethod?: string; authenticated?: boolean; automatic?: boolean } = {},
): PaymentResult {
  if (invoice.status !== "open") throw badState(`Invoice is already ${invoice.status}.`, "invoice_not_open");
  if (invoice.amount_remaining === 0) {
    markPaid(emu, scope, invoice);
    invoiceHooks.onOutcome(emu, scope, invoice, "paid");
    return "paid";
  }
  let pi = invoicePaymentIntent(emu, scope, invoice);
  const pm = options.paymentMethod ?? invoiceHooks.paymentMethodFor(emu, scope, invoice);
  if (!pi) {
    pi = newPaymentIntent(emu, scope, {
      amount: invoice.amount_remaining,
      currency: invoice.currency,
      customer: invoice.customer,
      description: `Invoice ${invoice.number ?? invoice.id}`,
      setup_future_usage: "off_session",
    });
    const payment: EmulatedInvoicePayment = {
      id: newId("inpay"),
      object: "invoice_payment",
      amount_paid: null,
      amount_requested: invoice.amount_remaining,
      created: emu.now(),
      currency: invoice.currency,
      invoice: invoice.id,
      is_default: true,
      livemode: false,
      payment: { type: "payment_intent", payment_intent: pi.id },
      status: "open",
      status_transitions: { canceled_at: null, paid_at: null },
    };
    emu.store.put(scope, payment);
  }
  invoice.attempt_count += 1;
  invoice.attempted = true;
  let result: PaymentResult;
  if (!pm) {
    result = "failed";
  } else {
    pi.payment_method = resolvePaymentMethod(emu, scope, pm).id;
    const decline = attemptPayment(emu, scope, pi, {
      authenticated: options.authenticated ?? false,
      actionUrl: invoice.hosted_invoice_url ?? undefined,
    });
    result = decline ? "failed" : pi.status === "requires_action" ? "requires_action" : "paid";
  }
  if (result === "paid") {
    const payment = emu.store.all(scope, "invoice_payment").find((p) => p.invoice === invoice.id) as
      (EmulatedInvoicePayment & StripeObject) | undefined;
    if (payment) {
      payment.status = "paid";
      payment.amount_paid = invoice.amount_remaining;
      payment.status_transitions = { canceled_at: null, paid_at: emu.now() };
      emu.store.put(scope, payment);
    }
    markPaid(emu, scope, invoice);
  } else {
    // Automatic attempts follow the retry schedule; a customer's own attempt does not move it.
    if (options.automatic !== false) {
      const retry = RETRY_SCHEDULE_DAYS[invoice.attempt_count - 1];
      // The first invoice of a subscription is not retried: the subscription stays incomplete, then expires.
      invoice.next_payment_attempt =
        retry === undefined || invoice.billing_reason === "subscription_create" ? null : invoice.created + DAYS(retry);
    }
    emu.store.put(scope, invoice);
    emu.emit(scope, result === "failed" ? "invoice.payment_failed" : "invoice.payment_action_required", invoice);
  }
  invoiceHooks.onOutcome(emu, scope, invoice, result);
  return result;
}

export function voidInvoice(emu: Emulator, scope: Scope, invoice: StoredInvoice) {
  if (invoice.status !== "open" && invoice.status !== "draft")
    throw badState(`You can only void an open invoice (this one is ${invoice.status}).`, "invoice_not_open");
  if (invoice.status === "draft") finalizeInvoice(emu, scope, invoice);
  invoice.status = "void";
  invoice.next_payment_attempt = null;
  invoice.status_transitions = { ...invoice.status_transitions, voided_at: emu.now() };
  emu.store.put(scope, invoice);
  emu.emit(scope, "invoice.voided", invoice);
}

export function getInvoice(emu: Emulator, scope: Scope, id: string, param = "id"): StoredInvoice {
  return emu.find(scope, id, "invoice", "invoice", param) as StoredInvoice;
}

/**
 * Updates an invoice. `auto_advance=false` on an open invoice stops Stripe's automatic collection:
 * no further scheduled retry (`next_payment_attempt` null); the customer can still pay it. Setting it
 * back to true resumes the retry schedule where it stood (or nothing, when the schedule is used up).
 */
function update(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const invoice = getInvoice(emu, scope, arg(ctx));
  if (params.has("auto_advance")) {
    const auto = params.bool("auto_advance") ?? true;
    if (invoice.status !== "draft" && invoice.status !== "open" && auto)
      throw badState(`You can only set auto_advance on a draft or open invoice (this one is ${invoice.status}).`);
    invoice.auto_advance = auto;
    if (invoice.status === "open") {
      if (!auto) invoice.next_payment_attempt = null;
      else if (invoice.next_payment_attempt === null && invoice.attempt_count > 0) {
        const retry = RETRY_SCHEDULE_DAYS[invoice.attempt_count - 1];
        invoice.next_payment_attempt =
          retry === undefined || invoice.billing_reason === "subscription_create"
            ? null
            : Math.max(invoice.created + DAYS(retry), emu.now());
      }
    }
  }
  const metadata = params.metadata(invoice.metadata ?? {});
  if (metadata) invoice.metadata = metadata;
  if (params.has("description")) invoice.description = params.str("description") || null;
  emu.store.put(scope, invoice);
  emu.emit(scope, "invoice.updated", invoice);
  return invoice;
}

function pay(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const invoice = getInvoice(emu, scope, arg(ctx));
  if (invoice.status === "draft") finalizeInvoice(emu, scope, invoice);
  const pm = params.str("payment_method");
  const result = payInvoice(emu, scope, invoice, { ...(pm ? { paymentMethod: pm } : {}), automatic: false });
  if (result === "requires_action")
    throw new StripeApiError(402, {
      type: "card_error",
      code: "invoice_payment_intent_requires_action",
      message:
        "This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice.",
    });
  if (result === "failed") {
    const pi = invoicePaymentIntent(emu, scope, invoice);
    const error = pi?.last_payment_error;
    throw new StripeApiError(402, {
      type: "card_error",
      message: error?.message ?? "This invoice cannot be paid: the customer has no payment method.",
      code: error?.code ?? "card_declined",
      ...(error?.decline_code ? { decline_code: error.decline_code } : {}),
    });
  }
  return invoice;
}

function list(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  let items = emu.store.all(scope, "invoice") as StoredInvoice[];
  const customer = params.str("customer");
  const subscription = params.str("subscription");
  const status = params.str("status");
  if (customer) items = items.filter((i) => i.customer === customer);
  if (subscription) items = items.filter((i) => invoiceSubscription(i) === subscription);
  if (status) items = items.filter((i) => i.status === status);
  return paginate(filterCreated(items, params), params, "/v1/invoices", "invoice");
}

/** `expand[]=payments` (and `latest_invoice.payments`): the invoice's payments, newest first. */
export function registerInvoiceVirtualFields(emu: Emulator) {
  emu.virtualFields.set("invoice.payments", (e, scope, owner) =>
    listOf(
      e.store.all(scope, "invoice_payment").filter((p) => p.invoice === owner.id),
      `/v1/invoice_payments?invoice=${owner.id}`,
    ),
  );
}

export const invoiceRoutes: Route[] = [
  route("GET", "/v1/invoices", list, [
    ...PAGE,
    ...accepts<Stripe.InvoiceListParams>("customer", "subscription", "status", "created"),
  ]),
  route("GET", "/v1/invoices/:id", (ctx) => getInvoice(ctx.emu, ctx.scope, arg(ctx))),
  route(
    "POST",
    "/v1/invoices/:id",
    update,
    accepts<Stripe.InvoiceUpdateParams>("auto_advance", "metadata", "description"),
  ),
  route("POST", "/v1/invoices/:id/pay", pay, accepts<Stripe.InvoicePayParams>("payment_method")),
  route("POST", "/v1/invoices/:id/finalize", (ctx) => {
    const invoice = getInvoice(ctx.emu, ctx.scope, arg(ctx));
    finalizeInvoice(ctx.emu, ctx.scope, invoice);
    return invoice;
  }),
  route("POST", "/v1/invoices/:id/void", (ctx) => {
    const invoice = getInvoice(ctx.emu, ctx.scope, arg(ctx));
    voidInvoice(ctx.emu, ctx.scope, invoice);
    return invoice;
  }),
  route(
    "GET",
    "/v1/invoice_payments",
    (ctx) => {
      let items = ctx.emu.store.all(ctx.scope, "invoice_payment");
      const invoice = ctx.params.str("invoice");
      if (invoice) items = items.filter((p) => p.invoice === invoice);
      return paginate(items, ctx.params, "/v1/invoice_payments", "invoice_payment");
    },
    [...PAGE, ...accepts<Stripe.InvoicePaymentListParams>("invoice")],
  ),
  route(
    "GET",
    "/v1/invoiceitems",
    (ctx) => {
      let items = ctx.emu.store.all(ctx.scope, "invoiceitem");
      const customer = ctx.params.str("customer");
      if (customer) items = items.filter((i) => i.customer === customer);
      return paginate(items, ctx.params, "/v1/invoiceitems", "invoiceitem");
    },
    [...PAGE, ...accepts<Stripe.InvoiceItemListParams>("customer")],
  ),
];
