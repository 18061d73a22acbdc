import { Form, Link, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { FormErrors, Input, type FormResult } from "./capacity";

/**
 * The co-op admin's view of what happened after locking (issue 7): lead times per factory (table and
 * a small inline SVG chart), batches flagged for re-planning, and background allocation runs (polled).
 * Plain serialised data in, so the screen's loader shapes stay explicit.
 */

export interface LeadTimeRow {
  id: string;
  name: string;
  shipped: number;
  onTimeRate: number;
  meanDays: number;
  varianceDays: number;
  meanPromisedDays: number;
  deltaVsOffshoreDays: number;
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** Horizontal bars: mean actual lead time per factory, a tick at the promised one, a line at offshore. */
export function LeadTimeChart({ rows, offshoreDays }: { rows: LeadTimeRow[]; offshoreDays: number }) {
  const t = useT();
  const max = Math.max(offshoreDays, ...rows.map((r) => Math.max(r.meanDays, r.meanPromisedDays)), 1);
  const label = 120;
  const width = 480;
  const bar = 18;
  const x = (days: number) => label + (days / max) * (width - label - 10);
  const height = rows.length * (bar + 8) + 8;
  return (
    <svg
      role="img"
      aria-label={t("capacity.chartLabel")}
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      style={{ maxWidth: width }}
    >
      {rows.map((r, i) => {
        const y = 4 + i * (bar + 8);
        const late = r.meanDays > r.meanPromisedDays;
        return (
          <g key={r.id}>
            <text x={0} y={y + bar - 4} fontSize="12">
              {r.name}
            </text>
            <rect
              x={label}
              y={y}
              width={Math.max(1, x(r.meanDays) - label)}
              height={bar}
              fill={late ? "#c2410c" : "#15803d"}
            />
            <line x1={x(r.meanPromisedDays)} x2={x(r.meanPromisedDays)} y1={y - 2} y2={y + bar + 2} stroke="#111" />
          </g>
        );
      })}
      <line x1={x(offshoreDays)} x2={x(offshoreDays)} y1={0} y2={height} stroke="#1d4ed8" strokeDasharray="4 3" />
    </svg>
  );
}

export function LeadTimes({
  report,
  result,
}: {
  report: { offshoreLeadTimeDays: number; isDefaultBaseline: boolean; factories: LeadTimeRow[] };
  result: FormResult;
}) {
  const t = useT();
  return (
    <section className="card" aria-labelledby="lead-times-title">
      <h2 id="lead-times-title">{t("capacity.leadTimes")}</h2>
      <p className="muted">
        {t("capacity.leadTimesLead", { days: report.offshoreLeadTimeDays })}
        {report.isDefaultBaseline ? ` ${t("capacity.leadTimesDefault")}` : ""}
      </p>
      {report.factories.length === 0 ? (
        <p className="empty">{t("capacity.leadTimesEmpty")}</p>
      ) : (
        <>
          <table className="table">
            <thead>
              <tr>
                <th>{t("capacity.factory")}</th>
                <th>{t("capacity.shippedBatches")}</th>
                <th>{t("capacity.onTime")}</th>
                <th>{t("capacity.meanLeadTime")}</th>
                <th>{t("capacity.varianceLeadTime")}</th>
                <th>{t("capacity.promisedLeadTime")}</th>
                <th>{t("capacity.deltaOffshore")}</th>
              </tr>
            </thead>
            <tbody>
              {report.factories.map((f) => (
                <tr key={f.id}>
                  <td>{f.name}</td>
                  <td>{f.shipped}</td>
                  <td>{Math.round(f.onTimeRate * 100)} %</td>
                  <td>{f.meanDays}</td>
                  <td>{f.varianceDays}</td>
                  <td>{f.meanPromisedDays}</td>
                  <td>{signed(f.deltaVsOffshoreDays)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <LeadTimeChart rows={report.factories} offshoreDays={report.offshoreLeadTimeDays} />
        </>
      )}
      <Form method="post" className="capacity-form">
        <input type="hidden" name="intent" value="settings" />
        <Input
          label={t("capacity.offshoreDays")}
          name="offshoreLeadTimeDays"
          type="number"
          min={1}
          step={1}
          required
          defaultValue={report.offshoreLeadTimeDays}
        />
        <button type="submit" className="button-secondary">
          {t("common.save")}
        </button>
      </Form>
      <FormErrors result={result} intent="settings" />
    </section>
  );
}

export interface FlaggedRow {
  allocationId: string;
  period: string;
  capability: string;
  factoryName: string;
  creatorName: string;
  units: number;
  reason: string;
  shipBy: string;
  revisedShipBy: string | null;
}

/** "window reduced · revised: ships by …" for a flagged batch (admin, creator and operator screens). */
export function FlagNote({ reason, revisedShipBy }: { reason: string | null; revisedShipBy: string | null }) {
  const t = useT();
  if (!reason) return null;
  return (
    <strong className="flag" role="note">
      {t("capacity.flagged")}: {t(`capacity.flag.${reason}` as MessageKey)} ·{" "}
      {revisedShipBy ? t("capacity.revisedShipBy", { date: revisedShipBy }) : t("capacity.noCapacityLeft")}
    </strong>
  );
}

export function Flagged({ rows }: { rows: FlaggedRow[] }) {
  const t = useT();
  if (rows.length === 0) return null;
  return (
    <section className="card" aria-labelledby="flagged-title">
      <h2 id="flagged-title">{t("capacity.flagged")}</h2>
      <p className="muted">{t("capacity.flaggedLead")}</p>
      <table className="table">
        <thead>
          <tr>
            <th>{t("capacity.window")}</th>
            <th>{t("capacity.factory")}</th>
            <th>{t("capacity.request")}</th>
            <th>{t("capacity.allocated")}</th>
            <th>{t("capacity.shipByHeading")}</th>
            <th>{t("capacity.reason")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((f) => (
            <tr key={f.allocationId}>
              <td>{f.period}</td>
              <td>{f.factoryName}</td>
              <td>
                {f.creatorName} · {f.capability}
              </td>
              <td>{f.units}</td>
              <td>{f.shipBy}</td>
              <td>
                <FlagNote reason={f.reason} revisedShipBy={f.revisedShipBy} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export interface JobRow {
  id: string;
  period: string;
  status: string;
  stage: string;
  progress: number;
  runId: string | null;
  error: string | null;
}

/** Background runs; while one is queued or running the page revalidates every two seconds. */
export function Jobs({ jobs, coopSlug }: { jobs: JobRow[]; coopSlug: string }) {
  const t = useT();
  const { revalidate, state } = useRevalidator();
  const isActive = jobs.some((j) => j.status === "queued" || j.status === "running");
  useEffect(() => {
    if (!isActive) return;
    const timer = setInterval(() => {
      if (state === "idle") revalidate();
    }, 2000);
    return () => clearInterval(timer);
  }, [isActive, revalidate, state]);
  if (jobs.length === 0) return null;
  return (
    <section className="card" aria-labelledby="jobs-title">
      <h2 id="jobs-title">{t("capacity.jobs")}</h2>
      <ul className="list" aria-live="polite">
        {jobs.map((j) => (
          <li key={j.id} className="row">
            <span>
              {j.period}: {t(`capacity.job.${j.status}` as MessageKey)} · {t(`capacity.stage.${j.stage}` as MessageKey)}
            </span>
            <progress max={100} value={j.progress} aria-label={t("capacity.progress")}>
              {j.progress} %
            </progress>
            {j.runId ? <Link to={`/coop/${coopSlug}/capacity/runs/${j.runId}`}>{t("capacity.openRun")}</Link> : null}
            {j.error ? <span className="error">{j.error}</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
