import { z } from "zod";
import { AppError } from "@kiln/core";
import { claimDrop, limitRequest } from "@kiln/drops";
import { apiHandler, methodNotAllowed, parseJsonBody, requireApiCaller } from "../api.server";
import { ClaimRequestSchema, IdempotencyKeySchema, toApiClaim } from "../api/drops-schemas";

export const loader = methodNotAllowed("POST");

/**
 * POST /api/v1/drops/{id}/claims with an Idempotency-Key header: a reserved claim with its hold (201).
 * A retry with the same key returns the same claim (201 again, nothing new written). Bad input is 400
 * before anything is counted or written; then the per-member and per-IP claim limits (429 with
 * Retry-After); then the claim: 409 SOLD_OUT / NOT_OPEN / LIMIT_EXCEEDED, 403 NOT_ENTITLED.
 */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const caller = await requireApiCaller(request, context, "drops:write");
  const dropId = z.uuid().safeParse(params.id);
  if (!dropId.success) throw new AppError("NOT_FOUND", "Drop not found");
  const key = IdempotencyKeySchema.safeParse(request.headers.get("Idempotency-Key") ?? undefined);
  if (!key.success)
    throw new AppError("BAD_INPUT", key.error.issues[0]!.message, {
      fields: { "Idempotency-Key": key.error.issues.map((i) => i.message) },
    });
  // The body is optional (one unit); when sent it is JSON.
  const body = request.headers.get("Content-Type")
    ? await parseJsonBody(request, ClaimRequestSchema)
    : ClaimRequestSchema.parse({});
  limitRequest("claim", { memberUserId: caller.user.id, ip: context.clientIp || null });
  const claim = await claimDrop(
    context.rt,
    { userId: caller.user.id },
    { dropId: dropId.data, quantity: body.quantity, idempotencyKey: key.data },
    { admissionToken: body.admissionToken },
  );
  return Response.json(
    { claim: toApiClaim(claim, context.rt.clock.now()) },
    { status: 201, headers: { Location: `/api/v1/claims/${claim.id}` } },
  );
});
