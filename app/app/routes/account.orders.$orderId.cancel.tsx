import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { formatDate, formatMoney } from "@kiln/compliance/disclosure";
import { cancelOrderForRefund, getOrderCancellation } from "@kiln/drops";
import { performRefund } from "@kiln/rights";
import { requireUser } from "../auth.server";
import { billingFormError, requireBilling, throwAsPage } from "../billing.server";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Cancel your order · Kiln" }];

/**
 * Cancel for a full refund (issue 8 §8, ADR 020): the link in the revised ship-by notice. The member
 * sees the promised and the new date and the refund; one press cancels and refunds on the creator's
 * account. A second press, or a reload after it, shows the same cancellation.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const found = await getOrderCancellation(context.rt, { userId: user.id }, params.orderId ?? "").catch(throwAsPage);
  const o = found.order;
  return {
    order: {
      id: o.id,
      quantity: o.quantity,
      productTitle: found.productTitle,
      creatorName: found.creatorName,
      totalMinor: o.totalMinor,
      currency: o.currency,
      status: o.status,
      shipBy: o.shipBy,
      originalShipBy: o.originalShipBy,
      cancelledAt: o.cancelledAt?.toISOString() ?? null,
    },
    cancellable: found.cancellable,
    refund: found.refund ? { status: found.refund.status } : null,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const billing = requireBilling(context);
  try {
    const done = await cancelOrderForRefund(context.rt, { userId: user.id }, params.orderId ?? "");
    // Paid at once when Stripe answers; otherwise the rights sweep (performDueRefunds) pays it.
    const refund = await performRefund(context.rt, billing.stripe, done.refundId).catch((error: unknown) => {
      console.error("order cancellation: refund failed; performDueRefunds retries it", error);
      return null;
    });
    return { cancelled: true as const, refundStatus: refund?.status ?? "due" };
  } catch (error) {
    return billingFormError(error);
  }
}

export default function CancelOrder() {
  const { order, cancellable, refund } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as
    { cancelled: true; refundStatus: string } | { formError: string } | undefined;
  const t = useT();
  const locale = useLocale();
  const day = (d: string | null) => (d ? formatDate(new Date(`${d}T00:00:00Z`), locale) : "—");
  const amount = formatMoney(order.totalMinor, order.currency, locale);
  const cancelled = order.status === "cancelled" || (result && "cancelled" in result);
  const refundStatus = result && "cancelled" in result ? result.refundStatus : refund?.status;
  return (
    <section className="card" aria-labelledby="order-cancel-title">
      <h1 id="order-cancel-title">{t("orderCancel.title")}</h1>
      <dl>
        <dt>{t("orderCancel.order")}</dt>
        <dd>
          {order.quantity} × {order.productTitle} <span className="muted">({order.creatorName})</span> · {order.id}
        </dd>
        <dt>{t("orderCancel.promised")}</dt>
        <dd data-original-ship-by={order.originalShipBy ?? ""}>{day(order.originalShipBy ?? order.shipBy)}</dd>
        <dt>{t("orderCancel.revised")}</dt>
        <dd data-ship-by={order.shipBy ?? ""}>{day(order.shipBy)}</dd>
        <dt>{t("orderCancel.refund")}</dt>
        <dd>{amount}</dd>
      </dl>
      {cancelled ? (
        <div role="status" data-cancelled="true" data-refund={refundStatus ?? ""}>
          <p>{t("orderCancel.done", { amount })}</p>
          {refundStatus !== "refunded" ? <p className="muted">{t("orderCancel.refundPending")}</p> : null}
        </div>
      ) : cancellable ? (
        <>
          <p>{t("orderCancel.lead")}</p>
          {result && "formError" in result ? (
            <p role="alert" className="error">
              {result.formError}
            </p>
          ) : null}
          <Form method="post">
            <button type="submit">{t("orderCancel.button", { amount })}</button>
          </Form>
        </>
      ) : (
        <p role="alert">
          {t("orderCancel.notCancellable")}{" "}
          {["shipped", "delivered", "returned"].includes(order.status) ? t("orderCancel.shipped") : null}
        </p>
      )}
      <p>
        <Link to="/account/orders">{t("orderCancel.back")}</Link>
      </p>
    </section>
  );
}
