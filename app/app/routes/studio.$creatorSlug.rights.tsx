import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { listCreatorRights } from "@kiln/rights";
import { requireCreatorTeam } from "../capacity.server";
import { throwAsPage } from "../billing.server";
import { notFound } from "../errors.server";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { DeclarationLists, utcMinute } from "../components/rights-lists";

export const meta: MetaFunction = () => [{ title: "Cancellations and refunds · Kiln" }];

/** The creator's cancellations and withdrawals received, and the refunds due (overdue highlighted). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const rights = await listCreatorRights(context.rt, ctx).catch(throwAsPage);
  return { creator: membership.creator ?? notFound(), ...rights };
}

export default function CreatorRights() {
  const t = useT();
  const { creator, cancellations, withdrawals, refunds, refundsDue, refundsOverdue } = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <p>
        <Link to={`/studio/${creator.slug}`}>← {creator.displayName}</Link>
      </p>
      <h1>{t("rights.studioTitle")}</h1>
      <h2>{t("rights.refunds")}</h2>
      <p data-testid="refunds-summary">{t("rights.refundsSummary", { due: refundsDue, overdue: refundsOverdue })}</p>
      {refunds.length === 0 ? (
        <p className="empty">{t("rights.noRefunds")}</p>
      ) : (
        <ul className="list" data-testid="refunds">
          {refunds.map((r) => (
            <li key={r.id} className={r.overdue ? "error" : undefined} data-overdue={r.overdue ? "true" : undefined}>
              {r.overdue ? <strong>{t("rights.overdue")} · </strong> : null}
              {t(`rights.refundStatus.${r.status}` as MessageKey)} · {(r.amountMinor / 100).toFixed(2)}{" "}
              {r.currency.toUpperCase()} ({t(`rights.basis.${r.basis}` as MessageKey)}) ·{" "}
              {r.refundedAt
                ? t("rights.refundedAt", { date: utcMinute(r.refundedAt) })
                : t("rights.dueBy", { date: utcMinute(r.dueBy) })}
            </li>
          ))}
        </ul>
      )}
      <DeclarationLists
        cancellations={cancellations}
        withdrawals={withdrawals}
        titles={{
          cancellations: "rights.cancellations",
          withdrawals: "rights.withdrawals",
          noCancellations: "rights.noCancellations",
          noWithdrawals: "rights.noWithdrawals",
        }}
      />
    </section>
  );
}
