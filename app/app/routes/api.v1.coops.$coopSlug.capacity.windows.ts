import { listWindows, setWindow, WindowSchema } from "@kiln/capacity";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { apiPeriods, requireApiCoopAdmin } from "../capacity.server";

export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  const periods = apiPeriods(request);
  return Response.json({ windows: await listWindows(context.rt, ctx, periods ? { periods } : {}) });
});

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "PUT") return methodNotAllowed("GET, PUT")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:write");
  const input = await parseJsonBody(request, WindowSchema);
  await setWindow(context.rt, ctx, input);
  return new Response(null, { status: 204 });
});
