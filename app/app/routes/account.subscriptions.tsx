import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  createCardUpdateSession,
  listMemberSubscriptions,
  listSubscriptionInvoices,
  pauseSubscription,
  resumeSubscription,
  retrySubscriptionPayment,
  type MemberInvoice,
} from "@kiln/billing";
import { formatDate, formatMoney } from "@kiln/compliance/disclosure";
import { AppError } from "@kiln/core";
import { requireUser } from "../auth.server";
import { billingFormError, requireBilling } from "../billing.server";
import { translateMessage } from "../i18n/messages-de";
import { useLocale, useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Subscriptions · Kiln" }];

/** Subscriptions whose invoices are worth showing (an abandoned first payment has none to list). */
const WITH_INVOICES = new Set(["trialing", "active", "past_due", "paused", "unpaid", "canceled"]);

/**
 * The member's subscriptions, straight from Kiln's state (no webhook wait), with what they can do
 * to each (change tier, pause/resume, update card, pay now; cancelling goes through the § 312k cancel page) and their invoices
 * from Stripe. Every form carries a request id made here, so a double press is one operation.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const subscriptions = await listMemberSubscriptions(context.rt, { userId: user.id });
  const billing = context.billing;
  const invoices: Record<string, MemberInvoice[]> = {};
  if (billing)
    await Promise.all(
      subscriptions
        .filter((s) => WITH_INVOICES.has(s.status))
        .map(async (s) => {
          invoices[s.id] = await listSubscriptionInvoices(context.rt, billing.stripe, { userId: user.id }, s.id).catch(
            (error: unknown) => {
              console.error("[kiln] billing: listing invoices failed", error instanceof Error ? error.message : error);
              return [];
            },
          );
        }),
    );
  return {
    subscriptions: subscriptions.map((s) => ({
      ...s,
      requestId: crypto.randomUUID(),
      invoices: invoices[s.id] ?? null,
    })),
  };
}

const ActionSchema = z.object({
  intent: z.enum(["pause", "resume", "card", "retry"]),
  subscriptionId: z.uuid(),
  requestId: z.uuid(),
});

/** One package call per intent; the card update leaves for Stripe's billing portal. */
export async function action({ request, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const billing = requireBilling(context);
  const form = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!form.success) return billingFormError(new AppError("BAD_INPUT", "The form was incomplete"));
  const { intent, subscriptionId, requestId } = form.data;
  const actor = { userId: user.id };
  const op = { subscriptionId, requestId };
  try {
    switch (intent) {
      case "card": {
        const portal = await createCardUpdateSession(context.rt, billing.stripe, actor, {
          subscriptionId,
          returnUrl: `${context.config.appUrl}/account/subscriptions`,
        });
        return redirect(portal.url);
      }
      case "pause":
        await pauseSubscription(context.rt, billing.stripe, actor, op);
        return redirectWithToast(context, "/account/subscriptions", { kind: "success", key: "subscriptions.paused" });
      case "resume":
        await resumeSubscription(context.rt, billing.stripe, actor, op);
        return redirectWithToast(context, "/account/subscriptions", { kind: "success", key: "subscriptions.resumed" });
      case "retry":
        await retrySubscriptionPayment(context.rt, billing.stripe, actor, op);
        return redirectWithToast(context, "/account/subscriptions", { kind: "success", key: "subscriptions.paid" });
    }
  } catch (error) {
    return billingFormError(error);
  }
}

const CHANGEABLE = new Set(["active", "trialing"]);
const CARD_UPDATABLE = new Set(["trialing", "active", "past_due", "paused", "unpaid", "incomplete"]);
const CANCELLABLE = new Set(["trialing", "active", "past_due", "paused"]);

function OpButton(props: { intent: string; subscriptionId: string; requestId: string; label: string }) {
  return (
    <Form method="post" className="inline">
      <input type="hidden" name="intent" value={props.intent} />
      <input type="hidden" name="subscriptionId" value={props.subscriptionId} />
      <input type="hidden" name="requestId" value={props.requestId} />
      <button type="submit">{props.label}</button>
    </Form>
  );
}

export default function AccountSubscriptions() {
  const t = useT();
  const locale = useLocale();
  const { subscriptions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <section className="card" aria-labelledby="subscriptions-title">
      <p>
        <Link to="/account">← {t("account.title")}</Link>
      </p>
      <h1 id="subscriptions-title">{t("subscriptions.title")}</h1>
      {result && "formError" in result ? (
        <p className="form-error" role="alert">
          {translateMessage(locale, result.formError)}
        </p>
      ) : null}
      {subscriptions.length === 0 ? (
        <p className="empty">{t("subscriptions.empty")}</p>
      ) : (
        <ul className="list">
          {subscriptions.map((s) => (
            <li key={s.id} data-subscription={s.id}>
              <strong>{s.tierName}</strong> · {s.creator.displayName} ·{" "}
              <span data-amount-minor={s.price.amountMinor} data-currency={s.price.currency.toUpperCase()}>
                {formatMoney(s.price.amountMinor, s.price.currency.toUpperCase(), locale)}
              </span>{" "}
              / {t(s.price.interval === "year" ? "subscriptions.perYear" : "subscriptions.perMonth")} ·{" "}
              <span data-status={s.status}>{t(`subscriptions.status.${s.status}`)}</span> ·{" "}
              <span data-entitled={s.isEntitled ? "yes" : "no"}>
                {t(s.isEntitled ? "subscriptions.entitled" : "subscriptions.notEntitled")}
              </span>
              {s.currentPeriodEnd ? (
                <>
                  {" · "}
                  <span data-period-end={new Date(s.currentPeriodEnd).toISOString()}>
                    {t(s.cancelAtPeriodEnd ? "subscriptions.endsOn" : "subscriptions.renewsOn", {
                      date: formatDate(new Date(s.currentPeriodEnd), locale),
                    })}
                  </span>
                </>
              ) : null}
              {s.cancelAtPeriodEnd ? (
                <>
                  {" · "}
                  <span data-cancel-at-period-end="">{t("subscriptions.cancelAtPeriodEnd")}</span>
                </>
              ) : null}
              {s.scheduledChange ? (
                <p data-scheduled-change={s.scheduledChange.tierId}>
                  {t("subscriptions.scheduledChange", {
                    tier: s.scheduledChange.tierName,
                    date: formatDate(new Date(s.scheduledChange.at), locale),
                  })}
                </p>
              ) : null}
              {s.status === "past_due" || s.status === "unpaid" ? (
                <p className="form-error" role="status">
                  {t("subscriptions.pastDueNotice")}
                </p>
              ) : null}
              {s.pendingInvoiceUrl ? (
                <>
                  {" · "}
                  <a href={s.pendingInvoiceUrl}>{t("subscriptions.completePayment")}</a>
                </>
              ) : null}
              <div className="actions">
                {CHANGEABLE.has(s.status) && !s.cancelAtPeriodEnd && !s.scheduledChange ? (
                  <Link to={`/account/subscriptions/${s.id}/change`}>{t("subscriptions.changeTier")}</Link>
                ) : null}
                {s.status === "active" && !s.cancelAtPeriodEnd ? (
                  <OpButton
                    intent="pause"
                    subscriptionId={s.id}
                    requestId={s.requestId}
                    label={t("subscriptions.pause")}
                  />
                ) : null}
                {s.status === "paused" ? (
                  <OpButton
                    intent="resume"
                    subscriptionId={s.id}
                    requestId={s.requestId}
                    label={t("subscriptions.resume")}
                  />
                ) : null}
                {CARD_UPDATABLE.has(s.status) ? (
                  <OpButton
                    intent="card"
                    subscriptionId={s.id}
                    requestId={s.requestId}
                    label={t("subscriptions.updateCard")}
                  />
                ) : null}
                {s.status === "past_due" || s.status === "unpaid" ? (
                  <OpButton
                    intent="retry"
                    subscriptionId={s.id}
                    requestId={s.requestId}
                    label={t("subscriptions.payNow")}
                  />
                ) : null}
                {CANCELLABLE.has(s.status) && !s.cancelAtPeriodEnd ? (
                  // The § 312k cancel page, filled in: "Cancel" → "Cancel now" (two actions; issue 6).
                  <a
                    href={`/cancel?subscription=${s.id}&creator=${encodeURIComponent(s.creator.slug)}`}
                    data-cancel-subscription={s.id}
                  >
                    {t("rights.account.cancel")}
                  </a>
                ) : null}
              </div>
              {s.invoices && s.invoices.length > 0 ? (
                <details>
                  <summary>{t("subscriptions.invoices")}</summary>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">{t("subscriptions.invoiceDate")}</th>
                        <th scope="col">{t("subscriptions.invoiceAmount")}</th>
                        <th scope="col">{t("subscriptions.invoiceStatus")}</th>
                        <th scope="col">{t("subscriptions.invoiceLink")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {s.invoices.map((i) => (
                        <tr key={i.id} data-invoice={i.id}>
                          <td>{formatDate(new Date(i.createdAt), locale)}</td>
                          <td data-amount-minor={i.amountDueMinor} data-currency={i.currency}>
                            {formatMoney(i.amountDueMinor, i.currency, locale)}
                          </td>
                          <td data-invoice-status={i.status}>{t(`subscriptions.invoice.${i.status}`)}</td>
                          <td>
                            {i.hostedInvoiceUrl ? (
                              <a href={i.hostedInvoiceUrl}>{i.number ?? t("subscriptions.invoiceView")}</a>
                            ) : (
                              "—"
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
