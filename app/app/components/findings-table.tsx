import type { ReactNode } from "react";
import { useLocale, useT } from "../i18n/react";

/** What the table needs of a compliance finding (as loader data: dates are strings). */
export interface FindingRow {
  jurisdiction: string;
  ruleId: string;
  title: string;
  status: string;
  message: Record<"en" | "de", string>;
  fix: Record<"en" | "de", string>;
  detail?: string | null;
  citation: string;
  waiver?: { id: string; expiresAt: string } | null;
}

/**
 * Rule findings with their citation, in the reader's language: the reviewer's workspace and the
 * creator's tier page show the same table; the reviewer adds actions (waive, revoke) per row.
 */
export function FindingsTable<F extends FindingRow>({
  findings,
  actions,
}: {
  findings: readonly F[];
  actions?: (finding: F) => ReactNode;
}) {
  const t = useT();
  const locale = useLocale();
  return (
    <table className="findings">
      <thead>
        <tr>
          <th>{t("review.rule")}</th>
          <th>{t("review.result")}</th>
          <th>{t("review.why")}</th>
          <th>{t("review.citation")}</th>
        </tr>
      </thead>
      <tbody>
        {findings.map((f) => (
          <tr key={`${f.jurisdiction}-${f.ruleId}`} data-status={f.status}>
            <td>
              <code>
                {f.jurisdiction} {f.ruleId}
              </code>
              <br />
              <small>{f.title}</small>
            </td>
            <td>
              {f.waiver
                ? t("review.waived", { until: f.waiver.expiresAt.slice(0, 10) })
                : t(`review.result.${f.status}` as never)}
            </td>
            <td>
              {f.status === "pass" ? null : (
                <>
                  {f.message[locale]} {f.detail ? <small className="muted">({f.detail})</small> : null}
                  <br />
                  <em>{f.fix[locale]}</em>
                </>
              )}
            </td>
            <td>
              <small>{f.citation}</small>
              {actions?.(f)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
