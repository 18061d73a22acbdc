import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { createSubscription, getStorefrontTier } from "@kiln/billing";
import { buildDisclosure, resolveJurisdiction } from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { sendSubscriptionNoticesNow } from "@kiln/rights";
import { requireUser } from "../auth.server";
import { billingFormError, requireBilling, throwAsPage } from "../billing.server";
import { OrderSummary } from "../components/order-summary";
import { resolveLocale } from "../i18n.server";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Order · Kiln" }];

const SessionSchema = z.string().regex(/^cs_[A-Za-z0-9_]+$/);
const OrderFormSchema = z.object({
  session: SessionSchema,
  termsVersionId: z.uuid(),
  "consent-auto-renew": z.literal("yes").optional(),
  "consent-express-start": z.literal("yes").optional(),
});

/**
 * Step 3 (DESIGN.md §4): back from setup Checkout, Kiln's own order page — the member's
 * jurisdiction (profile) decides whether the tier is sold to them; the compliance component renders
 * the disclosure directly above the order button with the unticked consents.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const offer = await getStorefrontTier(context.rt, params.creatorSlug ?? "", params.tierId ?? "").catch(throwAsPage);
  const session = SessionSchema.safeParse(new URL(request.url).searchParams.get("session"));
  if (!session.success) throw redirect(`/s/${offer.creator.slug}/tiers/${offer.tier.id}`);
  const jurisdiction = resolveJurisdiction(user.country, user.usState);
  return {
    creator: offer.creator,
    tier: { id: offer.tier.id, name: offer.tier.name },
    terms: offer.terms,
    termsVersionId: offer.termsVersionId,
    locale: resolveLocale(request, user),
    asOf: context.rt.clock.now().toISOString(),
    session: session.data,
    jurisdiction,
    isSoldToMember: offer.tier.jurisdictions.includes(jurisdiction),
  };
}

/** Step 4, the order button: records the consent and creates the subscription server-side. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const billing = requireBilling(context);
  const offer = await getStorefrontTier(context.rt, params.creatorSlug ?? "", params.tierId ?? "").catch(throwAsPage);
  const form = OrderFormSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!form.success) return billingFormError(new AppError("BAD_INPUT", "The order form was incomplete"));
  const locale = resolveLocale(request, user);
  // The text and labels consented to are rebuilt on the server from the terms, never taken from the form.
  const model = buildDisclosure(offer.terms, { locale, asOf: context.rt.clock.now() });
  const ticked = (name: string) => form.data[`consent-${name}` as keyof typeof form.data] === "yes";
  try {
    const result = await createSubscription(
      context.rt,
      billing.stripe,
      { userId: user.id },
      {
        tierId: offer.tier.id,
        checkoutSessionId: form.data.session,
        termsVersionId: form.data.termsVersionId,
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
      { automaticTax: context.config.stripeTax },
    );
    // X-A1: the acknowledgment (terms, how to cancel, the model withdrawal form) goes out at once; if
    // this fails the minute notice sweep sends it, so the member's order is never held up by it.
    await sendSubscriptionNoticesNow(context.rt, result.subscription.id, { appUrl: context.config.appUrl })
      .then(() => context.notifyOutbox())
      .catch((error: unknown) => console.error("[kiln] acknowledgment deferred to the notice sweep", error));
    // The bank asked for 3-D Secure: Stripe's hosted invoice page completes the first payment.
    if (result.subscription.status === "incomplete" && result.subscription.pendingInvoiceUrl)
      return redirect(result.subscription.pendingInvoiceUrl);
    return redirectWithToast(context, "/account/subscriptions", { kind: "success", key: "subscriptions.started" });
  } catch (error) {
    return billingFormError(error);
  }
}

export default function OrderPage() {
  const { creator, tier, terms, termsVersionId, locale, asOf, session, isSoldToMember } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <section className="card" aria-labelledby="order-title">
      <p>
        <Link to={`/s/${creator.slug}/tiers/${tier.id}`}>← {tier.name}</Link>
      </p>
      <h1 id="order-title">{t("order.title", { tier: tier.name, creator: creator.displayName })}</h1>
      {result && "formError" in result ? (
        <p className="form-error" role="alert">
          {result.code === "BAD_INPUT" ? t("order.consentMissing") : result.formError}
        </p>
      ) : null}
      {isSoldToMember ? (
        <OrderSummary terms={terms} locale={locale} asOf={new Date(asOf)}>
          <input type="hidden" name="session" value={session} />
          <input type="hidden" name="termsVersionId" value={termsVersionId} />
        </OrderSummary>
      ) : (
        <p className="empty">
          {t("order.notSoldHere")} <Link to="/account">{t("order.checkCountry")}</Link>
        </p>
      )}
    </section>
  );
}
