import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { listMemberSubscriptions } from "@kiln/billing";
import { formatDate, formatMoney } from "@kiln/compliance/disclosure";
import { requireUser } from "../auth.server";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Subscriptions · Kiln" }];

/** The member's subscriptions, entitled or not, straight from Kiln's state (no webhook wait). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  return { subscriptions: await listMemberSubscriptions(context.rt, { userId: user.id }) };
}

export default function AccountSubscriptions() {
  const t = useT();
  const locale = useLocale();
  const { subscriptions } = useLoaderData<typeof loader>();
  return (
    <section className="card" aria-labelledby="subscriptions-title">
      <p>
        <Link to="/account">← {t("account.title")}</Link>
      </p>
      <h1 id="subscriptions-title">{t("subscriptions.title")}</h1>
      {subscriptions.length === 0 ? (
        <p className="empty">{t("subscriptions.empty")}</p>
      ) : (
        <ul className="list">
          {subscriptions.map((s) => (
            <li key={s.id} data-subscription={s.id}>
              <strong>{s.tierName}</strong> · {s.creator.displayName} ·{" "}
              {formatMoney(s.price.amountMinor, s.price.currency.toUpperCase(), locale)} /{" "}
              {t(s.price.interval === "year" ? "subscriptions.perYear" : "subscriptions.perMonth")} ·{" "}
              <span data-status={s.status}>{t(`subscriptions.status.${s.status}`)}</span> ·{" "}
              <span data-entitled={s.isEntitled ? "yes" : "no"}>
                {t(s.isEntitled ? "subscriptions.entitled" : "subscriptions.notEntitled")}
              </span>
              {s.currentPeriodEnd ? (
                <>
                  {" · "}
                  {t(s.cancelAtPeriodEnd ? "subscriptions.endsOn" : "subscriptions.renewsOn", {
                    date: formatDate(new Date(s.currentPeriodEnd), locale),
                  })}
                </>
              ) : null}
              {s.pendingInvoiceUrl ? (
                <>
                  {" · "}
                  <a href={s.pendingInvoiceUrl}>{t("subscriptions.completePayment")}</a>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
