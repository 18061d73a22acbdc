import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import {
  AdjustAllocationSchema,
  adjustAllocation,
  getAllocationRun,
  lockAllocationRun,
  LockRunSchema,
} from "@kiln/capacity";
import { requireCoopAdmin, submitIntent } from "../capacity.server";
import { Explanation, FormErrors, Input, percent, type FormResult } from "../components/capacity";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

/** The two plans, in the order they are shown (browser code: no server package import). */
const METHODS = ["fair", "optimal"] as const;

export const meta: MetaFunction = () => [{ title: "Allocation run · Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const run = await getAllocationRun(context.rt, ctx, params.runId ?? "");
  return {
    coop: membership.coop,
    run: { ...run, createdAt: run.createdAt.toISOString(), lockedAt: run.lockedAt?.toISOString() ?? null },
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const formData = await request.formData();
  const back = new URL(request.url).pathname;
  switch (formData.get("intent")) {
    case "lock":
      return submitIntent(
        formData,
        LockRunSchema,
        async (v) => {
          const { emailsQueued } = await lockAllocationRun(context.rt, ctx, v, { appUrl: context.config.appUrl });
          if (emailsQueued > 0) context.notifyOutbox();
        },
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.locked" }),
      );
    case "adjust":
      return submitIntent(
        formData,
        AdjustAllocationSchema,
        (v) => adjustAllocation(context.rt, ctx, v),
        () => redirectWithToast(context, back, { kind: "success", key: "capacity.adjusted" }),
      );
    default:
      return notFound();
  }
}

type Run = ReturnType<typeof useLoaderData<typeof loader>>["run"];
type PlanData = Run["plans"]["fair"];

function PlanColumn({ run, plan }: { run: Run; plan: PlanData }) {
  const t = useT();
  const solver = plan.summary.solver;
  return (
    <section className="card" aria-labelledby={`plan-${plan.method}`}>
      <h2 id={`plan-${plan.method}`}>{t(`capacity.method.${plan.method}` as MessageKey)}</h2>
      <p>
        <strong>
          {t("capacity.total", { allocated: plan.summary.totalUnits, requested: plan.summary.requestedUnits })}
        </strong>
      </p>
      {solver ? (
        <p className="muted">
          {t("capacity.solver", {
            status: solver.status,
            gap: solver.mipGap === null ? "—" : solver.mipGap.toExponential(1),
            seconds: solver.solveSeconds.toFixed(2),
          })}
          {solver.message ? ` ${solver.message}` : ""}
        </p>
      ) : null}
      <h3>{t("capacity.outcomes")}</h3>
      <table className="table">
        <thead>
          <tr>
            <th>{t("capacity.creator")}</th>
            <th>{t("capacity.requested")}</th>
            <th>{t("capacity.fairShare")}</th>
            <th>{t("capacity.allocated")}</th>
            <th>{t("capacity.boundBy")}</th>
          </tr>
        </thead>
        <tbody>
          {plan.outcomes.map((o) => (
            <tr key={o.requestId}>
              <td>
                {o.creatorName} · {o.capability}
                <Explanation parts={o.parts} />
              </td>
              <td>{o.requested}</td>
              <td>{Math.round(o.fairShare * 10) / 10}</td>
              <td>{o.allocated}</td>
              <td>{t(`capacity.bound.${o.boundBy}` as MessageKey)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t("capacity.utilisation")}</h3>
      <table className="table">
        <thead>
          <tr>
            <th>{t("capacity.factory")}</th>
            <th>{t("capacity.capability")}</th>
            <th>{t("capacity.allocated")}</th>
            <th>{t("capacity.units")}</th>
            <th>%</th>
          </tr>
        </thead>
        <tbody>
          {plan.utilisation.map((u) => (
            <tr key={`${u.factoryId}-${u.capability}`}>
              <td>{u.factoryName}</td>
              <td>{u.capability}</td>
              <td>{u.allocated}</td>
              <td>{u.capacity}</td>
              <td>{percent(u.utilisation)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {run.status === "draft" ? (
        <Form method="post">
          <input type="hidden" name="intent" value="lock" />
          <input type="hidden" name="runId" value={run.id} />
          <input type="hidden" name="method" value={plan.method} />
          <button type="submit">{t("capacity.lock")}</button>
        </Form>
      ) : null}
    </section>
  );
}

function AdjustForm({ run, result }: { run: Run; result: FormResult }) {
  const t = useT();
  const factories = new Map(run.plans.fair.utilisation.map((u) => [u.factoryId, u.factoryName]));
  return (
    <section className="card" aria-labelledby="adjust-title">
      <h2 id="adjust-title">{t("capacity.adjust")}</h2>
      <p className="muted">{t("capacity.adjustHint")}</p>
      <Form method="post" className="capacity-form">
        <input type="hidden" name="intent" value="adjust" />
        <input type="hidden" name="runId" value={run.id} />
        <div className="field">
          <label htmlFor="adjust-method">{t("capacity.method")}</label>
          <select id="adjust-method" name="method">
            {METHODS.map((m) => (
              <option key={m} value={m}>
                {t(`capacity.method.${m}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="adjust-request">{t("capacity.request")}</label>
          <select id="adjust-request" name="requestId">
            {run.plans.fair.outcomes.map((o) => (
              <option key={o.requestId} value={o.requestId}>
                {o.creatorName} · {o.capability} · {o.requested}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="adjust-factory">{t("capacity.factory")}</label>
          <select id="adjust-factory" name="factoryId">
            {[...factories].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <Input label={t("capacity.units")} name="units" type="number" min={0} required />
        <FormErrors result={result} intent="adjust" />
        <button type="submit">{t("common.save")}</button>
      </Form>
    </section>
  );
}

export default function AllocationRun() {
  const t = useT();
  const { coop, run } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  return (
    <>
      <section className="card">
        <p>
          <Link to={`/coop/${coop.slug}/capacity?period=${run.period}`}>{t("capacity.back")}</Link>
        </p>
        <h1>{t("capacity.runTitle", { period: run.period })}</h1>
        <p className="muted">
          {t(`capacity.runStatus.${run.status}` as MessageKey)}
          {run.lockedMethod
            ? ` · ${t("capacity.lockedMethod", { method: t(`capacity.method.${run.lockedMethod}` as MessageKey) })}`
            : ""}
          {run.allowBackup ? ` · ${t("capacity.allowBackup")}` : ""}
        </p>
        <FormErrors result={result} intent="lock" />
      </section>
      <div className="columns">
        {METHODS.map((m) => (
          <PlanColumn key={m} run={run} plan={run.plans[m]} />
        ))}
      </div>
      {run.status === "draft" ? <AdjustForm run={run} result={result} /> : null}
    </>
  );
}
