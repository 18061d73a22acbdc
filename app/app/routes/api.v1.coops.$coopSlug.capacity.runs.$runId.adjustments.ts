import { AdjustAllocationSchema, adjustAllocation } from "@kiln/capacity";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

/** An admin sets one batch of a draft plan by hand (audited; the plan must still keep every rule). */
const AdjustBodySchema = AdjustAllocationSchema.omit({ runId: true });

export const loader = methodNotAllowed("POST");

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:write");
  const input = await parseJsonBody(request, AdjustBodySchema);
  await adjustAllocation(context.rt, ctx, { ...input, runId: params.runId ?? "" });
  return new Response(null, { status: 204 });
});
