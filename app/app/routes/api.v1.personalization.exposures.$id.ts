import { AppError } from "@kiln/core";
import { reportServedArm, ServedArmReportSchema } from "@kiln/personalization";
import { apiHandler, methodNotAllowed, parseJsonBody, requireApiCaller, UuidParam } from "../api.server";

const exposureId = (id: string | undefined) => {
  const parsed = UuidParam.safeParse(id);
  if (!parsed.success) throw new AppError("NOT_FOUND", "Exposure not found");
  return parsed.data;
};

export const loader = methodNotAllowed("POST");

/**
 * POST /api/v1/personalization/exposures/{id}: the storefront's served-arm beacon (issue 9 §7): the
 * browser ranked the offers on the device, or kept the server's order (and why). Only the member the
 * offers were shown to may report; anyone else's exposure is 404.
 */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const caller = await requireApiCaller(request, context, "drops:write");
  const id = exposureId(params.id);
  const report = await parseJsonBody(request, ServedArmReportSchema);
  const { servedArm } = await reportServedArm(context.rt, { exposureId: id, memberId: caller.user.id, ...report });
  return Response.json({ exposure: { id, servedArm } });
});
