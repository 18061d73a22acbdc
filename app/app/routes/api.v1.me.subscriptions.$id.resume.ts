import { resumeSubscription } from "@kiln/billing";
import { methodNotAllowed } from "../api.server";
import { memberOperationAction } from "../api/billing-member.server";

/**
 * POST /api/v1/me/subscriptions/{id}/resume: resumes a paused subscription; entitled again at once. An optional Idempotency-Key makes a retry the
 * same operation; 409 CONFLICT from a state it cannot start from.
 */
export const action = memberOperationAction(resumeSubscription);

export const loader = methodNotAllowed("POST");
