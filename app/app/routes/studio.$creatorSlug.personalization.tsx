import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { getOfferUplift } from "@kiln/personalization";
import { requireCreatorTeam } from "../capacity.server";
import { throwAsPage } from "../billing.server";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Personalised offers · Kiln" }];

/** The creator's personalised-offer experiment: conversion per arm (intention to treat) with 95 % intervals. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const report = await getOfferUplift(context.rt, ctx).catch(throwAsPage);
  return { creator: membership.creator ?? notFound(), report };
}

export default function CreatorPersonalization() {
  const t = useT();
  const locale = useLocale();
  const { creator, report } = useLoaderData<typeof loader>();
  const pct = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const points = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1, signDisplay: "always" });
  const armLabel = (arm: string) => t(`uplift.arm.${arm}` as MessageKey);
  const differences = [
    { key: "uplift.deviceVsHoldout", arm: "device", value: report.deviceVsHoldout },
    { key: "uplift.serverVsHoldout", arm: "server", value: report.serverVsHoldout },
  ] as const;
  return (
    <section className="card" aria-labelledby="uplift-title">
      <p>
        <Link to={`/studio/${creator.slug}`}>← {creator.displayName}</Link>
      </p>
      <h1 id="uplift-title">{t("uplift.title")}</h1>
      <p data-testid="active-model">
        {report.activeModel ? t("uplift.model", { version: report.activeModel.version }) : t("uplift.noModel")}
      </p>
      <p>{t("uplift.itt")}</p>
      <p className="muted">{t("uplift.conversion", { days: report.conversionDays, pending: report.pending })}</p>
      <table data-testid="uplift-arms">
        <thead>
          <tr>
            <th scope="col">{t("uplift.arm")}</th>
            <th scope="col">{t("uplift.members")}</th>
            <th scope="col">{t("uplift.converted")}</th>
            <th scope="col">{t("uplift.rate")}</th>
            <th scope="col">{t("uplift.interval")}</th>
          </tr>
        </thead>
        <tbody>
          {report.arms.map((a) => (
            <tr key={a.arm} data-arm={a.arm}>
              <th scope="row">{armLabel(a.arm)}</th>
              <td>{a.members}</td>
              <td>{a.converted}</td>
              <td>{a.rate === null ? "–" : pct.format(a.rate)}</td>
              <td>{a.members === 0 ? "–" : `${pct.format(a.interval.low)} – ${pct.format(a.interval.high)}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t("uplift.difference")}</h2>
      <ul data-testid="uplift-differences">
        {differences.map((d) => (
          <li key={d.key}>
            {d.value
              ? t(d.key, {
                  difference: points.format(d.value.difference),
                  low: points.format(d.value.low),
                  high: points.format(d.value.high),
                })
              : t("uplift.notEnough", { label: armLabel(d.arm) })}
          </li>
        ))}
      </ul>
      <h2>{t("uplift.served")}</h2>
      {report.served.length === 0 ? (
        <p className="empty">{t("uplift.noExposures")}</p>
      ) : (
        <ul data-testid="uplift-served">
          {report.served.map((s) => (
            <li key={`${s.assignedArm}-${s.servedArm}`}>
              {t("uplift.servedRow", {
                assigned: armLabel(s.assignedArm),
                served: armLabel(s.servedArm),
                count: s.exposures,
              })}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
