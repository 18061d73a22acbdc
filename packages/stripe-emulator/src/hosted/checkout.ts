import type { Emulator } from "../emulator";
import { StripeApiError } from "../errors";
import type { FormObject } from "../form";
import { getCheckoutSession, publicSession, type StoredCheckoutSession } from "../resources/checkout";
import { attemptPayment, getPaymentIntent, newPaymentIntent } from "../resources/payment-intents";
import { createCardPaymentMethod, resolvePaymentMethod } from "../resources/payment-methods";
import { confirmSetupIntent, getSetupIntent, newSetupIntent } from "../resources/setup-intents";
import { createCustomerForCheckout } from "./customer";
import type { HostedRoute } from "../server";
import type { Scope } from "../store";
import { readCardForm, field } from "./card-form";
import { cardFields, escapeHtml, formatAmount, notFoundPage, page, type HostedResponse } from "./html";

function locateSession(emu: Emulator, id: string): { scope: Scope; session: StoredCheckoutSession } | undefined {
  const found = emu.store.locate(id);
  if (!found || found.data.object !== "checkout.session") return undefined;
  return { scope: found.scope, session: getCheckoutSession(emu, found.scope, id) };
}

function closedPage(session: StoredCheckoutSession): HostedResponse {
  const text =
    session.status === "complete" ? "This checkout is already complete." : "This checkout session has expired.";
  return { status: 410, html: page("Checkout", `<h1>Checkout</h1><p>${text}</p>`) };
}

function render(emu: Emulator, scope: Scope, session: StoredCheckoutSession, error?: string): HostedResponse {
  const customer = typeof session.customer === "string" ? emu.store.get(scope, session.customer) : undefined;
  const isSetup = session.mode === "setup";
  const lines = session.emulator.lines
    .map(
      (l) =>
        `<li>${escapeHtml(l.description)} × ${l.quantity} — ${formatAmount(l.amount, session.currency ?? "usd")}</li>`,
    )
    .join("");
  const heading = isSetup
    ? "Save a card for future payments"
    : `Pay ${formatAmount(session.amount_total ?? 0, session.currency ?? "usd")}`;
  const body = `<h1>${escapeHtml(heading)}</h1>
${customer?.email ? `<p>For ${escapeHtml(customer.email)}</p>` : ""}
${lines ? `<ul>${lines}</ul>` : ""}
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/hosted/checkout/${escapeHtml(session.id)}">
${cardFields()}
<button type="submit">${isSetup ? "Save card" : "Pay"}</button>
</form>
${session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel and go back</a></p>` : ""}`;
  return { status: error ? 402 : 200, html: page("Checkout", body) };
}

function authPage(session: StoredCheckoutSession): HostedResponse {
  const action = `/hosted/checkout/${escapeHtml(session.id)}/authenticate`;
  return {
    html: page(
      "3-D Secure",
      `<h1>3-D Secure authentication</h1><p>Your bank asks you to confirm this ${session.mode === "setup" ? "card" : "payment"}.</p>
<form method="post" action="${action}"><input type="hidden" name="result" value="complete"><button type="submit">Complete authentication</button></form>
<form method="post" action="${action}"><input type="hidden" name="result" value="fail"><button type="submit" class="secondary">Fail authentication</button></form>`,
    ),
  };
}

/** Session done: `checkout.session.completed`, then the browser goes to success_url with the session id. */
function complete(emu: Emulator, scope: Scope, session: StoredCheckoutSession): HostedResponse {
  session.status = "complete";
  if (session.mode === "payment" && typeof session.payment_intent === "string") {
    const pi = getPaymentIntent(emu, scope, session.payment_intent);
    session.payment_status = pi.status === "succeeded" ? "paid" : "unpaid";
  }
  session.url = null;
  emu.store.put(scope, session);
  emu.emit(scope, "checkout.session.completed", publicSession(session));
  return { redirect: (session.success_url ?? "/").replaceAll("{CHECKOUT_SESSION_ID}", session.id) };
}

function submit(emu: Emulator, scope: Scope, session: StoredCheckoutSession, form: FormObject): HostedResponse {
  let pmId: string;
  try {
    const customerId = typeof session.customer === "string" ? session.customer : null;
    const pm = createCardPaymentMethod(emu, scope, readCardForm(form), { email: session.customer_email });
    pmId = pm.id;
    if (!customerId && session.emulator.customerCreation === "always")
      session.customer = createCustomerForCheckout(emu, scope, session).id;
  } catch (error) {
    if (error instanceof StripeApiError) return render(emu, scope, session, error.message);
    throw error;
  }
  const actionUrl = `${emu.baseUrl}/hosted/checkout/${session.id}/authenticate`;
  const customer = typeof session.customer === "string" ? session.customer : null;
  if (session.mode === "setup") {
    const si =
      typeof session.setup_intent === "string"
        ? getSetupIntent(emu, scope, session.setup_intent)
        : newSetupIntent(emu, scope, { customer, metadata: session.emulator.intentMetadata });
    session.setup_intent = si.id;
    si.payment_method = pmId;
    emu.store.put(scope, session);
    const error = confirmSetupIntent(emu, scope, si, { actionUrl });
    if (error) return render(emu, scope, session, error.message);
    if (si.status === "requires_action") return { redirect: actionUrl };
    return complete(emu, scope, session);
  }
  const pi =
    typeof session.payment_intent === "string"
      ? getPaymentIntent(emu, scope, session.payment_intent)
      : newPaymentIntent(emu, scope, {
          amount: session.amount_total ?? 0,
          currency: session.currency ?? "usd",
          customer,
          capture_method: session.emulator.captureMethod,
          application_fee_amount: session.emulator.applicationFeeAmount,
          metadata: session.emulator.intentMetadata,
        });
  session.payment_intent = pi.id;
  pi.payment_method = resolvePaymentMethod(emu, scope, pmId).id;
  emu.store.put(scope, session);
  const decline = attemptPayment(emu, scope, pi, { actionUrl });
  if (decline) return render(emu, scope, session, decline.message);
  if (pi.status === "requires_action") return { redirect: actionUrl };
  return complete(emu, scope, session);
}

function authenticate(emu: Emulator, scope: Scope, session: StoredCheckoutSession, form: FormObject): HostedResponse {
  const ok = field(form, "result") === "complete";
  if (session.mode === "setup" && typeof session.setup_intent === "string") {
    const si = getSetupIntent(emu, scope, session.setup_intent);
    if (si.status !== "requires_action") return render(emu, scope, session);
    if (!ok) {
      si.status = "requires_payment_method";
      si.next_action = null;
      si.last_setup_error = {
        type: "invalid_request_error",
        code: "setup_intent_authentication_failure",
        message: "The latest attempt to set up the payment method has failed because authentication failed.",
      };
      emu.store.put(scope, si);
      emu.emit(scope, "setup_intent.setup_failed", si);
      return render(emu, scope, session, "Authentication failed. Try again or use another card.");
    }
    const error = confirmSetupIntent(emu, scope, si, { authenticated: true });
    if (error) return render(emu, scope, session, error.message);
    return complete(emu, scope, session);
  }
  if (typeof session.payment_intent !== "string") return render(emu, scope, session);
  const pi = getPaymentIntent(emu, scope, session.payment_intent);
  if (pi.status !== "requires_action") return render(emu, scope, session);
  if (!ok) {
    failAuthentication(emu, scope, pi);
    return render(emu, scope, session, "Authentication failed. Try again or use another card.");
  }
  const decline = attemptPayment(emu, scope, pi, { authenticated: true });
  if (decline) return render(emu, scope, session, decline.message);
  return complete(emu, scope, session);
}

export function failAuthentication(emu: Emulator, scope: Scope, pi: ReturnType<typeof getPaymentIntent>) {
  pi.status = "requires_payment_method";
  pi.next_action = null;
  pi.last_payment_error = {
    type: "invalid_request_error",
    code: "payment_intent_authentication_failure",
    message:
      "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
  };
  emu.store.put(scope, pi);
  emu.emit(scope, "payment_intent.payment_failed", pi);
}

function withSession(
  handler: (emu: Emulator, scope: Scope, session: StoredCheckoutSession, form: FormObject) => HostedResponse,
) {
  return (emu: Emulator, args: string[], form: FormObject): HostedResponse => {
    const found = locateSession(emu, args[0] ?? "");
    if (!found) return notFoundPage();
    const { scope, session } = found;
    if (session.status === "open" && session.expires_at <= emu.now()) {
      session.status = "expired";
      session.url = null;
      emu.store.put(scope, session);
      emu.emit(scope, "checkout.session.expired", publicSession(session));
    }
    if (session.status !== "open") return closedPage(session);
    return handler(emu, scope, session, form);
  };
}

export const checkoutPages: HostedRoute[] = [
  {
    method: "GET",
    pattern: /^\/hosted\/checkout\/([^/]+)$/,
    handler: withSession((emu, scope, session) => render(emu, scope, session)),
  },
  { method: "POST", pattern: /^\/hosted\/checkout\/([^/]+)$/, handler: withSession(submit) },
  {
    method: "GET",
    pattern: /^\/hosted\/checkout\/([^/]+)\/authenticate$/,
    handler: withSession((_e, _s, session) => authPage(session)),
  },
  { method: "POST", pattern: /^\/hosted\/checkout\/([^/]+)\/authenticate$/, handler: withSession(authenticate) },
];
