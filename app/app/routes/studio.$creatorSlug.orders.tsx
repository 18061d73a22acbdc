import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { formatDate, formatMoney } from "@kiln/compliance/disclosure";
import { listCreatorOrders, markOrder, MarkOrderSchema } from "@kiln/drops";
import { requireCreatorTeam, submitIntent } from "../capacity.server";
import { FormErrors, type FormResult } from "../components/capacity";
import { notFound } from "../errors.server";
import { useLocale, useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Orders · Studio · Kiln" }];

/** What the creator team may mark: delivered once shipped, returned once shipped or delivered. */
const CREATOR_MARKS = {
  shipped: ["delivered", "returned"],
  delivered: ["returned"],
} as const;

/** The creator's orders (RLS: its own only) with where each is, and the creator's delivered/returned marks. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const orders = await listCreatorOrders(context.rt, ctx);
  return {
    creator: membership.creator ?? notFound(),
    orders: orders.map((o) => ({
      id: o.id,
      productTitle: o.productTitle,
      quantity: o.quantity,
      totalMinor: o.totalMinor,
      currency: o.currency,
      status: o.status,
      placedAt: o.placedAt.toISOString(),
      shipBy: o.shipBy,
      originalShipBy: o.originalShipBy,
      memberName: o.memberName,
      cancelledAt: o.cancelledAt?.toISOString() ?? null,
      refundStatus: o.refund?.status ?? null,
      marks: o.status in CREATOR_MARKS ? [...CREATOR_MARKS[o.status as keyof typeof CREATOR_MARKS]] : [],
    })),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const formData = await request.formData();
  if (formData.get("intent") !== "mark-order") return notFound();
  return submitIntent(
    formData,
    MarkOrderSchema,
    (v) => markOrder(context.rt, ctx, v),
    () => redirectWithToast(context, new URL(request.url).pathname, { kind: "success", key: "orders.marked" }),
  );
}

export default function StudioOrders() {
  const { orders } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  const t = useT();
  const locale = useLocale();
  return (
    <section className="card" aria-labelledby="studio-orders-title">
      <h1 id="studio-orders-title">{t("orders.link")}</h1>
      <FormErrors result={result} intent="mark-order" />
      {orders.length === 0 ? (
        <p className="empty">{t("orders.empty")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("orders.product")}</th>
              <th scope="col">{t("orders.member")}</th>
              <th scope="col">{t("orders.total")}</th>
              <th scope="col">{t("orders.placedAt")}</th>
              <th scope="col">{t("orders.shipBy")}</th>
              <th scope="col">{t("orders.status")}</th>
              <th scope="col">{t("orders.mark")}</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} data-order={o.id} data-status={o.status}>
                <td>
                  {o.quantity} × {o.productTitle}
                </td>
                <td>{o.memberName}</td>
                <td>{formatMoney(o.totalMinor, o.currency, locale)}</td>
                <td>{formatDate(new Date(o.placedAt), locale)}</td>
                <td>
                  {o.shipBy ? formatDate(new Date(`${o.shipBy}T00:00:00Z`), locale) : "—"}
                  {o.originalShipBy && o.originalShipBy !== o.shipBy ? (
                    <span className="muted">
                      {" "}
                      (
                      {t("orders.revisedFrom", { date: formatDate(new Date(`${o.originalShipBy}T00:00:00Z`), locale) })}
                      )
                    </span>
                  ) : null}
                </td>
                <td data-cancelled-by={o.cancelledAt ? o.memberName : undefined}>
                  {o.cancelledAt
                    ? t("orders.cancelledBy", { name: o.memberName, date: formatDate(new Date(o.cancelledAt), locale) })
                    : t(`orders.status.${o.status}`)}
                  {o.refundStatus ? (
                    <span className="muted" data-refund={o.refundStatus}>
                      {" "}
                      · {t(`orders.refund.${o.refundStatus as "due" | "refunded" | "failed"}`)}
                    </span>
                  ) : null}
                </td>
                <td>
                  {o.marks.map((mark) => (
                    <Form method="post" key={mark}>
                      <input type="hidden" name="intent" value="mark-order" />
                      <input type="hidden" name="orderId" value={o.id} />
                      <input type="hidden" name="status" value={mark} />
                      <button type="submit">{t(`orders.mark.${mark}`)}</button>
                    </Form>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
