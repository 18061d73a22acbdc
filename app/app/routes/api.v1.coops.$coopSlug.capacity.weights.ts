import { CreatorWeightSchema, listCreatorWeights, setCreatorWeight } from "@kiln/capacity";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

/** The co-op's weight policy: each creator's allocation weight (1 = equal share). */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  return Response.json({ weights: await listCreatorWeights(context.rt, ctx) });
});

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "PUT") return methodNotAllowed("GET, PUT")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:write");
  await setCreatorWeight(context.rt, ctx, await parseJsonBody(request, CreatorWeightSchema));
  return new Response(null, { status: 204 });
});
