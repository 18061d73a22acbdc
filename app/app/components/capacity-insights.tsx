import { Form, Link, useNavigation, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { FormErrors, Input, type FormResult } from "./capacity";

/**
 * The co-op admin's view of what happened after locking (issue 7): lead times per factory, per creator
 * and per batch (tables and server-rendered SVG charts), batches flagged for re-planning, and background allocation runs (polled).
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

export interface LeadTimeBatchRow {
  allocationId: string;
  factoryName: string;
  creatorName: string;
  period: string;
  units: number;
  promisedShipBy: string;
  shippedOn: string;
  promisedDays: number;
  actualDays: number;
  lateDays: number;
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const round1 = (n: number) => Math.round(n * 10) / 10;

/** One bar of a lead-time chart: actual days, a tick at promised, optionally ± one standard deviation. */
interface ChartRow {
  id: string;
  name: string;
  actual: number;
  promised: number;
  spread?: number;
  note: string;
}

/**
 * Server-rendered horizontal bars (inline SVG, no script): actual lead time (green when on or under the
 * promise, orange when late), a whisker of ± one standard deviation, a black tick at the promised lead
 * time, the offshore baseline as a dashed blue line, and a note per row. The table next to it carries the
 * same numbers for screen readers (the SVG names it with aria-describedby).
 */
export function LeadTimeChart({
  rows,
  offshoreDays,
  label,
  tableId,
}: {
  rows: ChartRow[];
  offshoreDays: number;
  label: string;
  tableId: string;
}) {
  const max = Math.max(offshoreDays, ...rows.map((r) => Math.max(r.actual + (r.spread ?? 0), r.promised)), 1);
  const left = 150;
  const right = 190;
  const width = 640;
  const bar = 16;
  const x = (days: number) => left + (days / max) * (width - left - right);
  const height = rows.length * (bar + 10) + 24;
  return (
    <svg
      role="img"
      aria-label={label}
      aria-describedby={tableId}
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      style={{ maxWidth: width }}
      className="lead-time-chart"
    >
      <title>{label}</title>
      {rows.map((r, i) => {
        const y = 6 + i * (bar + 10);
        const late = r.actual > r.promised;
        return (
          <g key={r.id}>
            <text x={0} y={y + bar - 4} fontSize="12">
              {r.name.length > 22 ? `${r.name.slice(0, 21)}…` : r.name}
            </text>
            <rect
              x={left}
              y={y}
              width={Math.max(1, x(r.actual) - left)}
              height={bar}
              fill={late ? "#c2410c" : "#15803d"}
            />
            {r.spread ? (
              <line
                x1={x(Math.max(0, r.actual - r.spread))}
                x2={x(r.actual + r.spread)}
                y1={y + bar / 2}
                y2={y + bar / 2}
                stroke="#111"
                strokeWidth={1.5}
              />
            ) : null}
            <line x1={x(r.promised)} x2={x(r.promised)} y1={y - 3} y2={y + bar + 3} stroke="#111" strokeWidth={2} />
            <text x={width - right + 8} y={y + bar - 4} fontSize="11">
              {r.note}
            </text>
          </g>
        );
      })}
      <line x1={x(offshoreDays)} x2={x(offshoreDays)} y1={0} y2={height - 14} stroke="#1d4ed8" strokeDasharray="4 3" />
      <text x={x(offshoreDays)} y={height - 2} fontSize="11" textAnchor="middle" fill="#1d4ed8">
        {offshoreDays}
      </text>
    </svg>
  );
}

/** Per factory or per creator: the statistics as a table and as a chart. */
function LeadTimeGroup({
  id,
  title,
  nameHeading,
  rows,
  offshoreDays,
  chartLabel,
}: {
  id: string;
  title: string;
  nameHeading: string;
  rows: LeadTimeRow[];
  offshoreDays: number;
  chartLabel: string;
}) {
  const t = useT();
  return (
    <figure className="lead-time-group" aria-labelledby={`${id}-title`}>
      <figcaption>
        <h3 id={`${id}-title`}>{title}</h3>
      </figcaption>
      <LeadTimeChart
        label={chartLabel}
        tableId={`${id}-table`}
        offshoreDays={offshoreDays}
        rows={rows.map((r) => ({
          id: r.id,
          name: r.name,
          actual: r.meanDays,
          promised: r.meanPromisedDays,
          spread: Math.sqrt(r.varianceDays),
          note: t("capacity.chartNote", {
            rate: Math.round(r.onTimeRate * 100),
            delta: signed(round1(r.deltaVsOffshoreDays)),
          }),
        }))}
      />
      <table className="table" id={`${id}-table`}>
        <caption className="visually-hidden">{title}</caption>
        <thead>
          <tr>
            <th scope="col">{nameHeading}</th>
            <th scope="col">{t("capacity.shippedBatches")}</th>
            <th scope="col">{t("capacity.onTime")}</th>
            <th scope="col">{t("capacity.meanLeadTime")}</th>
            <th scope="col">{t("capacity.varianceLeadTime")}</th>
            <th scope="col">{t("capacity.promisedLeadTime")}</th>
            <th scope="col">{t("capacity.deltaOffshore")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((f) => (
            <tr key={f.id}>
              <th scope="row">{f.name}</th>
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
    </figure>
  );
}

/** Promised vs actual per shipped batch (newest first). */
function LeadTimeBatches({ rows, offshoreDays }: { rows: LeadTimeBatchRow[]; offshoreDays: number }) {
  const t = useT();
  return (
    <figure className="lead-time-group" aria-labelledby="lead-times-batches-title">
      <figcaption>
        <h3 id="lead-times-batches-title">{t("capacity.leadTimesByBatch")}</h3>
      </figcaption>
      <LeadTimeChart
        label={t("capacity.chartLabelBatches")}
        tableId="lead-times-batches-table"
        offshoreDays={offshoreDays}
        rows={rows.map((b) => ({
          id: b.allocationId,
          name: `${b.factoryName} · ${b.creatorName}`,
          actual: b.actualDays,
          promised: b.promisedDays,
          note: b.lateDays > 0 ? t("capacity.daysLate", { days: b.lateDays }) : t("capacity.onTimeNote"),
        }))}
      />
      <table className="table" id="lead-times-batches-table">
        <caption className="visually-hidden">{t("capacity.leadTimesByBatch")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("capacity.window")}</th>
            <th scope="col">{t("capacity.factory")}</th>
            <th scope="col">{t("capacity.creator")}</th>
            <th scope="col">{t("capacity.units")}</th>
            <th scope="col">{t("capacity.promisedShipBy")}</th>
            <th scope="col">{t("capacity.shippedOnHeading")}</th>
            <th scope="col">{t("capacity.lateDays")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((b) => (
            <tr key={b.allocationId}>
              <td>{b.period}</td>
              <td>{b.factoryName}</td>
              <td>{b.creatorName}</td>
              <td>{b.units}</td>
              <td>{b.promisedShipBy}</td>
              <td>{b.shippedOn}</td>
              <td>{signed(b.lateDays)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

export function LeadTimes({
  report,
  result,
}: {
  report: {
    offshoreLeadTimeDays: number;
    isDefaultBaseline: boolean;
    factories: LeadTimeRow[];
    creators: LeadTimeRow[];
    batches: LeadTimeBatchRow[];
  };
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
          <p className="muted">{t("capacity.chartLegend")}</p>
          <LeadTimeGroup
            id="lead-times-factories"
            title={t("capacity.leadTimesByFactory")}
            nameHeading={t("capacity.factory")}
            rows={report.factories}
            offshoreDays={report.offshoreLeadTimeDays}
            chartLabel={t("capacity.chartLabel")}
          />
          <LeadTimeGroup
            id="lead-times-creators"
            title={t("capacity.leadTimesByCreator")}
            nameHeading={t("capacity.creator")}
            rows={report.creators}
            offshoreDays={report.offshoreLeadTimeDays}
            chartLabel={t("capacity.chartLabelCreators")}
          />
          <LeadTimeBatches rows={report.batches} offshoreDays={report.offshoreLeadTimeDays} />
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
  // Never while the admin is navigating away or submitting: a revalidation would get in its way.
  const isNavigating = useNavigation().state !== "idle";
  const isActive = jobs.some((j) => j.status === "queued" || j.status === "running");
  useEffect(() => {
    if (!isActive || isNavigating) return;
    const timer = setInterval(() => {
      if (state === "idle") revalidate();
    }, 2000);
    return () => clearInterval(timer);
  }, [isActive, isNavigating, revalidate, state]);
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
