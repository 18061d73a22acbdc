import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  activateModel,
  ArmWeightsInputSchema,
  listExperiments,
  listModels,
  MIN_HOLDOUT_PERCENT,
  requestTraining,
  rollbackModel,
  setArmWeights,
} from "@kiln/personalization";
import { requireCoopAdmin, submitIntent } from "../capacity.server";
import { FormErrors, Input, lastValue, type FormResult } from "../components/capacity";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Personalised offers · Kiln" }];

interface CardMetrics {
  model?: { auc?: number; ndcg5?: number };
  baseline?: { auc?: number; ndcg5?: number };
  beatsBaseline?: { auc?: boolean; ndcg5?: boolean };
}

/** The held-out metrics the model card carries (train/model-card.ts), when it has them. */
function metricsOf(card: Record<string, unknown>) {
  const m = (card.metrics ?? {}) as CardMetrics;
  const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : null);
  return {
    auc: num(m.model?.auc),
    ndcg5: num(m.model?.ndcg5),
    baselineAuc: num(m.baseline?.auc),
    baselineNdcg5: num(m.baseline?.ndcg5),
    beats: m.beatsBaseline ? Boolean(m.beatsBaseline.auc && m.beatsBaseline.ndcg5) : null,
  };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * The co-op admin's offer-ranker registry (issue 9 §3): versions, activate, roll back, train now; and
 * the experiment's arm weights (decision 021: each change starts a new experiment version).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const [models, experiments] = await Promise.all([listModels(context.rt, ctx), listExperiments(context.rt, ctx)]);
  return {
    coop: { slug: membership.coop.slug, name: membership.coop.name },
    canTrain: Boolean(context.sendTrainJob),
    minHoldout: MIN_HOLDOUT_PERCENT,
    experiments: experiments.map((e) => ({
      version: e.version,
      weights: { ...e.weights },
      startedAt: iso(e.startedAt),
      endedAt: iso(e.endedAt),
      current: e.current,
      stored: e.stored,
    })),
    models: models.map((m) => ({
      id: m.id,
      version: m.version,
      status: m.status,
      sha256: m.sha256,
      bytes: m.bytes,
      featureSpec: m.featureSpec,
      trainedAt: m.trainedAt.toISOString(),
      activatedAt: m.activatedAt?.toISOString() ?? null,
      metrics: metricsOf(m.card),
    })),
  };
}

const ActivateSchema = z.object({ version: z.string({ error: "Choose a version" }).min(1).max(100) });
const EmptySchema = z.object({});

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const formData = await request.formData();
  const intent = formData.get("intent");
  const back = `/coop/${params.coopSlug}/personalization`;
  if (intent === "activate")
    return submitIntent(
      formData,
      ActivateSchema,
      (v) => activateModel(context.rt, ctx, v),
      (r) =>
        redirectWithToast(context, back, {
          kind: "success",
          key: "models.activated",
          params: { version: (r as { version: string }).version },
        }),
    );
  if (intent === "rollback")
    return submitIntent(
      formData,
      EmptySchema,
      () => rollbackModel(context.rt, ctx),
      (r) =>
        redirectWithToast(context, back, {
          kind: "success",
          key: "models.rolledBack",
          params: { version: (r as { version: string }).version },
        }),
    );
  if (intent === "weights")
    return submitIntent(
      formData,
      ArmWeightsInputSchema,
      (v) => setArmWeights(context.rt, ctx, v),
      (r) =>
        redirectWithToast(context, back, {
          kind: "success",
          key: "experiment.saved",
          params: { version: (r as { version: number }).version },
        }),
    );
  if (intent === "train")
    return submitIntent(
      formData,
      EmptySchema,
      () => requestTraining(context.rt, ctx, context.sendTrainJob ?? null),
      () => redirectWithToast(context, back, { kind: "info", key: "models.trainQueued" }),
    );
  notFound();
}

const fmt = (x: number | null) => (x === null ? "—" : x.toFixed(3));
const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—");

type ExperimentRow = ReturnType<typeof useLoaderData<typeof loader>>["experiments"][number];

/** The experiment's arm weights: the current version, a form to start the next, the versions so far. */
function ExperimentSection({
  experiments,
  minHoldout,
  result,
}: {
  experiments: ExperimentRow[];
  minHoldout: number;
  result: FormResult;
}) {
  const t = useT();
  const current = experiments.find((e) => e.current) ?? experiments[0]!;
  const value = (name: "device" | "server" | "holdout") => lastValue(result, "weights", name) ?? current.weights[name];
  return (
    <section className="card" aria-labelledby="experiment-title">
      <h2 id="experiment-title">{t("experiment.title")}</h2>
      <p>{t("experiment.lead")}</p>
      <p data-testid="experiment-current">
        {current.stored
          ? t("experiment.current", { version: current.version, since: when(current.startedAt) })
          : t("experiment.currentDefault")}
      </p>
      {current.weights.holdout === 0 && (
        <p className="toast toast-error" role="status" data-testid="no-holdout-warning">
          {t("experiment.noHoldoutWarning")}
        </p>
      )}
      <Form method="post" data-testid="experiment-form">
        <input type="hidden" name="intent" value="weights" />
        {(["device", "server", "holdout"] as const).map((arm) => (
          <Input
            key={arm}
            label={t(`experiment.${arm}`)}
            name={arm}
            type="number"
            min={0}
            step={1}
            defaultValue={value(arm)}
            hint={
              arm === "holdout"
                ? `${t("experiment.sumHint")} ${t("experiment.holdoutHint", { min: minHoldout })}`
                : undefined
            }
            required
          />
        ))}
        <label className="checkbox">
          <input type="checkbox" name="noHoldout" /> {t("experiment.noHoldout")}
        </label>
        <FormErrors result={result} intent="weights" />
        <button type="submit">{t("experiment.save")}</button>
      </Form>
      <h3>{t("experiment.versions")}</h3>
      <table data-testid="experiment-versions">
        <thead>
          <tr>
            <th scope="col">{t("experiment.version")}</th>
            <th scope="col">{t("experiment.shares")}</th>
            <th scope="col">{t("experiment.started")}</th>
            <th scope="col">{t("experiment.ended")}</th>
          </tr>
        </thead>
        <tbody>
          {experiments.map((e) => (
            <tr key={e.version} data-version={e.version}>
              <th scope="row">{e.version}</th>
              <td>
                {e.weights.device} / {e.weights.server} / {e.weights.holdout} %
              </td>
              <td>{when(e.startedAt)}</td>
              <td>{e.current ? t("experiment.running") : when(e.endedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export default function CoopPersonalization() {
  const t = useT();
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  const hasActive = data.models.some((m) => m.status === "active");
  return (
    <>
      <section className="card">
        <p>
          <Link to={`/coop/${data.coop.slug}`}>← {data.coop.name}</Link>
        </p>
        <h1>{t("models.title")}</h1>
        <p>{t("models.lead")}</p>
        <Form method="post" className="inline">
          <input type="hidden" name="intent" value="train" />
          <button type="submit" disabled={!data.canTrain}>
            {t("models.train")}
          </button>
        </Form>{" "}
        {hasActive && (
          <Form method="post" className="inline">
            <input type="hidden" name="intent" value="rollback" />
            <button type="submit">{t("models.rollback")}</button>
          </Form>
        )}
        <FormErrors result={result} intent="train" />
        <FormErrors result={result} intent="rollback" />
        <FormErrors result={result} intent="activate" />
      </section>
      <ExperimentSection experiments={data.experiments} minHoldout={data.minHoldout} result={result} />
      <section className="card" aria-labelledby="models-title">
        <h2 id="models-title">{t("models.version")}</h2>
        {data.models.length === 0 ? (
          <p className="empty">{t("models.none")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>{t("models.version")}</th>
                <th>{t("models.status")}</th>
                <th>{t("models.trainedAt")}</th>
                <th>{t("models.metrics")}</th>
                <th>{t("models.sha")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.models.map((m) => (
                <tr key={m.id} data-model={m.version} data-status={m.status}>
                  <td>
                    <code>{m.version}</code>
                  </td>
                  <td>{t(`models.status.${m.status}` as MessageKey)}</td>
                  <td>{m.trainedAt.slice(0, 16).replace("T", " ")} UTC</td>
                  <td>
                    {fmt(m.metrics.auc)} / {fmt(m.metrics.ndcg5)} ({fmt(m.metrics.baselineAuc)} /{" "}
                    {fmt(m.metrics.baselineNdcg5)})
                    {m.metrics.beats !== null && (
                      <>
                        <br />
                        <small className="muted">{m.metrics.beats ? t("models.beats") : t("models.notBeats")}</small>
                      </>
                    )}
                  </td>
                  <td>
                    <code title={m.sha256}>{m.sha256.slice(0, 12)}…</code>
                  </td>
                  <td>
                    {m.status !== "active" && (
                      <Form method="post" className="inline">
                        <input type="hidden" name="intent" value="activate" />
                        <input type="hidden" name="version" value={m.version} />
                        <button type="submit">{t("models.activate")}</button>
                      </Form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
