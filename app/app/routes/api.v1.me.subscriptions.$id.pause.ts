import { pauseSubscription } from "@kiln/billing";
import { methodNotAllowed } from "../api.server";
import { memberOperationAction } from "../api/billing-member.server";

/**
 * POST /api/v1/me/subscriptions/{id}/pause: pauses collection (Stripe pause_collection, renewals voided); not entitled while paused. An optional Idempotency-Key makes a retry the
 * same operation; 409 CONFLICT from a state it cannot start from.
 */
export const action = memberOperationAction(pauseSubscription);

export const loader = methodNotAllowed("POST");
