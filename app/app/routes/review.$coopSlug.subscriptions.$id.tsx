import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { getSubscriptionRecord } from "@kiln/rights";
import { throwAsPage } from "../billing.server";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { utcMinute } from "../components/rights-lists";
import { requireReviewerOf } from "../review.server";
import { downloadHref } from "./review.$coopSlug.evidence";

export const meta: MetaFunction = () => [{ title: "Subscription record · Kiln" }];

/** A subscription's record for the reviewer: notices timeline, consents, declarations, evidence export. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { coop, actor } = await requireReviewerOf(context, request, params.coopSlug);
  const record = await getSubscriptionRecord(context.rt, actor, params.id ?? "").catch(throwAsPage);
  return { coop, ...record };
}

export default function SubscriptionRecord() {
  const t = useT();
  const { coop, subscription: s, consents, timeline } = useLoaderData<typeof loader>();
  const scope = { subscriptionId: s.id };
  return (
    <section className="card">
      <p>
        <Link to={`/review/${coop.slug}/evidence`}>← {t("evidence.title")}</Link>
      </p>
      <h1>{t("evidence.subscriptionTitle", { tier: s.tierName, email: s.memberEmail })}</h1>
      <p>
        {t("evidence.status", { status: s.status })}
        {s.currentPeriodEnd ? ` · ${t("evidence.periodEnd", { date: utcMinute(s.currentPeriodEnd) })}` : ""}
        {s.cancelAtPeriodEnd ? ` · ${t("evidence.cancelAtPeriodEnd")}` : ""}
      </p>
      <h2>{t("evidence.export")}</h2>
      <p className="row">
        <a className="button" href={downloadHref(coop.slug, scope, "json")} download>
          {t("evidence.downloadJson")}
        </a>
        <a className="button" href={downloadHref(coop.slug, scope, "pdf")} download>
          {t("evidence.downloadPdf")}
        </a>
      </p>
      <h2>{t("evidence.timeline")}</h2>
      {timeline.length === 0 ? (
        <p className="empty">{t("evidence.timelineEmpty")}</p>
      ) : (
        <table data-testid="timeline">
          <tbody>
            {timeline.map((e) => (
              <tr key={`${e.kind}-${e.id}`} data-kind={e.kind}>
                <td>
                  <code>{utcMinute(e.at)}</code>
                </td>
                <td>{t(`evidence.event.${e.kind}` as MessageKey)}</td>
                <td>
                  {e.kind === "notice" ? (
                    <>
                      {t(`notices.kind.${e.noticeKind}` as MessageKey)} · {e.status} ·{" "}
                      {t("evidence.due", { date: utcMinute(e.dueAt) })}
                      {e.sentAt ? ` · ${t("evidence.sent", { date: utcMinute(e.sentAt) })}` : ""} ·{" "}
                      <code>{e.template}</code> · {e.language} · {e.channel}
                    </>
                  ) : e.kind === "refund" ? (
                    <>
                      {t(`rights.refundStatus.${e.status}` as MessageKey)} · {(e.amountMinor / 100).toFixed(2)}{" "}
                      {e.currency.toUpperCase()} · {t("rights.dueBy", { date: utcMinute(e.dueBy) })}
                    </>
                  ) : e.kind === "cancellation" ? (
                    <>
                      {t(`rights.kind.${e.detail}` as MessageKey)}
                      {e.endsAt ? ` · ${t("rights.endsAt", { date: utcMinute(e.endsAt) })}` : ""}
                    </>
                  ) : e.kind === "withdrawal" ? (
                    <>
                      {t(`rights.outcome.${e.detail}` as MessageKey)}
                      {e.acknowledgedAt ? ` · ${t("rights.acknowledged", { date: utcMinute(e.acknowledgedAt) })}` : ""}
                    </>
                  ) : (
                    e.detail
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t("evidence.consents")}</h2>
      {consents.map((c) => (
        <details key={c.id}>
          <summary>
            <code>{utcMinute(c.consentedAt)}</code> · {c.jurisdiction} · {c.locale} · “{c.buttonLabel}” ·{" "}
            <code>{c.disclosureHash.slice(0, 12)}</code>
          </summary>
          <pre className="wrap">{c.disclosureText}</pre>
        </details>
      ))}
    </section>
  );
}
