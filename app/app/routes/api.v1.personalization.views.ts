import {
  limitViewBeaconByIp,
  limitViewBeaconByMember,
  ProductViewSchema,
  recordProductView,
} from "@kiln/personalization";
import { apiHandler, methodNotAllowed, parseJsonBody, requireApiCaller } from "../api.server";

export const loader = methodNotAllowed("POST");

/**
 * POST /api/v1/personalization/views: one page view (product id and dwell, nothing else) the signed-in
 * member chose to share (issue 9 §1). Stored only under a standing consent for the product's creator
 * (account → privacy); without one it is 403 and nothing is stored. JSON only, so a cross-site form
 * cannot post it with the member's cookie. Rate limited per client address (before sign-in is checked)
 * and per member: 429 with Retry-After, nothing stored.
 */
export const action = apiHandler(async ({ request, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  limitViewBeaconByIp(context.clientIp || null);
  const caller = await requireApiCaller(request, context, "drops:write");
  limitViewBeaconByMember(caller.user.id);
  const view = await parseJsonBody(request, ProductViewSchema);
  const { id } = await recordProductView(context.rt, { userId: caller.user.id }, view);
  return Response.json({ view: { id } }, { status: 201 });
});
