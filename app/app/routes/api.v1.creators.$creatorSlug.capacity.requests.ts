import { CapacityRequestSchema, createCapacityRequest, listCapacityRequests } from "@kiln/capacity";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { apiPeriods, requireApiCreatorTeam } from "../capacity.server";

export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCreatorTeam(request, context, params.creatorSlug, "capacity:read");
  const periods = apiPeriods(request);
  return Response.json({ requests: await listCapacityRequests(context.rt, ctx, periods ? { periods } : {}) });
});

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("GET, POST")();
  const ctx = await requireApiCreatorTeam(request, context, params.creatorSlug, "capacity:write");
  const input = await parseJsonBody(request, CapacityRequestSchema);
  return Response.json({ request: await createCapacityRequest(context.rt, ctx, input) }, { status: 201 });
});
