import { listCreatorAllocations, renderExplanation } from "@kiln/capacity";
import { apiHandler, methodNotAllowed } from "../api.server";
import { requireApiCreatorTeam } from "../capacity.server";

/** The creator's locked allocations, each with why (English text and the structured parts). */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCreatorTeam(request, context, params.creatorSlug, "capacity:read");
  const allocations = await listCreatorAllocations(context.rt, ctx);
  return Response.json({ allocations: allocations.map((a) => ({ ...a, explanation: renderExplanation(a.parts) })) });
});

export const action = methodNotAllowed("GET");
