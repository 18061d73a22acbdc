import { listFactoryWork } from "@kiln/capacity";
import { apiHandler, methodNotAllowed } from "../api.server";
import { requireApiFactoryOperator } from "../capacity.server";

/** A factory operator's locked batches (with re-planning flags). */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiFactoryOperator(request, context, params.factoryId, "capacity:read");
  return Response.json({ work: await listFactoryWork(context.rt, ctx) });
});

export const action = methodNotAllowed("GET");
