import { listAllocationRuns, RunRequestSchema, startAllocation } from "@kiln/capacity";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  return Response.json({ runs: await listAllocationRuns(context.rt, ctx) });
});

/** A small window runs at once (201 with the run); a long one, or `background: true`, is a job (202). */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("GET, POST")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:write");
  const input = await parseJsonBody(request, RunRequestSchema);
  const started = await startAllocation(context.rt, ctx, input, context.sendAllocationJob ?? null);
  return started.kind === "run"
    ? Response.json({ runId: started.runId }, { status: 201 })
    : Response.json({ jobId: started.jobId }, { status: 202 });
});
