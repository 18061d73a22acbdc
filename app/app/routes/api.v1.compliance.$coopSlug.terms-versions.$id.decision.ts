import { decideTermsVersion } from "@kiln/compliance";
import { apiHandler, methodNotAllowed, parseJsonBody, requireApiCaller } from "../api.server";
import { DecisionRequestSchema } from "../api/compliance-schemas";
import { reviewerActorForApi } from "../review.server";

export const loader = methodNotAllowed("POST");

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const caller = await requireApiCaller(request, context, "compliance:write");
  const actor = await reviewerActorForApi(context, caller, params.coopSlug);
  const body = await parseJsonBody(request, DecisionRequestSchema);
  const result = await decideTermsVersion(context.rt, actor, { termsVersionId: params.id ?? "", ...body });
  return Response.json(result);
});
