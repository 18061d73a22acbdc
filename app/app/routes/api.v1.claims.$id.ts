import { AppError } from "@kiln/core";
import { cancelClaim, getClaim } from "@kiln/drops";
import { apiHandler, methodNotAllowed, requireApiCaller, UuidParam } from "../api.server";
import { toApiClaim } from "../api/drops-schemas";

const claimId = (id: string | undefined) => {
  const parsed = UuidParam.safeParse(id);
  if (!parsed.success) throw new AppError("NOT_FOUND", "Claim not found");
  return parsed.data;
};

/** GET /api/v1/claims/{id}: the caller's own claim with its hold (someone else's is 404). */
export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "drops:read");
  const claim = await getClaim(context.rt, { userId: caller.user.id }, claimId(params.id));
  return Response.json({ claim: toApiClaim(claim, context.rt.clock.now()) });
});

/** DELETE /api/v1/claims/{id}: the member lets go of a reserved claim; its units go back at once. */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "DELETE") return methodNotAllowed("GET, DELETE")();
  const caller = await requireApiCaller(request, context, "drops:write");
  const claim = await cancelClaim(context.rt, { userId: caller.user.id }, claimId(params.id));
  return Response.json({ claim: toApiClaim(claim, context.rt.clock.now()) });
});
