import { createApiToken, listApiTokens } from "@kiln/auth";
import { apiHandler, methodNotAllowed, parseJsonBody, requireApiCaller } from "../api.server";
import { CreateApiTokenSchema, toApiToken } from "../api/schemas";

export const loader = apiHandler(async ({ request, context }) => {
  const caller = await requireApiCaller(request, context, "tokens:read");
  const tokens = await listApiTokens(context.rt, caller.user.id);
  return Response.json({ tokens: tokens.map(toApiToken) });
});

export const action = apiHandler(async (args) => {
  const { request, context } = args;
  if (request.method !== "POST") return methodNotAllowed("GET, POST")();
  const caller = await requireApiCaller(request, context, "tokens:write");
  const input = await parseJsonBody(request, CreateApiTokenSchema);
  const { token, record } = await createApiToken(context.rt, caller.user.id, input);
  return Response.json({ token, record: toApiToken(record) }, { status: 201 });
});
