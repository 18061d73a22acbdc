import { API_TOKEN_TOUCH_INTERVAL_MS, noteApiTokenHolder, seenApiTokenHolder, validateApiTokenHash } from "@kiln/auth";
import { AppError, isAppError } from "@kiln/core";
import { claimDrop, claimDropWithApiToken, countRequest, limitRequest, type Claim, type ClaimInput } from "@kiln/drops";
import type { KilnLoadContext } from "../context.server";
import {
  apiHandler,
  bearerTokenHash,
  methodNotAllowed,
  parseJsonBody,
  requireApiCaller,
  UNKNOWN_TOKEN,
  UuidParam,
} from "../api.server";
import { ClaimRequestSchema, IdempotencyKeySchema, toApiClaim } from "../api/drops-schemas";

export const loader = methodNotAllowed("POST");

/**
 * POST /api/v1/drops/{id}/claims with an Idempotency-Key header: a reserved claim with its hold (201).
 * A retry with the same key returns the same claim (201 again, nothing new written). Bad input is 400
 * before anything is counted or written; then the per-member and per-IP claim limits (429 with
 * Retry-After); then the claim: 409 SOLD_OUT / NOT_OPEN / LIMIT_EXCEEDED, 403 NOT_ENTITLED.
 * A bearer token is checked by the claim's own statement (docs/decisions/025): 401 for an unknown,
 * revoked or expired token, 403 without drops:write. A request refused as bad input checks the token
 * first, so the order is the other routes': 401/403, then 404/400. A browser session is checked first.
 */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const tokenHash = bearerTokenHash(request);
  const session = tokenHash === null ? await requireApiCaller(request, context, "drops:write") : null;
  let parsed: { input: ClaimInput; options: { admissionToken?: string } };
  try {
    parsed = await readClaimRequest(request, params.id);
  } catch (error) {
    // Refused before the claim statement would check the token: check it here, so that a wrong token
    // is 401 and a token without drops:write 403 before any 400 or 404, as on the other routes.
    if (tokenHash !== null) await requireApiCaller(request, context, "drops:write");
    throw error;
  }
  const { input, options } = parsed;
  let claim: Claim;
  if (session) {
    limitRequest("claim", { memberUserId: session.user.id, ip: context.clientIp || null });
    claim = await claimDrop(context.rt, { userId: session.user.id }, input, options);
  } else {
    claim = await claimWithToken(context, tokenHash!, input, options);
  }
  return Response.json(
    { claim: toApiClaim(claim, context.rt.clock.now()) },
    { status: 201, headers: { Location: `/api/v1/claims/${claim.id}` } },
  );
});

/** The drop id, the Idempotency-Key and the optional JSON body (one unit when absent): 404 / 400 when wrong. */
async function readClaimRequest(request: Request, id: string | undefined) {
  const dropId = UuidParam.safeParse(id);
  if (!dropId.success) throw new AppError("NOT_FOUND", "Drop not found");
  const key = IdempotencyKeySchema.safeParse(request.headers.get("Idempotency-Key") ?? undefined);
  if (!key.success)
    throw new AppError("BAD_INPUT", key.error.issues[0]!.message, {
      fields: { "Idempotency-Key": key.error.issues.map((i) => i.message) },
    });
  const body = request.headers.get("Content-Type")
    ? await parseJsonBody(request, ClaimRequestSchema)
    : ClaimRequestSchema.parse({});
  return {
    input: { dropId: dropId.data, quantity: body.quantity, idempotencyKey: key.data },
    options: { admissionToken: body.admissionToken },
  };
}

/**
 * The claim of a bearer token's holder: one statement checks the token and claims. The per-member
 * limit needs the member before that statement: a token this process has seen is keyed by its holder;
 * a new one is counted for its holder once the answer names them. A refusal rolls back the statement's
 * touch of last_used_at and does not name the holder, so a refused token is checked (and touched) in
 * full here, at most once per touch interval per token in this process.
 */
async function claimWithToken(
  context: Pick<KilnLoadContext, "rt" | "clientIp">,
  tokenHash: string,
  input: ClaimInput,
  options: { admissionToken?: string },
): Promise<Claim> {
  const { rt } = context;
  const nowMs = rt.clock.now().getTime();
  const seen = seenApiTokenHolder(tokenHash);
  const due = !seen || nowMs - seen.touchedAtMs >= API_TOKEN_TOUCH_INTERVAL_MS || nowMs < seen.touchedAtMs;
  const learnt = (userId: string) => {
    if (!seen) countRequest("claim", userId);
    if (due) noteApiTokenHolder(tokenHash, userId, nowMs);
  };
  limitRequest("claim", { memberUserId: seen?.userId ?? null, ip: context.clientIp || null });
  const token = { hash: tokenHash, scope: "drops:write", touchIntervalMs: API_TOKEN_TOUCH_INTERVAL_MS };
  try {
    const claim = await claimDropWithApiToken(rt, token, input, options);
    learnt(claim.memberUserId);
    return claim;
  } catch (error) {
    if (!isAppError(error) || error.code === "UNAUTHENTICATED" || !due) throw error;
    // Refused for another reason (or answered from memory: a sold-out hot drop) with a token that may
    // be unknown to this process: check it in full, which touches it; an unknown token is a 401.
    const holder = await validateApiTokenHash(rt, tokenHash);
    if (!holder) throw new AppError("UNAUTHENTICATED", UNKNOWN_TOKEN);
    learnt(holder.user.id);
    throw error;
  }
}
