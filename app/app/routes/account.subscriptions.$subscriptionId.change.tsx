import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { changePlan, listPlanOptions } from "@kiln/billing";
import { buildDisclosure, resolveJurisdiction } from "@kiln/compliance";
import { formatDate, formatMoney } from "@kiln/compliance/disclosure";
import { AppError } from "@kiln/core";
import { requireUser } from "../auth.server";
import { billingFormError, requireBilling, throwAsPage } from "../billing.server";
import { OrderSummary } from "../components/order-summary";
import { resolveLocale } from "../i18n.server";
import { translateMessage } from "../i18n/messages-de";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Change tier · Kiln" }];

const ChangeFormSchema = z.object({
  targetTierId: z.uuid(),
  termsVersionId: z.uuid(),
  requestId: z.uuid(),
  "consent-auto-renew": z.literal("yes").optional(),
  "consent-express-start": z.literal("yes").optional(),
});

/**
 * Change tier: the creator's other tiers (upgrade now, prorated; downgrade at the period end), and
 * for the chosen one the same order summary as a new order — the target terms' disclosure directly
 * above the order button with the unticked consents — because a new tier is new terms.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const plan = await listPlanOptions(context.rt, { userId: user.id }, params.subscriptionId ?? "").catch(throwAsPage);
  const chosenId = new URL(request.url).searchParams.get("tier");
  const chosen = plan.options.find((o) => o.tier.id === chosenId) ?? null;
  return {
    subscriptionId: plan.subscription.id,
    current: plan.current,
    periodEnd: plan.subscription.currentPeriodEnd?.toISOString() ?? null,
    canChange: plan.canChange,
    options: plan.options.map((o) => ({ tier: o.tier, price: o.price, direction: o.direction })),
    chosen: chosen
      ? { tier: chosen.tier, terms: chosen.terms, termsVersionId: chosen.termsVersionId, direction: chosen.direction }
      : null,
    requestId: crypto.randomUUID(),
    locale: resolveLocale(request, user),
    asOf: context.rt.clock.now().toISOString(),
  };
}

/** The order button of a tier change: the consent text is rebuilt on the server from the target terms. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const billing = requireBilling(context);
  const form = ChangeFormSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!form.success) return billingFormError(new AppError("BAD_INPUT", "The order form was incomplete"));
  const locale = resolveLocale(request, user);
  try {
    const plan = await listPlanOptions(context.rt, { userId: user.id }, params.subscriptionId ?? "");
    const target = plan.options.find((o) => o.tier.id === form.data.targetTierId);
    if (!target) throw new AppError("NOT_FOUND", "Not found");
    const model = buildDisclosure(target.terms, { locale, asOf: context.rt.clock.now() });
    const ticked = (name: string) => form.data[`consent-${name}` as keyof typeof form.data] === "yes";
    const result = await changePlan(
      context.rt,
      billing.stripe,
      { userId: user.id },
      {
        subscriptionId: plan.subscription.id,
        targetTierId: target.tier.id,
        termsVersionId: form.data.termsVersionId,
        requestId: form.data.requestId,
        consent: {
          disclosureText: model.text,
          buttonLabel: model.buttonLabel,
          checkboxes: model.consents.map((c) => ({ name: c.name, label: c.label, checked: ticked(c.name) })),
          jurisdiction: resolveJurisdiction(user.country, user.usState),
          locale,
          ip: context.clientIp,
          userAgent: request.headers.get("User-Agent"),
        },
      },
    );
    return redirectWithToast(context, "/account/subscriptions", {
      kind: "success",
      key: result.direction === "downgrade" ? "subscriptions.downgradeScheduled" : "subscriptions.upgraded",
    });
  } catch (error) {
    return billingFormError(error);
  }
}

export default function ChangeTier() {
  const { subscriptionId, current, periodEnd, canChange, options, chosen, requestId, locale, asOf } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <section className="card" aria-labelledby="change-title">
      <p>
        <Link to="/account/subscriptions">← {t("subscriptions.title")}</Link>
      </p>
      <h1 id="change-title">{t("changeTier.title", { tier: current.tier.name })}</h1>
      {result && "formError" in result ? (
        <p className="form-error" role="alert">
          {result.code === "BAD_INPUT" ? t("order.consentMissing") : translateMessage(locale, result.formError)}
        </p>
      ) : null}
      {!canChange ? (
        <p className="empty">{t("changeTier.notNow")}</p>
      ) : options.length === 0 ? (
        <p className="empty">{t("changeTier.none")}</p>
      ) : (
        <ul className="list">
          {options.map((o) => (
            <li key={o.tier.id} data-tier-option={o.tier.id}>
              <strong>{o.tier.name}</strong> ·{" "}
              {formatMoney(o.price.amountMinor, o.price.currency.toUpperCase(), locale)} /{" "}
              {t(o.price.interval === "year" ? "subscriptions.perYear" : "subscriptions.perMonth")} ·{" "}
              {o.direction === "upgrade"
                ? t("changeTier.upgradeNow")
                : t("changeTier.downgradeAt", { date: periodEnd ? formatDate(new Date(periodEnd), locale) : "—" })}{" "}
              <Link to={`/account/subscriptions/${subscriptionId}/change?tier=${o.tier.id}`}>
                {t("changeTier.choose", { tier: o.tier.name })}
              </Link>
            </li>
          ))}
        </ul>
      )}
      {canChange && chosen ? (
        <>
          <h2>{t("changeTier.summary", { tier: chosen.tier.name })}</h2>
          <p className="muted">
            {chosen.direction === "upgrade" ? t("changeTier.upgradeLead") : t("changeTier.downgradeLead")}
          </p>
          <OrderSummary terms={chosen.terms} locale={locale} asOf={new Date(asOf)}>
            <input type="hidden" name="targetTierId" value={chosen.tier.id} />
            <input type="hidden" name="termsVersionId" value={chosen.termsVersionId} />
            <input type="hidden" name="requestId" value={requestId} />
          </OrderSummary>
        </>
      ) : null}
    </section>
  );
}
