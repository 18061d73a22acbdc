import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";

/** A stored instant as the rights screens show it: minutes, in UTC, said so ("—" when absent). */
export const utcMinute = (d: string | Date | null | undefined) =>
  d ? `${new Date(d).toISOString().slice(0, 16).replace("T", " ")} UTC` : "—";

/**
 * Cancellation and withdrawal declarations as the member (their own) and the creator team (theirs)
 * see them: kind or outcome, when received, and the end date or acknowledgment.
 */
export function DeclarationLists({
  cancellations,
  withdrawals,
  titles,
}: {
  cancellations: ReadonlyArray<{ id: string; kind: string; receivedAt: string | Date; endsAt: string | Date | null }>;
  withdrawals: ReadonlyArray<{
    id: string;
    outcome: string;
    receivedAt: string | Date;
    acknowledgedAt: string | Date | null;
  }>;
  titles: {
    cancellations: MessageKey;
    withdrawals: MessageKey;
    noCancellations: MessageKey;
    noWithdrawals: MessageKey;
  };
}) {
  const t = useT();
  return (
    <>
      <h2>{t(titles.cancellations)}</h2>
      {cancellations.length === 0 ? (
        <p className="empty">{t(titles.noCancellations)}</p>
      ) : (
        <ul className="list" data-testid="cancellations">
          {cancellations.map((c) => (
            <li key={c.id}>
              {t(`rights.kind.${c.kind}` as MessageKey)} · {t("rights.received", { date: utcMinute(c.receivedAt) })}
              {c.endsAt ? ` · ${t("rights.endsAt", { date: utcMinute(c.endsAt) })}` : ""}
            </li>
          ))}
        </ul>
      )}
      <h2>{t(titles.withdrawals)}</h2>
      {withdrawals.length === 0 ? (
        <p className="empty">{t(titles.noWithdrawals)}</p>
      ) : (
        <ul className="list" data-testid="withdrawals">
          {withdrawals.map((w) => (
            <li key={w.id}>
              {t(`rights.outcome.${w.outcome}` as MessageKey)} ·{" "}
              {t("rights.received", { date: utcMinute(w.receivedAt) })}
              {w.acknowledgedAt ? ` · ${t("rights.acknowledged", { date: utcMinute(w.acknowledgedAt) })}` : ""}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
