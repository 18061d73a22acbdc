import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { activateModel, listModels, requestTraining, rollbackModel } from "@kiln/personalization";
import { requireCoopAdmin, submitIntent } from "../capacity.server";
import { FormErrors, type FormResult } from "../components/capacity";
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

/** The co-op admin's offer-ranker registry (issue 9 §3): versions, activate, roll back, train now. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const models = await listModels(context.rt, ctx);
  return {
    coop: { slug: membership.coop.slug, name: membership.coop.name },
    canTrain: Boolean(context.sendTrainJob),
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
