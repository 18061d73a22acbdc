import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { currentPeriod, listFactoryWork, listWindows, markBatch, MarkBatchSchema } from "@kiln/capacity";
import { requireFactoryOperator, submitIntent } from "../capacity.server";
import { FormErrors, type FormResult } from "../components/capacity";
import { FlagNote } from "../components/capacity-insights";
import { notFound } from "../errors.server";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Factory · Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireFactoryOperator(context, request, params.factoryId);
  const fromPeriod = currentPeriod(context.rt.clock.now(), membership.coop.timezone);
  const [windows, work] = await Promise.all([
    listWindows(context.rt, ctx, { fromPeriod }),
    listFactoryWork(context.rt, ctx),
  ]);
  return {
    factory: membership.factory ?? notFound(),
    coop: membership.coop,
    windows,
    work: work.map((w) => ({
      ...w,
      startedAt: w.startedAt?.toISOString().slice(0, 10) ?? null,
      shippedAt: w.shippedAt?.toISOString().slice(0, 10) ?? null,
    })),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireFactoryOperator(context, request, params.factoryId);
  const formData = await request.formData();
  if (formData.get("intent") !== "mark") return notFound();
  return submitIntent(
    formData,
    MarkBatchSchema,
    (v) => markBatch(context.rt, ctx, v),
    () => redirectWithToast(context, new URL(request.url).pathname, { kind: "success", key: "capacity.batchMarked" }),
  );
}

export default function FactoryHome() {
  const t = useT();
  const { factory, coop, windows, work } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  return (
    <>
      <section className="card" aria-labelledby="work-title">
        <h1>{t("factory.title", { name: factory.name })}</h1>
        <p className="muted">{t("studio.coop", { coop: coop.name })}</p>
        <p>
          <Link to={`/factory/${factory.id}/orders`}>{t("orders.link")}</Link>
        </p>
        <h2 id="work-title">{t("capacity.work")}</h2>
        {work.length > 0 ? (
          <p>
            <a href={`/factory/${factory.id}/work.csv`} download>
              {t("capacity.exportCsv")}
            </a>
          </p>
        ) : null}
        <FormErrors result={result} intent="mark" />
        {work.length === 0 ? (
          <p className="empty">{t("capacity.workEmpty")}</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>{t("capacity.window")}</th>
                <th>{t("capacity.capability")}</th>
                <th>{t("capacity.creator")}</th>
                <th>{t("capacity.units")}</th>
                <th>{t("capacity.shipByHeading")}</th>
                <th>{t("capacity.progress")}</th>
              </tr>
            </thead>
            <tbody>
              {work.map((w) => (
                <tr key={w.allocationId}>
                  <td>{w.period}</td>
                  <td>{w.capability}</td>
                  <td>{w.creatorName}</td>
                  <td>{w.units}</td>
                  <td>
                    {w.shipBy} <FlagNote reason={w.flagReason} revisedShipBy={w.revisedShipBy} />
                  </td>
                  <td>
                    {w.shippedAt ? (
                      t("capacity.shippedOn", { date: w.shippedAt })
                    ) : (
                      <Form method="post">
                        <input type="hidden" name="intent" value="mark" />
                        <input type="hidden" name="allocationId" value={w.allocationId} />
                        <input type="hidden" name="step" value={w.startedAt ? "shipped" : "started"} />
                        {w.startedAt ? `${t("capacity.startedOn", { date: w.startedAt })} ` : null}
                        <button type="submit" className="button-secondary">
                          {w.startedAt ? t("capacity.markShipped") : t("capacity.markStarted")}
                        </button>
                      </Form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="windows-title">
        <h2 id="windows-title">{t("factory.windows")}</h2>
        {windows.length === 0 ? (
          <p className="empty">{t("factory.windowsEmpty")}</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>{t("capacity.window")}</th>
                <th>{t("capacity.capability")}</th>
                <th>{t("capacity.units")}</th>
              </tr>
            </thead>
            <tbody>
              {windows.map((w) => (
                <tr key={w.id}>
                  <td>{w.period}</td>
                  <td>{w.capability}</td>
                  <td>{w.units}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
