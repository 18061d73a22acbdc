import { getAllocationJob } from "@kiln/capacity";
import { apiHandler, methodNotAllowed } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

/** A background allocation run: status, stage, percent, and the draft run once done. */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  return Response.json({ job: await getAllocationJob(context.rt, ctx, params.jobId ?? "") });
});

export const action = methodNotAllowed("GET");
