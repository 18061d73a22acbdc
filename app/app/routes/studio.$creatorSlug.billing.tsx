import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { getCreatorBilling, type Money } from "@kiln/billing";
import { formatDate, formatMoney } from "@kiln/compliance/disclosure";
import { requireBilling, throwAsPage } from "../billing.server";
import { requireCreatorTeam } from "../capacity.server";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Billing · Kiln" }];

/** The creator's billing (issue 5 §8): Connect, subscribers and their states, disputes, revenue, churn, refunds, payouts. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const creator = membership.creator ?? notFound();
  const periodDays = new URL(request.url).searchParams.get("days") ?? undefined;
  const overview = await getCreatorBilling(context.rt, requireBilling(context).stripe, ctx, {
    periodDays: periodDays && /^\d{1,3}$/.test(periodDays) ? periodDays : undefined,
  }).catch(throwAsPage);
  return {
    creator: { slug: creator.slug, displayName: creator.displayName },
    isOwner: membership.role === "creator_owner",
    ...overview,
    subscribers: overview.subscribers.map((s) => ({
      ...s,
      currentPeriodEnd: s.currentPeriodEnd?.toISOString() ?? null,
      finalAction: s.finalAction ? { action: s.finalAction.action, at: s.finalAction.at.toISOString() } : null,
    })),
    disputes: overview.disputes.map((d) => ({ ...d, createdAt: d.createdAt.toISOString() })),
  };
}

export default function StudioBilling() {
  const t = useT();
  const locale = useLocale();
  const data = useLoaderData<typeof loader>();
  const money = (m: Money) => formatMoney(m.amountMinor, m.currency.toUpperCase(), locale);
  const list = (ms: Money[]) => (ms.length ? ms.map(money).join(", ") : money({ amountMinor: 0, currency: "eur" }));
  const stripeMissing = data.connect && data.connect.status !== "pending" && data.balance === null;
  return (
    <>
      <section className="card">
        <p>
          <Link to={`/studio/${data.creator.slug}`}>← {t("tiers.backToStudio")}</Link>
        </p>
        <h1>{t("billingOps.studio.title", { name: data.creator.displayName })}</h1>
        {stripeMissing ? <p className="muted">{t("billingOps.stripeUnavailable")}</p> : null}
      </section>
      <section className="card" aria-labelledby="connect-title" data-connect-status={data.connect?.status ?? "none"}>
        <h2 id="connect-title">{t("billingOps.connect.title")}</h2>
        {data.connect ? (
          <>
            <p>
              {t("billingOps.connect.status", {
                status: t(`billingOps.connect.status.${data.connect.status}` as MessageKey),
              })}
            </p>
            <p>
              {t("billingOps.connect.payouts", {
                value: t(data.connect.payoutsEnabled ? "billingOps.yes" : "billingOps.no"),
              })}
            </p>
          </>
        ) : (
          <p>{t("billingOps.connect.none")}</p>
        )}
        {data.isOwner && data.connect?.status !== "enabled" ? (
          <Form method="post" action={`/studio/${data.creator.slug}`}>
            <input type="hidden" name="intent" value="connect" />
            <button type="submit">{t("billingOps.connect.onboard")}</button>
          </Form>
        ) : null}
      </section>
      <section className="card" aria-labelledby="subscribers-title">
        <h2 id="subscribers-title">{t("billingOps.subscribers.title")}</h2>
        {data.subscribers.length === 0 ? (
          <p className="empty">{t("billingOps.subscribers.empty")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("billingOps.subscribers.member")}</th>
                <th scope="col">{t("billingOps.subscribers.tier")}</th>
                <th scope="col">{t("billingOps.subscribers.state")}</th>
                <th scope="col">{t("billingOps.subscribers.price")}</th>
                <th scope="col">{t("billingOps.subscribers.until")}</th>
              </tr>
            </thead>
            <tbody>
              {data.subscribers.map((s) => (
                <tr key={s.id} data-subscription={s.id} data-status={s.status} data-disputed={s.dispute ? "yes" : "no"}>
                  <td>{s.memberName}</td>
                  <td>{s.tierName}</td>
                  <td>
                    {s.status}
                    {s.cancelAtPeriodEnd ? ` · ${t("billingOps.subscribers.cancels")}` : ""}
                    {s.finalAction ? (
                      <span data-final-action={s.finalAction.action}>
                        {" "}
                        ·{" "}
                        {t(`billingOps.subscribers.finalAction.${s.finalAction.action}`, {
                          date: formatDate(new Date(s.finalAction.at), locale),
                        })}
                      </span>
                    ) : null}
                    {s.dispute ? (
                      <strong className="form-error">
                        {" "}
                        · {t("billingOps.subscribers.disputed", { status: s.dispute.status })}
                      </strong>
                    ) : null}
                  </td>
                  <td>{money(s.price)}</td>
                  <td>{s.currentPeriodEnd ? formatDate(new Date(s.currentPeriodEnd), locale) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="disputes-title">
        <h2 id="disputes-title">{t("billingOps.disputes.title")}</h2>
        {data.disputes.length === 0 ? (
          <p className="empty">{t("billingOps.disputes.empty")}</p>
        ) : (
          <ul className="list">
            {data.disputes.map((d) => (
              <li key={d.id} data-dispute={d.stripeDisputeId} data-open={d.open ? "yes" : "no"}>
                {d.target ? `${t(`billingOps.disputes.target.${d.target}`)} · ` : ""}
                {t("billingOps.disputes.row", { amount: money(d.amount), reason: d.reason, status: d.status })}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="revenue-title">
        <h2 id="revenue-title">{t("billingOps.revenue.title")}</h2>
        <p>
          {t("billingOps.revenue.mrr")}:{" "}
          <strong data-mrr>{data.mrr.length ? list(data.mrr) : t("billingOps.revenue.none")}</strong>
        </p>
        <p data-churn-bps={data.churn.rateBps}>
          {t("billingOps.revenue.churn", {
            days: data.churn.periodDays,
            canceled: data.churn.canceled,
            active: data.churn.activeNow,
            rate: `${(data.churn.rateBps / 100).toFixed(1)} %`,
          })}
        </p>
        <Form method="get">
          <div className="field">
            <label htmlFor="churn-days">{t("billingOps.revenue.period")}</label>
            <input id="churn-days" name="days" type="number" min={1} max={365} defaultValue={data.churn.periodDays} />
          </div>
          <button type="submit">{t("billingOps.revenue.show")}</button>
        </Form>
      </section>
      <section className="card" aria-labelledby="refunds-title">
        <h2 id="refunds-title">{t("billingOps.refunds.title")}</h2>
        {!data.refunds || data.refunds.length === 0 ? (
          <p className="empty">{t("billingOps.refunds.empty")}</p>
        ) : (
          <ul className="list">
            {data.refunds.map((r) => (
              <li key={r.id}>
                {money(r.amount)} · {r.status ?? "—"} · {formatDate(new Date(r.created * 1000), locale)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="payouts-title">
        <h2 id="payouts-title">{t("billingOps.payouts.title")}</h2>
        {data.balance ? (
          <>
            <p data-balance-available>{t("billingOps.payouts.available", { amounts: list(data.balance.available) })}</p>
            <p>{t("billingOps.payouts.pending", { amounts: list(data.balance.pending) })}</p>
          </>
        ) : (
          <p className="empty">{t("common.nothingYet")}</p>
        )}
      </section>
    </>
  );
}
