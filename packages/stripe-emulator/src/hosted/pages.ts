import type { Emulator } from "../emulator";
import { StripeApiError } from "../errors";
import type { FormObject } from "../form";
import { completeOnboarding, getAccount } from "../resources/accounts";
import { getCustomer, updateCustomer } from "../resources/customers";
import { getInvoice, invoicePaymentIntent, payInvoice, type StoredInvoice } from "../resources/invoices";
import { attemptPayment, getPaymentIntent } from "../resources/payment-intents";
import { attachPaymentMethod, createCardPaymentMethod } from "../resources/payment-methods";
import { confirmSetupIntent, getSetupIntent } from "../resources/setup-intents";
import { saveSubscription, type StoredSubscription } from "../resources/subscriptions";
import { clone } from "../emulator";
import type { HostedRoute } from "../server";
import { PLATFORM, type Scope } from "../store";
import { field, readCardForm } from "./card-form";
import { failAuthentication } from "./checkout";
import { cardFields, escapeHtml, formatAmount, notFoundPage, page, type HostedResponse } from "./html";

function authButtons(action: string, what: string): string {
  return `<h1>3-D Secure authentication</h1><p>Your bank asks you to confirm ${escapeHtml(what)}.</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="result" value="complete"><button type="submit">Complete authentication</button></form>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="result" value="fail"><button type="submit" class="secondary">Fail authentication</button></form>`;
}

function withReturn(url: string | null | undefined, query: Record<string, string>): HostedResponse {
  if (!url)
    return {
      html: page(
        "Done",
        `<h1>${query.redirect_status === "succeeded" ? "Authentication complete" : "Authentication failed"}</h1>`,
      ),
    };
  const target = new URL(url);
  for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
  return { redirect: target.toString() };
}

/** 3-D Secure for payment and setup intents confirmed through the API (`next_action.redirect_to_url`). */
function threeDsGet(emu: Emulator, args: string[]): HostedResponse {
  const found = emu.store.locate(args[0] ?? "");
  if (!found || (found.data.object !== "payment_intent" && found.data.object !== "setup_intent")) return notFoundPage();
  if (found.data.status !== "requires_action")
    return { status: 409, html: page("3-D Secure", "<h1>Nothing to authenticate</h1>") };
  const amount =
    typeof found.data.amount === "number" ? formatAmount(found.data.amount, String(found.data.currency)) : "";
  return {
    html: page(
      "3-D Secure",
      authButtons(`/hosted/3ds/${found.data.id}`, amount ? `a payment of ${amount}` : "saving your card"),
    ),
  };
}

function threeDsPost(emu: Emulator, args: string[], form: FormObject): HostedResponse {
  const found = emu.store.locate(args[0] ?? "");
  if (!found) return notFoundPage();
  const ok = field(form, "result") === "complete";
  if (found.data.object === "payment_intent") {
    const pi = getPaymentIntent(emu, found.scope, found.data.id);
    if (pi.status !== "requires_action")
      return { status: 409, html: page("3-D Secure", "<h1>Nothing to authenticate</h1>") };
    const returnUrl = pi.next_action?.redirect_to_url?.return_url;
    if (ok) attemptPayment(emu, found.scope, pi, { authenticated: true });
    else failAuthentication(emu, found.scope, pi);
    const status = pi.status === "succeeded" || pi.status === "requires_capture" ? "succeeded" : "failed";
    return withReturn(returnUrl, {
      payment_intent: pi.id,
      payment_intent_client_secret: String(pi.client_secret),
      redirect_status: status,
    });
  }
  if (found.data.object === "setup_intent") {
    const si = getSetupIntent(emu, found.scope, found.data.id);
    const returnUrl = si.next_action?.redirect_to_url?.return_url;
    if (ok) confirmSetupIntent(emu, found.scope, si, { authenticated: true });
    else {
      si.status = "requires_payment_method";
      si.next_action = null;
      emu.store.put(found.scope, si);
      emu.emit(found.scope, "setup_intent.setup_failed", si);
    }
    return withReturn(returnUrl, {
      setup_intent: si.id,
      setup_intent_client_secret: String(si.client_secret),
      redirect_status: si.status === "succeeded" ? "succeeded" : "failed",
    });
  }
  return notFoundPage();
}

function invoicePage(emu: Emulator, scope: Scope, invoice: StoredInvoice, message?: string): HostedResponse {
  const pi = invoicePaymentIntent(emu, scope, invoice);
  const amount = formatAmount(invoice.amount_due, invoice.currency);
  let body = `<h1>Invoice ${escapeHtml(invoice.number ?? invoice.id)}</h1><p>Amount due: <strong>${amount}</strong></p><p>Status: <strong>${escapeHtml(invoice.status)}</strong></p>`;
  if (message) body += `<p class="error" role="alert">${escapeHtml(message)}</p>`;
  if (invoice.status === "open" && pi?.status === "requires_action")
    body += authButtons(`/hosted/invoice/${invoice.id}`, `a payment of ${amount}`);
  else if (invoice.status === "open")
    body += `<form method="post" action="/hosted/invoice/${escapeHtml(invoice.id)}"><input type="hidden" name="result" value="pay">${cardFields()}<button type="submit">Pay ${amount}</button></form>`;
  else if (invoice.status === "paid") body += `<p role="status">This invoice is paid. Thank you.</p>`;
  return { html: page(`Invoice ${invoice.number ?? ""}`, body) };
}

function locateInvoice(emu: Emulator, id: string) {
  const found = emu.store.locate(id);
  if (!found || found.data.object !== "invoice") return undefined;
  return { scope: found.scope, invoice: getInvoice(emu, found.scope, id) };
}

function invoicePost(emu: Emulator, args: string[], form: FormObject): HostedResponse {
  const found = locateInvoice(emu, args[0] ?? "");
  if (!found) return notFoundPage();
  const { scope, invoice } = found;
  if (invoice.status !== "open") return invoicePage(emu, scope, invoice);
  const result = field(form, "result");
  if (result === "fail") {
    const pi = invoicePaymentIntent(emu, scope, invoice);
    if (pi?.status === "requires_action") failAuthentication(emu, scope, pi);
    return invoicePage(emu, scope, invoice, "Authentication failed.");
  }
  try {
    let paymentMethod: string | undefined;
    if (result === "pay") {
      const pm = createCardPaymentMethod(emu, scope, readCardForm(form));
      attachPaymentMethod(emu, scope, pm, invoice.customer);
      paymentMethod = pm.id;
    } else if (result !== "complete") return invoicePage(emu, scope, invoice);
    const outcome = payInvoice(emu, scope, invoice, {
      authenticated: result === "complete",
      automatic: false,
      ...(paymentMethod ? { paymentMethod } : {}),
    });
    const error =
      outcome === "failed"
        ? (invoicePaymentIntent(emu, scope, invoice)?.last_payment_error?.message ?? "Payment failed.")
        : undefined;
    return invoicePage(emu, scope, invoice, error);
  } catch (error) {
    if (error instanceof StripeApiError) return invoicePage(emu, scope, invoice, error.message);
    throw error;
  }
}

function connectPage(emu: Emulator, args: string[], form: FormObject, method: "GET" | "POST"): HostedResponse {
  const link = emu.store.get(PLATFORM, args[0] ?? "", "emulator.account_link");
  if (!link) return notFoundPage();
  if (Number(link.expires_at) < emu.now() || link.used) return { redirect: String(link.refresh_url) };
  const account = getAccount(emu, String(link.account));
  if (method === "GET")
    return {
      html: page(
        "Connect onboarding",
        `<h1>Set up payouts</h1><p>Account ${escapeHtml(account.id)}${account.email ? ` (${escapeHtml(account.email)})` : ""} — Express onboarding (test mode).</p>
<form method="post" action="/hosted/connect/${escapeHtml(String(link.id))}"><input type="hidden" name="result" value="complete"><button type="submit">Complete onboarding</button></form>
<p><a href="${escapeHtml(String(link.return_url))}">Leave without finishing</a></p>`,
      ),
    };
  if (field(form, "result") === "complete") completeOnboarding(emu, account);
  link.used = true;
  emu.store.put(PLATFORM, link);
  return { redirect: String(link.return_url) };
}

function portal(
  emu: Emulator,
  args: string[],
  form: FormObject,
  method: "GET" | "POST",
  query: URLSearchParams,
): HostedResponse {
  const found = emu.store.locate(args[0] ?? "");
  if (!found || found.data.object !== "billing_portal.session") return notFoundPage();
  const { scope, data: session } = found;
  const customer = getCustomer(emu, scope, String(session.customer));
  let message = query.get("updated") ? "Your card was updated." : "";
  let error = "";
  if (method === "POST") {
    try {
      const pm = createCardPaymentMethod(emu, scope, readCardForm(form));
      attachPaymentMethod(emu, scope, pm, customer.id);
      updateCustomer(emu, scope, customer, {
        invoice_settings: { ...customer.invoice_settings, default_payment_method: pm.id },
      });
      for (const sub of emu.store.all(scope, "subscription") as StoredSubscription[]) {
        if (sub.customer !== customer.id || sub.status === "canceled" || !sub.default_payment_method) continue;
        const before = clone(sub);
        sub.default_payment_method = pm.id;
        saveSubscription(emu, scope, sub, before);
      }
      return { redirect: `/hosted/portal/${session.id}?updated=1` };
    } catch (e) {
      if (!(e instanceof StripeApiError)) throw e;
      error = e.message;
      message = "";
    }
  }
  const pmId = customer.invoice_settings.default_payment_method;
  const pm = typeof pmId === "string" ? emu.store.get(scope, pmId) : undefined;
  const card = pm?.card as { brand: string; last4: string; exp_month: number; exp_year: number } | undefined;
  const body = `<h1>Billing</h1><p>${escapeHtml(customer.email ?? customer.id)}</p>
<p>Default card: <strong>${card ? `${escapeHtml(card.brand)} •••• ${escapeHtml(card.last4)} (${card.exp_month}/${card.exp_year})` : "none"}</strong></p>
${message ? `<p role="status">${escapeHtml(message)}</p>` : ""}${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<h2>Replace your card</h2>
<form method="post" action="/hosted/portal/${escapeHtml(session.id)}">${cardFields()}<button type="submit">Update card</button></form>
${session.return_url ? `<p><a href="${escapeHtml(session.return_url)}">Return</a></p>` : ""}`;
  return { status: error ? 402 : 200, html: page("Billing", body) };
}

export const hostedPages: HostedRoute[] = [
  { method: "GET", pattern: /^\/hosted\/3ds\/([^/]+)$/, handler: (emu, args) => threeDsGet(emu, args) },
  { method: "POST", pattern: /^\/hosted\/3ds\/([^/]+)$/, handler: threeDsPost },
  {
    method: "GET",
    pattern: /^\/hosted\/invoice\/([^/]+)$/,
    handler: (emu, args) => {
      const found = locateInvoice(emu, args[0] ?? "");
      return found ? invoicePage(emu, found.scope, found.invoice) : notFoundPage();
    },
  },
  { method: "POST", pattern: /^\/hosted\/invoice\/([^/]+)$/, handler: invoicePost },
  {
    method: "GET",
    pattern: /^\/hosted\/connect\/([^/]+)$/,
    handler: (emu, args, form) => connectPage(emu, args, form, "GET"),
  },
  {
    method: "POST",
    pattern: /^\/hosted\/connect\/([^/]+)$/,
    handler: (emu, args, form) => connectPage(emu, args, form, "POST"),
  },
  {
    method: "GET",
    pattern: /^\/hosted\/portal\/([^/]+)$/,
    handler: (emu, args, form, q) => portal(emu, args, form, "GET", q),
  },
  {
    method: "POST",
    pattern: /^\/hosted\/portal\/([^/]+)$/,
    handler: (emu, args, form, q) => portal(emu, args, form, "POST", q),
  },
];
