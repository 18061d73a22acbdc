import { listMemberSubscriptions } from "@kiln/billing";
import { apiHandler, methodNotAllowed, requireApiCaller } from "../api.server";
import { toApiSubscription } from "../api/billing-member-schemas";

/** GET /api/v1/me/subscriptions: the caller's subscriptions across creators, newest first. */
export const loader = apiHandler(async ({ request, context }) => {
  const caller = await requireApiCaller(request, context, "billing:read");
  const subscriptions = await listMemberSubscriptions(context.rt, { userId: caller.user.id });
  return Response.json({ subscriptions: subscriptions.map(toApiSubscription) });
});

export const action = methodNotAllowed("GET");
