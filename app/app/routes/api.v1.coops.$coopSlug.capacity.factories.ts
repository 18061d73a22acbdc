import { createFactory, FactorySchema, listFactories } from "@kiln/capacity";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:read");
  return Response.json({ factories: await listFactories(context.rt, ctx) });
});

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("GET, POST")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:write");
  const input = await parseJsonBody(request, FactorySchema);
  return Response.json({ factory: await createFactory(context.rt, ctx, input) }, { status: 201 });
});
