import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  ApplicationFeeSchema,
  DunningPolicySchema,
  getCoopBillingAdmin,
  retryDeadLetter,
  RetryDeadLetterSchema,
  runReconciliationNow,
  setApplicationFee,
  setDunningPolicy,
} from "@kiln/billing";
import { requireBilling } from "../billing.server";
import { requireCoopAdmin, submitIntent } from "../capacity.server";
import { FormErrors, Input, lastValue, type FormResult } from "../components/capacity";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Co-op billing · Kiln" }];

/** The co-op admin's billing (issue 5 §8): application fee, dead-lettered webhook events, reconciliation reports. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const admin = await getCoopBillingAdmin(context.rt, ctx);
  return {
    coop: { slug: membership.coop.slug, name: membership.coop.name },
    settings: admin.settings,
    deadLetters: admin.deadLetters.map((d) => ({
      ...d,
      receivedAt: d.receivedAt.toISOString(),
      deadLetteredAt: d.deadLetteredAt.toISOString(),
    })),
    reconciliations: admin.reconciliations.map((r) => ({
      id: r.id,
      trigger: r.trigger,
      checked: r.checked,
      repaired: r.repaired,
      differences: r.differences,
      error: r.error,
      startedAt: r.startedAt.toISOString(),
    })),
  };
}

const RunSchema = z.object({});

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCoopAdmin(context, request, params.coopSlug);
  const formData = await request.formData();
  const intent = formData.get("intent");
  const back = `/coop/${params.coopSlug}/billing`;
  const appUrl = context.config.appUrl;
  if (intent === "fee")
    return submitIntent(
      formData,
      ApplicationFeeSchema,
      (v) => setApplicationFee(context.rt, ctx, v),
      () => redirectWithToast(context, back, { kind: "success", key: "billingOps.fee.saved" }),
    );
  if (intent === "dunning")
    return submitIntent(
      formData,
      DunningPolicySchema,
      (v) => setDunningPolicy(context.rt, ctx, v),
      () => redirectWithToast(context, back, { kind: "success", key: "billingOps.dunning.saved" }),
    );
  if (intent === "retry")
    return submitIntent(
      formData,
      RetryDeadLetterSchema,
      (v) => retryDeadLetter(context.rt, requireBilling(context).stripe, ctx, v, { appUrl }),
      (result) =>
        redirectWithToast(context, back, {
          kind: "info",
          key: "billingOps.dead.retried",
          params: { result: String(result) },
        }),
    );
  if (intent === "reconcile")
    return submitIntent(
      formData,
      RunSchema,
      () => runReconciliationNow(context.rt, requireBilling(context).stripe, ctx, { appUrl }),
      (report) => {
        const r = report as { checked: number; repaired: number };
        return redirectWithToast(context, back, {
          kind: "success",
          key: "billingOps.recon.done",
          params: { checked: r.checked, repaired: r.repaired },
        });
      },
    );
  notFound();
}

export default function CoopBilling() {
  const t = useT();
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  return (
    <>
      <section className="card">
        <p>
          <Link to={`/coop/${data.coop.slug}`}>← {data.coop.name}</Link>
        </p>
        <h1>{t("billingOps.coop.title", { name: data.coop.name })}</h1>
      </section>
      <section className="card" aria-labelledby="fee-title">
        <h2 id="fee-title">{t("billingOps.fee.title")}</h2>
        <Form method="post">
          <input type="hidden" name="intent" value="fee" />
          <Input
            label={t("billingOps.fee.label")}
            name="applicationFeeBps"
            type="number"
            min={0}
            step={1}
            defaultValue={lastValue(result, "fee", "applicationFeeBps") ?? data.settings.applicationFeeBps}
            hint={t("billingOps.fee.hint", { percent: `${(data.settings.applicationFeeBps / 100).toFixed(2)} %` })}
          />
          <FormErrors result={result} intent="fee" />
          <button type="submit">{t("common.save")}</button>
        </Form>
      </section>
      <section className="card" aria-labelledby="dunning-title">
        <h2 id="dunning-title">{t("billingOps.dunning.title")}</h2>
        <Form method="post">
          <input type="hidden" name="intent" value="dunning" />
          <Input
            label={t("billingOps.dunning.grace")}
            name="graceDays"
            type="number"
            min={0}
            step={1}
            defaultValue={lastValue(result, "dunning", "graceDays") ?? data.settings.graceDays}
          />
          <fieldset className="field">
            <legend>{t("billingOps.dunning.action")}</legend>
            {(["cancel", "mark_unpaid"] as const).map((action) => (
              <label key={action}>
                <input
                  type="radio"
                  name="finalAction"
                  value={action}
                  defaultChecked={(lastValue(result, "dunning", "finalAction") ?? data.settings.finalAction) === action}
                />{" "}
                {t(`billingOps.dunning.action.${action}`)}
              </label>
            ))}
          </fieldset>
          <p className="hint">{t("billingOps.dunning.hint")}</p>
          <FormErrors result={result} intent="dunning" />
          <button type="submit">{t("common.save")}</button>
        </Form>
      </section>
      <section className="card" aria-labelledby="dead-title">
        <h2 id="dead-title">{t("billingOps.dead.title")}</h2>
        <FormErrors result={result} intent="retry" />
        {data.deadLetters.length === 0 ? (
          <p className="empty">{t("billingOps.dead.empty")}</p>
        ) : (
          <ul className="list">
            {data.deadLetters.map((d) => (
              <li key={d.stripeEventId} data-dead-letter={d.stripeEventId}>
                <code>{d.stripeEventId}</code>{" "}
                {t("billingOps.dead.row", { type: d.type, attempts: d.attempts, error: d.lastError ?? "—" })}
                <Form method="post" className="inline">
                  <input type="hidden" name="intent" value="retry" />
                  <input type="hidden" name="stripeEventId" value={d.stripeEventId} />
                  <button type="submit">{t("billingOps.dead.retry")}</button>
                </Form>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="recon-title">
        <h2 id="recon-title">{t("billingOps.recon.title")}</h2>
        <Form method="post">
          <input type="hidden" name="intent" value="reconcile" />
          <button type="submit">{t("billingOps.recon.run")}</button>
        </Form>
        <FormErrors result={result} intent="reconcile" />
        {data.reconciliations.length === 0 ? (
          <p className="empty">{t("billingOps.recon.empty")}</p>
        ) : (
          <ul className="list">
            {data.reconciliations.map((r) => (
              <li key={r.id} data-reconciliation={r.id}>
                {t("billingOps.recon.row", {
                  when: r.startedAt.slice(0, 16).replace("T", " "),
                  trigger: t(`billingOps.recon.trigger.${r.trigger}` as MessageKey),
                  checked: r.checked,
                  repaired: r.repaired,
                })}
                {r.differences.length ? (
                  <ul>
                    {r.differences.map((d, i) => (
                      <li key={i}>
                        {d.kind} · {d.object}: {d.kiln ?? "—"} → {d.stripe ?? "—"}
                      </li>
                    ))}
                  </ul>
                ) : null}
                {r.error ? <p className="form-error">{t("billingOps.recon.error", { error: r.error })}</p> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
