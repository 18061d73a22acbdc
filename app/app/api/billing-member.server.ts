import { listMemberSubscriptions, type Stripe } from "@kiln/billing";
import { AppError } from "@kiln/core";
import type { Runtime } from "@kiln/db";
import { apiErrorResponse, apiHandler, methodNotAllowed, requireApiCaller } from "../api.server";
import {
  requestIdFrom,
  subscriptionIdParam,
  toApiSubscription,
  type ApiMemberSubscription,
} from "./billing-member-schemas";

/** One of the caller's subscriptions in the API's shape; another member's (or none) is NOT_FOUND. */
export async function ownApiSubscription(rt: Runtime, userId: string, id: string): Promise<ApiMemberSubscription> {
  const found = (await listMemberSubscriptions(rt, { userId })).find((s) => s.id === id);
  if (!found) throw new AppError("NOT_FOUND", "Subscription not found");
  return toApiSubscription(found);
}

/** The process's Stripe client; a 503 UNAVAILABLE answer (as the webhook endpoints give) without billing. */
export async function withStripe(
  context: { billing?: { stripe: Stripe } | null },
  fn: (stripe: Stripe) => Promise<Response>,
): Promise<Response> {
  if (!context.billing) return apiErrorResponse(503, "UNAVAILABLE", "Billing is not configured on this server");
  return fn(context.billing.stripe);
}

type MemberOperation = (
  rt: Runtime,
  stripe: Stripe,
  actor: { userId: string },
  input: { subscriptionId: string; requestId: string },
) => Promise<unknown>;

/**
 * POST /api/v1/me/subscriptions/{id}/<operation> for an operation that needs nothing but the
 * subscription (pause, resume): `billing:write`, an optional Idempotency-Key (a retry is the same
 * operation), the subscription as it is afterwards.
 */
export function memberOperationAction(operate: MemberOperation) {
  return apiHandler(async ({ request, params, context }) => {
    if (request.method !== "POST") return methodNotAllowed("POST")();
    const caller = await requireApiCaller(request, context, "billing:write");
    const subscriptionId = subscriptionIdParam(params.id);
    const requestId = requestIdFrom(request, caller.user.id, false);
    return withStripe(context, async (stripe) => {
      await operate(context.rt, stripe, { userId: caller.user.id }, { subscriptionId, requestId });
      return Response.json({ subscription: await ownApiSubscription(context.rt, caller.user.id, subscriptionId) });
    });
  });
}
