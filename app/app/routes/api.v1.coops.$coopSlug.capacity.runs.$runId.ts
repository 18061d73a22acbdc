import { getAllocationRun, renderExplanation } from "@kiln/capacity";
import { apiHandler, methodNotAllowed } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

/** A run with both plans; each outcome carries its explanation as English text too. */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  const run = await getAllocationRun(context.rt, ctx, params.runId ?? "");
  const plans = Object.fromEntries(
    Object.entries(run.plans).map(([method, plan]) => [
      method,
      { ...plan, outcomes: plan.outcomes.map((o) => ({ ...o, explanation: renderExplanation(o.parts) })) },
    ]),
  );
  return Response.json({ run: { ...run, plans } });
});

export const action = methodNotAllowed("GET");
