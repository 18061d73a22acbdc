import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { getStorefrontTier, startSubscriptionCheckout } from "@kiln/billing";
import { buildDisclosure, resolveJurisdiction } from "@kiln/compliance";
import { requireUser } from "../auth.server";
import { billingFormError, requireBilling, throwAsPage } from "../billing.server";
import { resolveLocale } from "../i18n.server";
import { useT } from "../i18n/react";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.tier.name ?? "Tier"} · Kiln` }];

const tierPath = (slug: string, tierId: string) => `/s/${slug}/tiers/${tierId}`;

/** Step 1 of the order flow (DESIGN.md §4): the material terms, before any billing information. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const offer = await getStorefrontTier(context.rt, params.creatorSlug ?? "", params.tierId ?? "").catch(throwAsPage);
  const user = context.auth?.user ?? null;
  const model = buildDisclosure(offer.terms, { locale: resolveLocale(request, user), asOf: context.rt.clock.now() });
  const jurisdiction = user ? resolveJurisdiction(user.country, user.usState) : null;
  return {
    creator: offer.creator,
    tier: offer.tier,
    heading: model.heading,
    items: model.items,
    isOrderable: offer.isOrderable,
    isSignedIn: user !== null,
    /** Null before sign-in; false when the member's country (profile) is not one the tier is sold to. */
    isSoldToMember: jurisdiction === null ? null : offer.tier.jurisdictions.includes(jurisdiction),
  };
}

/** "Continue": sign in first (back here afterwards), then setup-mode Checkout collects the card. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const billing = requireBilling(context);
  const offer = await getStorefrontTier(context.rt, params.creatorSlug ?? "", params.tierId ?? "").catch(throwAsPage);
  const back = `${context.config.appUrl}${tierPath(offer.creator.slug, offer.tier.id)}`;
  try {
    const checkout = await startSubscriptionCheckout(
      context.rt,
      billing.stripe,
      { userId: user.id },
      { tierId: offer.tier.id, successUrl: `${back}/order?session={CHECKOUT_SESSION_ID}`, cancelUrl: back },
      { automaticTax: context.config.stripeTax },
    );
    return redirect(checkout.url);
  } catch (error) {
    return billingFormError(error);
  }
}

export default function TierPage() {
  const { creator, tier, heading, items, isOrderable, isSignedIn, isSoldToMember } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <section className="card" aria-labelledby="tier-title">
      <p className="muted">{t("order.tierOf", { creator: creator.displayName })}</p>
      <h1 id="tier-title">{tier.name}</h1>
      {tier.benefits.length ? (
        <>
          <h2>{t("order.benefits")}</h2>
          <ul>
            {tier.benefits.map((b) => (
              <li key={b}>{b}</li>
            ))}
          </ul>
        </>
      ) : null}
      <h2>{heading}</h2>
      <dl className="material-terms" data-material-terms="">
        {items.map((item) => (
          <div key={item.id} className="disclosure-item">
            <dt>{item.label}</dt>
            <dd>
              {item.text}
              {item.links.map((link) => (
                <span key={link.href}>
                  {" "}
                  <a href={link.href}>{link.label}</a>
                </span>
              ))}
            </dd>
          </div>
        ))}
      </dl>
      {!isOrderable ? (
        <p className="empty">{t("order.notTakingOrders")}</p>
      ) : isSoldToMember === false ? (
        <p className="empty">
          {t("order.notSoldHere")} <Link to="/account">{t("order.checkCountry")}</Link>
        </p>
      ) : (
        <Form method="post">
          {result && "formError" in result ? (
            <p className="form-error" role="alert">
              {result.formError}
            </p>
          ) : null}
          <p className="muted">{isSignedIn ? t("order.continueLead") : t("order.signInLead")}</p>
          <button type="submit">{t("order.continue")}</button>
        </Form>
      )}
    </section>
  );
}
