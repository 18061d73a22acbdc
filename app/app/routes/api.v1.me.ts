import { apiHandler, methodNotAllowed, requireApiCaller } from "../api.server";
import { toApiUser } from "../api/schemas";

export const loader = apiHandler(async ({ request, context }) => {
  const caller = await requireApiCaller(request, context, "me:read");
  return Response.json({ user: toApiUser(caller.user) });
});

export const action = methodNotAllowed("GET");
