import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  diffTermsVersions,
  getTierWorkspace,
  listWaiverRequests,
  localeOf,
  publishTier,
  requestWaiver,
  saveTermsDraft,
  starterTermsForm,
  submitTermsVersion,
  termsFromForm,
  TermsFormSchema,
  termsToForm,
  WaiverRequestSchema,
} from "@kiln/compliance";
import { getConnectStatus, publishTierForSale } from "@kiln/billing";
import { AppError } from "@kiln/core";
import { schedulePriceChange } from "@kiln/rights";
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
const DiffQuery = z.object({ from: z.uuid(), to: z.uuid() });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const creator = membership.creator ?? notFound();
  const workspace = await getTierWorkspace(context.rt, ctx, params.tierId ?? "", renderOrderPage).catch(() =>
    notFound(),
  );
  // The diff between two versions (chosen in the page's compare form; by default the latest two).
  const query = DiffQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  const [latest, previous] = workspace.versions;
  const pair = query.success ? query.data : latest && previous ? { from: previous.id, to: latest.id } : null;
  const diff = pair
    ? await diffTermsVersions(context.rt, ctx, { fromId: pair.from, toId: pair.to }).catch(() => null)
    : null;
  const waiverRequests = await listWaiverRequests(context.rt, ctx, { tierId: workspace.tier.id });
  return {
    creator,
    isOwner: membership.role === "creator_owner",
    ...workspace,
    diff,
    waiverRequests,
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
    case "request-waiver":
      return submitIntent(
        formData,
        WaiverRequestSchema.omit({ tierId: true }),
        (v) => requestWaiver(context.rt, ctx, { ...v, tierId }, renderOrderPage),
        () => redirectWithToast(context, back, { kind: "success", key: "tiers.waiverRequested" }),
      );
    case "publish":
      return submitIntent(
        formData,
        PublishSchema,
        () => publishForSale(context, ctx, tierId),
        () => redirectWithToast(context, back, { kind: "success", key: "tiers.published" }),
      );
    case "announce-price":
      // Issue 5 item 5: the new approved price goes to every member with a notice inside their windows.
      return submitIntent(
        formData,
        PublishSchema,
        () =>
          context.billing
            ? schedulePriceChange(context.rt, context.billing.stripe, ctx, tierId)
            : Promise.reject(new AppError("CONFLICT", "Payments are not set up for this co-op")),
        () => redirectWithToast(context, back, { kind: "success", key: "priceChange.announced" }),
      );
    default:
      return notFound();
  }
}

/**
 * Publishing: with payments set up (Connect enabled) the approved terms are synced to a Stripe Price
 * first, so the live tier can be ordered (billing's publishTierForSale); without, compliance's gate only.
 */
async function publishForSale(
  context: ActionFunctionArgs["context"],
  ctx: Parameters<typeof publishTier>[1],
  tierId: string,
) {
  const connect = context.billing ? await getConnectStatus(context.rt, ctx) : null;
  if (context.billing && connect?.status === "enabled")
    return (await publishTierForSale(context.rt, context.billing.stripe, ctx, tierId, renderOrderPage)).tier;
  return publishTier(context.rt, ctx, tierId, renderOrderPage);
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
        {isOwner && tier.status === "live" ? (
          <Form method="post" data-announce-price="">
            <input type="hidden" name="intent" value="announce-price" />
            <p className="muted">{t("priceChange.announce.hint")}</p>
            <FormErrors result={result} intent="announce-price" />
            <button type="submit">{t("priceChange.announce.button")}</button>
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
          <FindingsTable
            findings={shown}
            actions={(f) => {
              const asked = data.waiverRequests.find(
                (r) => r.jurisdiction === f.jurisdiction && r.ruleId === f.ruleId && r.status === "open",
              );
              if (f.status !== "fail" || f.waiver) return null;
              if (asked) return <p className="muted">{t("tiers.waiverRequest.open")}</p>;
              return (
                <details className="waiver-request">
                  <summary>{t("tiers.requestWaiver")}</summary>
                  <Form method="post">
                    <input type="hidden" name="intent" value="request-waiver" />
                    <input type="hidden" name="jurisdiction" value={f.jurisdiction} />
                    <input type="hidden" name="ruleId" value={f.ruleId} />
                    <label>
                      {t("tiers.requestReason")}
                      <textarea name="reason" rows={2} required minLength={10} maxLength={2000} />
                    </label>
                    <button type="submit">{t("tiers.requestWaiver")}</button>
                  </Form>
                </details>
              );
            }}
          />
        )}
        <FormErrors result={result} intent="request-waiver" />
        {data.waiverRequests.length ? (
          <>
            <h3>{t("tiers.waiverRequests")}</h3>
            <ul className="list" data-testid="waiver-requests">
              {data.waiverRequests.map((r) => (
                <li key={r.id}>
                  <code>
                    {r.jurisdiction} {r.ruleId}
                  </code>{" "}
                  · {t(`tiers.waiverRequest.${r.status as "open" | "granted" | "declined"}`)} · {r.reason}
                  {r.decisionComment ? ` · ${r.decisionComment}` : ""}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {isOwner && current?.status === "draft" ? (
          <Form method="post">
            <input type="hidden" name="intent" value="submit" />
            <input type="hidden" name="termsVersionId" value={current.id} />
            <FormErrors result={result} intent="submit" />
            <button type="submit">{t("tiers.submit")}</button>
          </Form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="diff-title">
        <h2 id="diff-title">{t("tiers.diffTitle")}</h2>
        {data.versions.length < 2 ? (
          <p className="empty">{t("tiers.diffNone")}</p>
        ) : (
          <>
            <Form method="get" className="capacity-form">
              <label>
                {t("tiers.diffFrom")}{" "}
                <select name="from" defaultValue={data.diff?.from.id}>
                  {data.versions.map((v) => (
                    <option key={v.id} value={v.id}>
                      v{v.version}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                {t("tiers.diffTo")}{" "}
                <select name="to" defaultValue={data.diff?.to.id}>
                  {data.versions.map((v) => (
                    <option key={v.id} value={v.id}>
                      v{v.version}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit">{t("tiers.diffCompare")}</button>
            </Form>
            {data.diff ? (
              <div data-testid="terms-diff">
                <h3>{t("review.diff", { from: data.diff.from.version, to: data.diff.to.version })}</h3>
                <p className="muted">{t("review.material", { fields: data.diff.material.join(", ") || "—" })}</p>
                <h4>{t("tiers.diffTerms")}</h4>
                <DiffLines changes={data.diff.terms} />
                <h4>{t("tiers.diffDisclosure")}</h4>
                <DiffLines changes={data.diff.disclosure} />
              </div>
            ) : null}
          </>
        )}
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

/** A line diff: removed lines struck through, added lines marked, unchanged lines as they are. */
function DiffLines({ changes }: { changes: ReadonlyArray<{ kind: "added" | "removed" | "same"; value: string }> }) {
  return (
    <pre className="diff">
      {changes.map((c, i) =>
        c.kind === "added" ? (
          <ins key={i} className="added">
            {c.value}
          </ins>
        ) : c.kind === "removed" ? (
          <del key={i} className="removed">
            {c.value}
          </del>
        ) : (
          <span key={i}>{c.value}</span>
        ),
      )}
    </pre>
  );
}
