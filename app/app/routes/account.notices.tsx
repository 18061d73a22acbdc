import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { formatMoney } from "@kiln/compliance/disclosure";
import { listMemberNotices } from "@kiln/rights";
import { requireUser } from "../auth.server";
import type { MessageKey } from "../i18n";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Notices · Kiln" }];

/** The member's notices received and their own cancellations and withdrawals. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  return listMemberNotices(context.rt, { userId: user.id });
}

const when = (d: string | Date | null | undefined) =>
  d ? `${new Date(d).toISOString().slice(0, 16).replace("T", " ")} UTC` : "—";

export default function AccountNotices() {
  const t = useT();
  const locale = useLocale();
  const { notices, cancellations, withdrawals, priceChangesAwaitingOptIn } = useLoaderData<typeof loader>();
  return (
    <section className="card" aria-labelledby="notices-title">
      <p>
        <Link to="/account">← {t("account.title")}</Link>
      </p>
      <h1 id="notices-title">{t("notices.title")}</h1>
      {priceChangesAwaitingOptIn.length > 0 && (
        <>
          <h2>{t("notices.optIn.title")}</h2>
          <ul className="list" data-testid="price-changes">
            {priceChangesAwaitingOptIn.map((c) => (
              <li key={c.id}>
                {t("notices.optIn.line", {
                  from: formatMoney(c.oldAmountMinor, c.currency.toUpperCase(), locale),
                  to: formatMoney(c.newAmountMinor, c.currency.toUpperCase(), locale),
                  date: when(c.effectiveAt),
                })}{" "}
                <Link to={`/price-changes/${c.id}/accept`}>{t("notices.optIn.review")}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>{t("notices.received")}</h2>
      {notices.length === 0 ? (
        <p className="empty">{t("notices.none")}</p>
      ) : (
        <ul className="list" data-testid="notices">
          {notices.map((n) => (
            <li key={n.id}>
              <code>{when(n.sentAt)}</code> · {t(`notices.kind.${n.kind}` as MessageKey)} · {n.tierName} · {n.channel}
            </li>
          ))}
        </ul>
      )}
      <h2>{t("notices.yourCancellations")}</h2>
      {cancellations.length === 0 ? (
        <p className="empty">{t("notices.noDeclarations")}</p>
      ) : (
        <ul className="list" data-testid="cancellations">
          {cancellations.map((c) => (
            <li key={c.id}>
              {t(`rights.kind.${c.kind}` as MessageKey)} · {t("rights.received", { date: when(c.receivedAt) })}
              {c.endsAt ? ` · ${t("rights.endsAt", { date: when(c.endsAt) })}` : ""}
            </li>
          ))}
        </ul>
      )}
      <h2>{t("notices.yourWithdrawals")}</h2>
      {withdrawals.length === 0 ? (
        <p className="empty">{t("notices.noDeclarations")}</p>
      ) : (
        <ul className="list" data-testid="withdrawals">
          {withdrawals.map((w) => (
            <li key={w.id}>
              {t(`rights.outcome.${w.outcome}` as MessageKey)} · {t("rights.received", { date: when(w.receivedAt) })}
              {w.acknowledgedAt ? ` · ${t("rights.acknowledged", { date: when(w.acknowledgedAt) })}` : ""}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
