import { revokeApiToken } from "@kiln/auth";
import { apiHandler, methodNotAllowed, requireApiCaller } from "../api.server";

export const loader = methodNotAllowed("DELETE");

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "DELETE") return methodNotAllowed("DELETE")();
  const caller = await requireApiCaller(request, context, "tokens:write");
  await revokeApiToken(context.rt, caller.user.id, params.id ?? "");
  return new Response(null, { status: 204 });
});
