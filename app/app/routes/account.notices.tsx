import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { formatMoney } from "@kiln/compliance/disclosure";
import { listMemberNotices } from "@kiln/rights";
import { requireUser } from "../auth.server";
import type { MessageKey } from "../i18n";
import { useLocale, useT } from "../i18n/react";
import { DeclarationLists, utcMinute } from "../components/rights-lists";

export const meta: MetaFunction = () => [{ title: "Notices · Kiln" }];

/** The member's notices received and their own cancellations and withdrawals. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  return listMemberNotices(context.rt, { userId: user.id });
}

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
                  date: utcMinute(c.effectiveAt),
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
              <code>{utcMinute(n.sentAt)}</code> · {t(`notices.kind.${n.kind}` as MessageKey)} · {n.tierName} ·{" "}
              {n.channel}
            </li>
          ))}
        </ul>
      )}
      <DeclarationLists
        cancellations={cancellations}
        withdrawals={withdrawals}
        titles={{
          cancellations: "notices.yourCancellations",
          withdrawals: "notices.yourWithdrawals",
          noCancellations: "notices.noDeclarations",
          noWithdrawals: "notices.noDeclarations",
        }}
      />
    </section>
  );
}
