import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { createCardUpdateSession } from "@kiln/billing";
import { requireUser } from "../auth.server";
import { requireBilling, throwAsPage } from "../billing.server";

/**
 * The dunning email's "update your card" link: a fresh Stripe billing portal session for the
 * member's own subscription (sessions are short-lived, so the email links here, not to Stripe).
 * Signed out, the member signs in first and comes back.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const billing = requireBilling(context);
  const portal = await createCardUpdateSession(
    context.rt,
    billing.stripe,
    { userId: user.id },
    { subscriptionId: params.subscriptionId ?? "", returnUrl: `${context.config.appUrl}/account/subscriptions` },
  ).catch(throwAsPage);
  return redirect(portal.url);
}
