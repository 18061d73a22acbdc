import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  CapacityRequestSchema,
  createCapacityRequest,
  currentPeriod,
  listCapacityRequests,
  listCreatorAllocations,
  listFactories,
  nextPeriod,
  withdrawCapacityRequest,
} from "@kiln/capacity";
import { requireCreatorTeam, submitIntent } from "../capacity.server";
import { Explanation, FormErrors, Input, lastValue, type FormResult } from "../components/capacity";
import { FlagNote } from "../components/capacity-insights";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Capacity · Kiln" }];

const WithdrawSchema = z.object({ requestId: z.uuid({ error: "Unknown request" }) });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const [factories, requests, allocations] = await Promise.all([
    listFactories(context.rt, ctx),
    listCapacityRequests(context.rt, ctx),
    listCreatorAllocations(context.rt, ctx),
  ]);
  return {
    creator: membership.creator ?? notFound(),
    nextPeriod: nextPeriod(currentPeriod(context.rt.clock.now(), membership.coop.timezone)),
    capabilities: [...new Set(factories.filter((f) => f.isActive).flatMap((f) => f.capabilities))].sort(),
    factories: factories.map((f) => ({ id: f.id, name: f.name })),
    requests: requests.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    allocations,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const formData = await request.formData();
  const back = new URL(request.url).pathname;
  switch (formData.get("intent")) {
    case "request":
      return submitIntent(
        formData,
        CapacityRequestSchema,
        (v) => createCapacityRequest(context.rt, ctx, v),
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.requestSent" }),
      );
    case "withdraw":
      return submitIntent(
        formData,
        WithdrawSchema,
        (v) => withdrawCapacityRequest(context.rt, ctx, v.requestId),
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.withdrawn" }),
      );
    default:
      return notFound();
  }
}

export default function CreatorCapacity() {
  const t = useT();
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  return (
    <>
      <section className="card">
        <h1>{t("capacity.myTitle", { name: data.creator.displayName })}</h1>
        <p className="muted">{t("capacity.myLead")}</p>
      </section>
      <section className="card" aria-labelledby="allocations-title">
        <h2 id="allocations-title">{t("capacity.myAllocations")}</h2>
        {data.allocations.length === 0 ? (
          <p className="empty">{t("capacity.myAllocationsEmpty")}</p>
        ) : (
          <ul className="list">
            {data.allocations.map((a) => (
              <li key={a.requestId}>
                <strong>
                  {a.period} · {a.capability}: {a.allocated} / {a.requested}
                </strong>{" "}
                ({t(`capacity.bound.${a.boundBy}` as MessageKey)})
                <Explanation parts={a.parts} />
                {a.batches.length ? (
                  <p className="muted">
                    {a.batches
                      .map((b) => `${b.factoryName}: ${b.units} (${t("capacity.shipBy", { date: b.shipBy })})`)
                      .join(" · ")}
                  </p>
                ) : null}
                {a.batches.some((b) => b.flagReason) ? (
                  <ul className="list">
                    {a.batches
                      .filter((b) => b.flagReason)
                      .map((b) => (
                        <li key={b.factoryId}>
                          {b.factoryName}: <FlagNote reason={b.flagReason} revisedShipBy={b.revisedShipBy} />
                        </li>
                      ))}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="request-title">
        <h2 id="request-title">{t("capacity.newRequest")}</h2>
        <Form method="post" className="capacity-form">
          <input type="hidden" name="intent" value="request" />
          <div className="field">
            <label htmlFor="request-capability">{t("capacity.capability")}</label>
            <select id="request-capability" name="capability" defaultValue={lastValue(result, "request", "capability")}>
              {data.capabilities.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
          <Input
            label={t("capacity.window")}
            name="period"
            required
            defaultValue={lastValue(result, "request", "period") ?? data.nextPeriod}
          />
          <Input
            label={t("capacity.units")}
            name="units"
            type="number"
            min={1}
            required
            defaultValue={lastValue(result, "request", "units")}
          />
          <Input
            label={t("capacity.minBatch")}
            name="minBatch"
            type="number"
            min={1}
            defaultValue={lastValue(result, "request", "minBatch") ?? 1}
          />
          <Input
            label={t("capacity.latestShipDate")}
            name="latestShipDate"
            type="date"
            defaultValue={lastValue(result, "request", "latestShipDate")}
          />
          <div className="field">
            <label htmlFor="request-factory">{t("capacity.preferredFactory")}</label>
            <select id="request-factory" name="preferredFactoryIds">
              <option value="">{t("capacity.noPreference")}</option>
              {data.factories.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name}
                </option>
              ))}
            </select>
          </div>
          <FormErrors result={result} intent="request" />
          <button type="submit">{t("capacity.submitRequest")}</button>
        </Form>
      </section>
      <section className="card" aria-labelledby="my-requests-title">
        <h2 id="my-requests-title">{t("capacity.myRequests")}</h2>
        {data.requests.length === 0 ? (
          <p className="empty">{t("common.nothingYet")}</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>{t("capacity.window")}</th>
                <th>{t("capacity.capability")}</th>
                <th>{t("capacity.units")}</th>
                <th>{t("capacity.minBatch")}</th>
                <th>{t("capacity.latestShipDate")}</th>
                <th>{t("capacity.status")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.requests.map((r) => (
                <tr key={r.id}>
                  <td>{r.period}</td>
                  <td>{r.capability}</td>
                  <td>{r.units}</td>
                  <td>{r.minBatch}</td>
                  <td>{r.latestShipDate ?? "—"}</td>
                  <td>{t(`capacity.status.${r.status}` as MessageKey)}</td>
                  <td>
                    {r.status === "open" ? (
                      <Form method="post">
                        <input type="hidden" name="intent" value="withdraw" />
                        <input type="hidden" name="requestId" value={r.id} />
                        <button type="submit" className="button-secondary">
                          {t("capacity.withdraw")}
                        </button>
                      </Form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <FormErrors result={result} intent="withdraw" />
      </section>
    </>
  );
}
