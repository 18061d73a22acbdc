import { CapacitySettingsSchema, getCapacitySettings, setCapacitySettings } from "@kiln/capacity";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

/** The co-op's capacity settings: the offshore lead-time baseline (a default until set). */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  return Response.json({ settings: await getCapacitySettings(context.rt, ctx) });
});

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "PUT") return methodNotAllowed("GET, PUT")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:write");
  await setCapacitySettings(context.rt, ctx, await parseJsonBody(request, CapacitySettingsSchema));
  return new Response(null, { status: 204 });
});
