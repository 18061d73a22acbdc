import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { AppError } from "@kiln/core";
import { getOfferUplift } from "@kiln/personalization";
import { requireCreatorTeam } from "../capacity.server";
import { throwAsPage } from "../billing.server";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Personalised offers · Kiln" }];

/** `?version=N` picks an experiment version (decision 021); absent: the current one. */
function versionFromUrl(request: Request): number | undefined {
  const raw = new URL(request.url).searchParams.get("version");
  if (raw === null || raw === "") return undefined;
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw new AppError("NOT_FOUND", `No experiment version ${raw}`);
  return Number(raw);
}

/**
 * The creator's personalised-offer experiment: conversion per arm (intention to treat) with 95 %
 * intervals, per experiment version (the current one unless `?version=` asks for an earlier one).
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const report = await Promise.resolve()
    .then(() => getOfferUplift(context.rt, ctx, { version: versionFromUrl(request) }))
    .catch(throwAsPage);
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
  const when = (d: string | Date | null) =>
    d
      ? new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(
          new Date(d),
        )
      : "—";
  const shown = report.experiment;
  const versionLabel = (v: (typeof report.versions)[number]) => {
    const label = t("uplift.versionOption", { version: v.version, ...v.weights });
    return v.current ? t("uplift.versionCurrent", { label }) : label;
  };
  return (
    <section className="card" aria-labelledby="uplift-title">
      <p>
        <Link to={`/studio/${creator.slug}`}>← {creator.displayName}</Link>
      </p>
      <h1 id="uplift-title">{t("uplift.title")}</h1>
      <p data-testid="active-model">
        {report.activeModel ? t("uplift.model", { version: report.activeModel.version }) : t("uplift.noModel")}
      </p>
      {report.versions.length > 1 && (
        <Form method="get" className="inline" data-testid="uplift-version">
          <label htmlFor="uplift-version">{t("uplift.version")}</label>{" "}
          <select id="uplift-version" name="version" defaultValue={String(shown.version)}>
            {report.versions.map((v) => (
              <option key={v.version} value={v.version}>
                {versionLabel(v)}
              </option>
            ))}
          </select>{" "}
          <button type="submit">{t("uplift.show")}</button>
        </Form>
      )}
      <p data-testid="uplift-version-span">
        {shown.current
          ? t("uplift.versionSince", { version: shown.version, since: when(shown.startedAt) })
          : t("uplift.versionEnded", {
              version: shown.version,
              since: when(shown.startedAt),
              until: when(shown.endedAt),
              days: report.conversionDays,
              cutOff: report.cutOff,
            })}
      </p>
      {!shown.measurable && (
        <p className="toast toast-error" role="status" data-testid="uplift-not-measurable">
          {t("uplift.notMeasurable")}
        </p>
      )}
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
