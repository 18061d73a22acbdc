import { listSubscriptionInvoices } from "@kiln/billing";
import { apiHandler, methodNotAllowed, requireApiCaller } from "../api.server";
import { subscriptionIdParam } from "../api/billing-member-schemas";
import { withStripe } from "../api/billing-member.server";

/** GET /api/v1/me/subscriptions/{id}/invoices: the subscription's invoices as Stripe has them, newest first. */
export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "billing:read");
  const id = subscriptionIdParam(params.id);
  return withStripe(context, async (stripe) =>
    Response.json({ invoices: await listSubscriptionInvoices(context.rt, stripe, { userId: caller.user.id }, id) }),
  );
});

export const action = methodNotAllowed("GET");
