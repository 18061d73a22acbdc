import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { formatDate, formatMoney } from "@kiln/compliance/disclosure";
import { cancelOrderPath, listMemberOrders } from "@kiln/drops";
import { requireUser } from "../auth.server";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Orders · Kiln" }];

/** The member's own orders (RLS: theirs only), with where each one is: made, shipped, delivered. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const orders = await listMemberOrders(context.rt, { userId: user.id });
  return {
    orders: orders.map((o) => ({
      id: o.id,
      productTitle: o.productTitle,
      creatorName: o.creatorName,
      quantity: o.quantity,
      totalMinor: o.totalMinor,
      currency: o.currency,
      status: o.status,
      shipBy: o.shipBy,
      originalShipBy: o.originalShipBy,
      cancelPath: o.cancellable ? cancelOrderPath(o.id) : null,
      refundStatus: o.refund?.status ?? null,
      cancelledAt: o.cancelledAt?.toISOString() ?? null,
      placedAt: o.placedAt.toISOString(),
      producedAt: o.producedAt?.toISOString() ?? null,
      shippedAt: o.shippedAt?.toISOString() ?? null,
      deliveredAt: o.deliveredAt?.toISOString() ?? null,
      returnedAt: o.returnedAt?.toISOString() ?? null,
    })),
  };
}

export default function AccountOrders() {
  const { orders } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const date = (iso: string | null) => (iso ? formatDate(new Date(iso), locale) : "—");
  const day = (d: string) => formatDate(new Date(`${d}T00:00:00Z`), locale);
  return (
    <section className="card" aria-labelledby="orders-title">
      <h1 id="orders-title">{t("orders.title")}</h1>
      {orders.length === 0 ? (
        <p className="empty">{t("orders.empty")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("orders.product")}</th>
              <th scope="col">{t("orders.total")}</th>
              <th scope="col">{t("orders.placedAt")}</th>
              <th scope="col">{t("orders.status")}</th>
              <th scope="col">{t("orders.shipBy")}</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} data-order={o.id} data-status={o.status}>
                <td>
                  {o.quantity} × {o.productTitle} <span className="muted">({o.creatorName})</span>
                </td>
                <td>{formatMoney(o.totalMinor, o.currency, locale)}</td>
                <td>{date(o.placedAt)}</td>
                <td>
                  {t(`orders.status.${o.status}`)}
                  {o.status !== "placed" ? (
                    <span className="muted">
                      {" "}
                      ({date(o.cancelledAt ?? o.returnedAt ?? o.deliveredAt ?? o.shippedAt ?? o.producedAt)})
                    </span>
                  ) : null}
                  {o.refundStatus ? (
                    <span className="muted" data-refund={o.refundStatus}>
                      {" "}
                      · {t(`orders.refund.${o.refundStatus as "due" | "refunded" | "failed"}`)}
                    </span>
                  ) : null}
                </td>
                <td data-ship-by={o.shipBy ?? ""} data-original-ship-by={o.originalShipBy ?? ""}>
                  {o.shipBy ? day(o.shipBy) : "—"}
                  {o.originalShipBy && o.originalShipBy !== o.shipBy ? (
                    <span className="muted"> ({t("orders.revisedFrom", { date: day(o.originalShipBy) })})</span>
                  ) : null}
                  {o.cancelPath ? (
                    <>
                      <br />
                      <Link to={o.cancelPath}>{t("orders.cancelForRefund")}</Link>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
