import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import {
  CapacitySettingsSchema,
  CreatorWeightSchema,
  createFactory,
  getLeadTimeReport,
  listAllocationJobs,
  listFlaggedAllocations,
  FactoryActiveSchema,
  FactorySchema,
  listAllocationRuns,
  listCapacityRequests,
  listCreatorWeights,
  listFactories,
  listWindows,
  QuarterWindowsSchema,
  RunRequestSchema,
  setCapacitySettings,
  setCreatorWeight,
  setFactoryActive,
  setQuarterWindows,
  setWindow,
  startAllocation,
  WindowSchema,
} from "@kiln/capacity";
import { periodFromUrl, requireCoopAdmin, submitIntent } from "../capacity.server";
import { FormErrors, Input, lastValue, type FormResult } from "../components/capacity";
import { Flagged, Jobs, LeadTimes } from "../components/capacity-insights";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Capacity pool · Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const period = periodFromUrl(request, context.rt.clock.now(), membership.coop.timezone);
  const [factories, windows, requests, runs, weights, leadTimes, flagged, jobs] = await Promise.all([
    listFactories(context.rt, ctx),
    listWindows(context.rt, ctx, { periods: [period] }),
    listCapacityRequests(context.rt, ctx, { periods: [period] }),
    listAllocationRuns(context.rt, ctx),
    listCreatorWeights(context.rt, ctx),
    getLeadTimeReport(context.rt, ctx),
    listFlaggedAllocations(context.rt, ctx),
    listAllocationJobs(context.rt, ctx),
  ]);
  return {
    coop: membership.coop,
    period,
    factories,
    windows,
    requests: requests.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    runs: runs.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    weights,
    leadTimes,
    flagged: flagged.map((f) => ({ ...f, flaggedAt: f.flaggedAt.toISOString() })),
    jobs: jobs.map(({ createdAt, updatedAt, ...j }) => ({
      ...j,
      createdAt: createdAt.toISOString(),
      updatedAt: updatedAt.toISOString(),
    })),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const formData = await request.formData();
  const url = new URL(request.url);
  const back = `${url.pathname}${url.search}`;
  const { rt } = context;
  switch (formData.get("intent")) {
    case "factory":
      return submitIntent(
        formData,
        FactorySchema,
        (v) => createFactory(rt, ctx, v),
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.factorySaved" }),
      );
    case "toggle-factory":
      return submitIntent(
        formData,
        FactoryActiveSchema,
        (v) => setFactoryActive(rt, ctx, v),
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.factorySaved" }),
      );
    case "window":
      return submitIntent(
        formData,
        WindowSchema,
        (v) => setWindow(rt, ctx, v),
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.windowSaved" }),
      );
    case "quarter":
      return submitIntent(
        formData,
        QuarterWindowsSchema,
        (v) => setQuarterWindows(rt, ctx, v),
        (result) =>
          redirectWithToast(context, back, {
            kind: "success",
            key: "capacity.quarterSaved",
            params: { weeks: (result as { periods: string[] }).periods.length },
          }),
      );
    case "weight":
      return submitIntent(
        formData,
        CreatorWeightSchema,
        (v) => setCreatorWeight(rt, ctx, v),
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.weightSaved" }),
      );
    case "run":
      return submitIntent(
        formData,
        RunRequestSchema,
        (v) => startAllocation(rt, ctx, v, context.sendAllocationJob ?? null),
        (result) => {
          const started = result as { kind: "run"; runId: string } | { kind: "job"; jobId: string };
          return started.kind === "run"
            ? redirectWithToast(context, `/coop/${params.coopSlug}/capacity/runs/${started.runId}`, {
                kind: "success",
                key: "capacity.runDone",
              })
            : redirectWithToast(context, back, { kind: "success", key: "capacity.runQueued" });
        },
      );
    case "settings":
      return submitIntent(
        formData,
        CapacitySettingsSchema,
        (v) => setCapacitySettings(rt, ctx, v),
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.settingsSaved" }),
      );
    default:
      return notFound();
  }
}

type Data = ReturnType<typeof useLoaderData<typeof loader>>;

function Factories({ factories, result }: { factories: Data["factories"]; result: FormResult }) {
  const t = useT();
  return (
    <section className="card" aria-labelledby="factories-title">
      <h2 id="factories-title">{t("capacity.factories")}</h2>
      {factories.length === 0 ? (
        <p className="empty">{t("capacity.factoriesEmpty")}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{t("capacity.name")}</th>
              <th>{t("capacity.location")}</th>
              <th>{t("capacity.capabilities")}</th>
              <th>{t("capacity.leadTimeDays")}</th>
              <th>{t("capacity.costPerUnit")}</th>
              <th>{t("capacity.status")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {factories.map((f) => (
              <tr key={f.id}>
                <td>{f.name}</td>
                <td>{f.location}</td>
                <td>{f.capabilities.join(", ")}</td>
                <td>{f.leadTimeDays}</td>
                <td>{f.costPerUnitCents}</td>
                <td>
                  {f.isBackup ? t("capacity.backup") : t("capacity.primary")}
                  {f.isActive ? "" : ` · ${t("capacity.paused")}`}
                </td>
                <td>
                  <Form method="post">
                    <input type="hidden" name="intent" value="toggle-factory" />
                    <input type="hidden" name="factoryId" value={f.id} />
                    <input type="hidden" name="isActive" value={String(!f.isActive)} />
                    <button type="submit" className="button-secondary">
                      {f.isActive ? t("capacity.pause") : t("capacity.resume")}
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>{t("capacity.addFactory")}</h3>
      <Form method="post" className="capacity-form">
        <input type="hidden" name="intent" value="factory" />
        <Input label={t("capacity.name")} name="name" required defaultValue={lastValue(result, "factory", "name")} />
        <Input
          label={t("capacity.location")}
          name="location"
          required
          defaultValue={lastValue(result, "factory", "location")}
        />
        <Input
          label={t("capacity.capabilities")}
          name="capabilities"
          hint={t("capacity.capabilitiesHint")}
          required
          defaultValue={lastValue(result, "factory", "capabilities")}
        />
        <Input
          label={t("capacity.leadTimeDays")}
          name="leadTimeDays"
          type="number"
          min={0}
          defaultValue={lastValue(result, "factory", "leadTimeDays") ?? 7}
        />
        <Input
          label={t("capacity.costPerUnit")}
          name="costPerUnitCents"
          type="number"
          min={0}
          defaultValue={lastValue(result, "factory", "costPerUnitCents") ?? 0}
        />
        <div className="field checkbox">
          <label>
            <input type="checkbox" name="isBackup" /> {t("capacity.isBackup")}
          </label>
          <label>
            <input type="checkbox" name="isActive" defaultChecked /> {t("capacity.isActive")}
          </label>
        </div>
        <FormErrors result={result} intent="factory" />
        <button type="submit">{t("capacity.addFactory")}</button>
      </Form>
    </section>
  );
}

function Windows({ data, result }: { data: Data; result: FormResult }) {
  const t = useT();
  const factoryOptions = data.factories.map((f) => (
    <option key={f.id} value={f.id}>
      {f.name}
    </option>
  ));
  return (
    <section className="card" aria-labelledby="windows-title">
      <h2 id="windows-title">{t("capacity.windows", { period: data.period })}</h2>
      {data.windows.length === 0 ? (
        <p className="empty">{t("capacity.windowsEmpty")}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{t("capacity.factory")}</th>
              <th>{t("capacity.capability")}</th>
              <th>{t("capacity.units")}</th>
            </tr>
          </thead>
          <tbody>
            {data.windows.map((w) => (
              <tr key={w.id}>
                <td>{w.factoryName}</td>
                <td>{w.capability}</td>
                <td>{w.units}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>{t("capacity.setWindow")}</h3>
      <Form method="post" className="capacity-form">
        <input type="hidden" name="intent" value="window" />
        <div className="field">
          <label htmlFor="window-factory">{t("capacity.factory")}</label>
          <select id="window-factory" name="factoryId">
            {factoryOptions}
          </select>
        </div>
        <Input
          label={t("capacity.capability")}
          name="capability"
          required
          defaultValue={lastValue(result, "window", "capability")}
        />
        <Input
          label={t("capacity.window")}
          name="period"
          required
          defaultValue={lastValue(result, "window", "period") ?? data.period}
        />
        <Input
          label={t("capacity.units")}
          name="units"
          type="number"
          min={0}
          required
          defaultValue={lastValue(result, "window", "units")}
        />
        <FormErrors result={result} intent="window" />
        <button type="submit">{t("common.save")}</button>
      </Form>
      <h3>{t("capacity.setQuarter")}</h3>
      <Form method="post" className="capacity-form">
        <input type="hidden" name="intent" value="quarter" />
        <div className="field">
          <label htmlFor="quarter-factory">{t("capacity.factory")}</label>
          <select id="quarter-factory" name="factoryId">
            {factoryOptions}
          </select>
        </div>
        <Input
          label={t("capacity.capability")}
          name="capability"
          required
          defaultValue={lastValue(result, "quarter", "capability")}
        />
        <Input
          label={t("capacity.quarter")}
          name="quarter"
          hint={t("capacity.quarterHint")}
          required
          defaultValue={lastValue(result, "quarter", "quarter")}
        />
        <Input
          label={t("capacity.unitsPerWeek")}
          name="units"
          type="number"
          min={0}
          required
          defaultValue={lastValue(result, "quarter", "units")}
        />
        <FormErrors result={result} intent="quarter" />
        <button type="submit">{t("common.save")}</button>
      </Form>
    </section>
  );
}

function Requests({ data }: { data: Data }) {
  const t = useT();
  return (
    <section className="card" aria-labelledby="requests-title">
      <h2 id="requests-title">{t("capacity.requests", { period: data.period })}</h2>
      {data.requests.length === 0 ? (
        <p className="empty">{t("capacity.requestsEmpty")}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>{t("capacity.creator")}</th>
              <th>{t("capacity.capability")}</th>
              <th>{t("capacity.units")}</th>
              <th>{t("capacity.minBatch")}</th>
              <th>{t("capacity.latestShipDate")}</th>
              <th>{t("capacity.status")}</th>
            </tr>
          </thead>
          <tbody>
            {data.requests.map((r) => (
              <tr key={r.id}>
                <td>{r.creatorName}</td>
                <td>{r.capability}</td>
                <td>{r.units}</td>
                <td>{r.minBatch}</td>
                <td>{r.latestShipDate ?? "—"}</td>
                <td>{t(`capacity.status.${r.status}` as MessageKey)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Runs({ data, result }: { data: Data; result: FormResult }) {
  const t = useT();
  return (
    <section className="card" aria-labelledby="run-title">
      <h2 id="run-title">{t("capacity.run")}</h2>
      <p className="muted">{t("capacity.runLead")}</p>
      <Form method="post" className="capacity-form">
        <input type="hidden" name="intent" value="run" />
        <Input label={t("capacity.window")} name="period" required defaultValue={data.period} />
        <div className="field checkbox">
          <label>
            <input type="checkbox" name="allowBackup" /> {t("capacity.allowBackup")}
          </label>
        </div>
        <div className="field checkbox">
          <label>
            <input type="checkbox" name="background" /> {t("capacity.background")}
          </label>
        </div>
        <FormErrors result={result} intent="run" />
        <button type="submit">{t("capacity.runSubmit")}</button>
      </Form>
      <h3>{t("capacity.runs")}</h3>
      {data.runs.length === 0 ? (
        <p className="empty">{t("capacity.runsEmpty")}</p>
      ) : (
        <ul className="list">
          {data.runs.map((r) => (
            <li key={r.id} className="row">
              <span>
                {r.period} · {t(`capacity.runStatus.${r.status}` as MessageKey)} · {t("capacity.method.fair")}:{" "}
                {r.fairUnits} · {t("capacity.method.optimal")}: {r.optimalUnits}
              </span>
              <Link to={`/coop/${data.coop.slug}/capacity/runs/${r.id}`}>{t("capacity.open")}</Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Weights({ data, result }: { data: Data; result: FormResult }) {
  const t = useT();
  return (
    <section className="card" aria-labelledby="weights-title">
      <h2 id="weights-title">{t("capacity.weights")}</h2>
      <p className="muted">{t("capacity.weightsLead")}</p>
      <ul className="list">
        {data.weights.map((c) => (
          <li key={c.id} className="row">
            <span>{c.displayName}</span>
            <Form method="post" className="capacity-form">
              <input type="hidden" name="intent" value="weight" />
              <input type="hidden" name="creatorId" value={c.id} />
              <Input
                label={t("capacity.weightOf", { name: c.displayName })}
                name="weight"
                type="number"
                min={0.01}
                step={0.01}
                required
                defaultValue={c.weight}
              />
              <button type="submit" className="button-secondary">
                {t("common.save")}
              </button>
            </Form>
          </li>
        ))}
      </ul>
      <FormErrors result={result} intent="weight" />
    </section>
  );
}

export default function CapacityPool() {
  const t = useT();
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  return (
    <>
      <section className="card">
        <h1>{t("capacity.title", { name: data.coop.name })}</h1>
        <p className="muted">{t("capacity.lead", { timezone: data.coop.timezone })}</p>
        <Form method="get" className="inline-form">
          <Input label={t("capacity.window")} name="period" defaultValue={data.period} />
          <button type="submit" className="button-secondary">
            {t("capacity.show")}
          </button>
        </Form>
      </section>
      <Flagged rows={data.flagged} />
      <Jobs jobs={data.jobs} coopSlug={data.coop.slug} />
      <Factories factories={data.factories} result={result} />
      <Windows data={data} result={result} />
      <Requests data={data} />
      <Weights data={data} result={result} />
      <Runs data={data} result={result} />
      <LeadTimes report={data.leadTimes} result={result} />
    </>
  );
}
