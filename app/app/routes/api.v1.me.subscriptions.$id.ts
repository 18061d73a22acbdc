import { apiHandler, methodNotAllowed, requireApiCaller } from "../api.server";
import { subscriptionIdParam } from "../api/billing-member-schemas";
import { ownApiSubscription } from "../api/billing-member.server";

/** GET /api/v1/me/subscriptions/{id}: one of the caller's subscriptions (someone else's is 404). */
export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "billing:read");
  const subscription = await ownApiSubscription(context.rt, caller.user.id, subscriptionIdParam(params.id));
  return Response.json({ subscription });
});

export const action = methodNotAllowed("GET");
