import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { formatDate } from "@kiln/compliance/disclosure";
import { listFactoryOrders, markOrder, MarkOrderSchema } from "@kiln/drops";
import { requireFactoryOperator, submitIntent } from "../capacity.server";
import { FormErrors, type FormResult } from "../components/capacity";
import { notFound } from "../errors.server";
import { useLocale, useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Factory orders · Kiln" }];

/** The next mark an operator can make on an order in this status. */
const NEXT = { placed: "produced", produced: "shipped", shipped: "delivered", delivered: "returned" } as const;

/** Orders routed to this factory (RLS: the operator's factory only), with the next mark to make. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireFactoryOperator(context, request, params.factoryId);
  const orders = await listFactoryOrders(context.rt, ctx);
  return {
    factory: membership.factory ?? notFound(),
    orders: orders.map((o) => ({
      id: o.id,
      productTitle: o.productTitle,
      creatorName: o.creatorName,
      quantity: o.quantity,
      status: o.status,
      shipBy: o.shipBy,
      placedAt: o.placedAt.toISOString(),
      shippingAddress: o.shippingAddress,
      next: o.status in NEXT ? NEXT[o.status as keyof typeof NEXT] : null,
    })),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireFactoryOperator(context, request, params.factoryId);
  const formData = await request.formData();
  if (formData.get("intent") !== "mark-order") return notFound();
  return submitIntent(
    formData,
    MarkOrderSchema,
    (v) => markOrder(context.rt, ctx, v),
    () => redirectWithToast(context, new URL(request.url).pathname, { kind: "success", key: "orders.marked" }),
  );
}

export default function FactoryOrders() {
  const { factory, orders } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  const t = useT();
  const locale = useLocale();
  return (
    <section className="card" aria-labelledby="factory-orders-title">
      <p>
        <Link to={`/factory/${factory.id}`}>← {factory.name}</Link>
      </p>
      <h1 id="factory-orders-title">{t("orders.factoryTitle", { name: factory.name })}</h1>
      <FormErrors result={result} intent="mark-order" />
      {orders.length === 0 ? (
        <p className="empty">{t("orders.factoryEmpty")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("orders.product")}</th>
              <th scope="col">{t("orders.shipTo")}</th>
              <th scope="col">{t("orders.shipBy")}</th>
              <th scope="col">{t("orders.status")}</th>
              <th scope="col">{t("orders.mark")}</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} data-order={o.id} data-status={o.status}>
                <td>
                  {o.quantity} × {o.productTitle} <span className="muted">({o.creatorName})</span>
                </td>
                <td>
                  {o.shippingAddress.name}, {o.shippingAddress.line1}
                  {o.shippingAddress.line2 ? `, ${o.shippingAddress.line2}` : ""}, {o.shippingAddress.postalCode}{" "}
                  {o.shippingAddress.city}, {o.shippingAddress.country}
                </td>
                <td>{o.shipBy ? formatDate(new Date(`${o.shipBy}T00:00:00Z`), locale) : "—"}</td>
                <td>{t(`orders.status.${o.status}`)}</td>
                <td>
                  {o.next ? (
                    <Form method="post">
                      <input type="hidden" name="intent" value="mark-order" />
                      <input type="hidden" name="orderId" value={o.id} />
                      <input type="hidden" name="status" value={o.next} />
                      <button type="submit">{t(`orders.mark.${o.next}`)}</button>
                    </Form>
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
