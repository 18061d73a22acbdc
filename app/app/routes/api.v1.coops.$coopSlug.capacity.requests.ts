import { listCapacityRequests } from "@kiln/capacity";
import { apiHandler, methodNotAllowed } from "../api.server";
import { apiPeriods, requireApiCoopAdmin } from "../capacity.server";

export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  const periods = apiPeriods(request);
  return Response.json({ requests: await listCapacityRequests(context.rt, ctx, periods ? { periods } : {}) });
});

export const action = methodNotAllowed("GET");
