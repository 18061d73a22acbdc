import { AppError } from "@kiln/core";
import { getDropView } from "@kiln/drops";
import { apiHandler, methodNotAllowed, requireApiCaller, UuidParam } from "../api.server";
import { toApiDrop } from "../api/drops-schemas";

/** GET /api/v1/drops/{id}: a published drop, with units left and the gate as it applies to the caller. */
export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "drops:read");
  const id = UuidParam.safeParse(params.id);
  if (!id.success) throw new AppError("NOT_FOUND", "Drop not found");
  const drop = await getDropView(context.rt, id.data, caller.user.id);
  return Response.json({ drop: toApiDrop(drop) });
});

export const action = methodNotAllowed("GET");
