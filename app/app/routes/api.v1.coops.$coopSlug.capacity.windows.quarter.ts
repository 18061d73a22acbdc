import { QuarterWindowsSchema, setQuarterWindows } from "@kiln/capacity";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

/** Bulk entry: the same capacity for every week of a quarter that has not ended yet. */
export const loader = methodNotAllowed("PUT");

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "PUT") return methodNotAllowed("PUT")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:write");
  const input = await parseJsonBody(request, QuarterWindowsSchema);
  return Response.json(await setQuarterWindows(context.rt, ctx, input));
});
