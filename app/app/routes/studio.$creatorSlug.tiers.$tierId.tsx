import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  getTierWorkspace,
  localeOf,
  publishTier,
  saveTermsDraft,
  starterTermsForm,
  submitTermsVersion,
  termsFromForm,
  TermsFormSchema,
  termsToForm,
} from "@kiln/compliance";
import { requireCreatorTeam, submitIntent } from "../capacity.server";
import { renderOrderPage } from "../compliance.server";
import { FormErrors, resultFor, type FormResult } from "../components/capacity";
import { FindingsTable } from "../components/findings-table";
import { OrderSummary } from "../components/order-summary";
import { TermsFields } from "../components/terms-form";
import { notFound } from "../errors.server";
import { useLocale, useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Tier · Kiln" }];

const SubmitSchema = z.object({ termsVersionId: z.uuid() });
const PublishSchema = z.object({});

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const creator = membership.creator ?? notFound();
  const workspace = await getTierWorkspace(context.rt, ctx, params.tierId ?? "", renderOrderPage).catch(() =>
    notFound(),
  );
  return {
    creator,
    isOwner: membership.role === "creator_owner",
    ...workspace,
    previews: workspace.jurisdictions.map((j) => ({ jurisdiction: j, locale: localeOf(j) })),
    formValues: workspace.current ? termsToForm(workspace.current.terms) : starterTermsForm(creator.displayName),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const tierId = params.tierId ?? "";
  const formData = await request.formData();
  const back = new URL(request.url).pathname;
  switch (formData.get("intent")) {
    case "save":
      return submitIntent(
        formData,
        TermsFormSchema,
        (v) => saveTermsDraft(context.rt, ctx, { tierId, terms: termsFromForm(v) }),
        () => redirectWithToast(context, back, { kind: "success", key: "tiers.saved" }),
      );
    case "submit":
      return submitIntent(
        formData,
        SubmitSchema,
        (v) => submitTermsVersion(context.rt, ctx, v, renderOrderPage),
        () => redirectWithToast(context, back, { kind: "success", key: "tiers.submitted" }),
      );
    case "publish":
      return submitIntent(
        formData,
        PublishSchema,
        () => publishTier(context.rt, ctx, tierId, renderOrderPage),
        () => redirectWithToast(context, back, { kind: "success", key: "tiers.published" }),
      );
    default:
      return notFound();
  }
}

export default function StudioTier() {
  const t = useT();
  const locale = useLocale();
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  const { creator, tier, current, findings, publish, isOwner } = data;
  const shown = findings.filter((f) => f.status === "fail" || f.status === "warn");
  const saveResult = resultFor(result, "save");
  const values = saveResult?.initialValue ? (saveResult.initialValue as typeof data.formValues) : data.formValues;
  return (
    <>
      <section className="card">
        <p>
          <Link to={`/studio/${creator.slug}/tiers`}>← {t("tiers.back")}</Link>
        </p>
        <h1>{tier.name}</h1>
        <p className="muted">
          {t(`tiers.status.${tier.status as "draft" | "live" | "retired"}`)} · {tier.jurisdictions.join(", ")}
          {current
            ? ` · ${t("tiers.versionStatus", { version: current.version, status: t(`review.status.${current.status}`) })}`
            : ` · ${t("tiers.noTerms")}`}
        </p>
        {current?.rereviewReason ? <p className="error">{current.rereviewReason}</p> : null}
        {data.reviews.length ? (
          <ul className="list">
            {data.reviews.map((r, i) => (
              <li key={i}>
                {t(`review.decision.${r.decision}`)} · {t("review.round", { round: r.round })}
                {r.comment ? ` · ${r.comment}` : ""}
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      <section className="card" aria-labelledby="publish-title">
        <h2 id="publish-title">{t("tiers.publishTitle")}</h2>
        {publish.ok ? (
          <p>{tier.status === "live" ? t("tiers.isLive") : t("tiers.canPublish")}</p>
        ) : (
          <>
            <p className="error">{t("tiers.blocked")}</p>
            <ul className="list" data-testid="blockers">
              {publish.blockers.map((b, i) => (
                <li key={i}>
                  {b.ruleId ? (
                    <code>
                      {b.jurisdiction} {b.ruleId}
                    </code>
                  ) : null}{" "}
                  {b.message[locale]}
                  {b.detail ? <small className="muted"> ({b.detail})</small> : null}
                  {b.fix ? (
                    <>
                      <br />
                      <em>{b.fix[locale]}</em>
                    </>
                  ) : null}
                  {b.citation ? (
                    <>
                      <br />
                      <small>
                        {t("review.citation")}: {b.citation}
                      </small>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        )}
        {isOwner && tier.status !== "live" ? (
          <Form method="post">
            <input type="hidden" name="intent" value="publish" />
            <FormErrors result={result} intent="publish" />
            <button type="submit" disabled={!publish.ok}>
              {t("tiers.publish")}
            </button>
          </Form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="findings-title">
        <h2 id="findings-title">{t("review.findings")}</h2>
        {current?.status === "draft" ? <p className="muted">{t("tiers.draftFindings")}</p> : null}
        {!current ? (
          <p className="empty">{t("tiers.noTerms")}</p>
        ) : shown.length === 0 ? (
          <p>{t("tiers.allPass")}</p>
        ) : (
          <FindingsTable findings={shown} />
        )}
        {isOwner && current?.status === "draft" ? (
          <Form method="post">
            <input type="hidden" name="intent" value="submit" />
            <input type="hidden" name="termsVersionId" value={current.id} />
            <FormErrors result={result} intent="submit" />
            <button type="submit">{t("tiers.submit")}</button>
          </Form>
        ) : null}
      </section>

      {current ? (
        <section className="card" aria-labelledby="preview-title">
          <h2 id="preview-title">{t("tiers.preview")}</h2>
          {data.previews.map((p) => (
            <div key={p.jurisdiction} className="order-preview" data-jurisdiction={p.jurisdiction}>
              <h3>{t("tiers.previewFor", { jurisdiction: p.jurisdiction })}</h3>
              <fieldset disabled>
                <OrderSummary terms={current.terms} locale={p.locale} asOf={new Date(data.at)} action="#" />
              </fieldset>
            </div>
          ))}
        </section>
      ) : null}

      <section className="card" aria-labelledby="terms-title">
        <h2 id="terms-title">{current && current.status !== "draft" ? t("tiers.newVersion") : t("tiers.editTerms")}</h2>
        <Form method="post" className="terms-form">
          <input type="hidden" name="intent" value="save" />
          <TermsFields values={values} />
          <FormErrors result={result} intent="save" />
          <button type="submit">{t("tiers.saveDraft")}</button>
        </Form>
      </section>
    </>
  );
}
