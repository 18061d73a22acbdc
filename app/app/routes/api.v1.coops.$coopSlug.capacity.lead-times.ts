import { getLeadTimeReport } from "@kiln/capacity";
import { apiHandler, methodNotAllowed } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

/** Lead times per factory and creator: on-time rate, mean and variance, delta vs the offshore baseline. */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  return Response.json({ leadTimes: await getLeadTimeReport(context.rt, ctx) });
});

export const action = methodNotAllowed("GET");
