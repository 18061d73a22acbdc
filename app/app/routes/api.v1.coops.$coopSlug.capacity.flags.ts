import { listFlaggedAllocations } from "@kiln/capacity";
import { apiHandler, methodNotAllowed } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

/** Locked batches flagged after capacity changed, with their revised ship-by dates. */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  return Response.json({ flagged: await listFlaggedAllocations(context.rt, ctx) });
});

export const action = methodNotAllowed("GET");
