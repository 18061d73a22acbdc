import { AppError } from "@kiln/core";
import { submitCancellation } from "@kiln/rights";
import { apiHandler, methodNotAllowed, requireApiCaller } from "../api.server";
import { cancelSubmissionFrom, requestIdFrom, subscriptionIdParam } from "../api/billing-member-schemas";
import { ownApiSubscription, withStripe } from "../api/billing-member.server";
import { resolveLocale } from "../i18n.server";

/**
 * POST /api/v1/me/subscriptions/{id}/cancel with an Idempotency-Key: an ordinary cancellation through
 * the consumer-rights flow (§ 312k, @kiln/rights), the same one the cancel page records — declaration
 * stored and audited, confirmation emailed to the address on file, signed receipt, and the
 * subscription set to end at the end of the paid period on Stripe. A retry with the same key is the
 * same declaration.
 */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const caller = await requireApiCaller(request, context, "billing:write");
  const user = caller.user;
  const subscriptionId = subscriptionIdParam(params.id);
  const requestId = requestIdFrom(request, user.id, true);
  const before = await ownApiSubscription(context.rt, user.id, subscriptionId);
  if (before.status === "canceled" || before.status === "incomplete_expired")
    throw new AppError("CONFLICT", "This subscription has already ended");
  return withStripe(context, async (stripe) => {
    const receipt = await submitCancellation(
      context.rt,
      stripe,
      {
        type: "ordinary",
        name: user.displayName,
        email: user.email,
        contract: subscriptionId,
        submission: cancelSubmissionFrom(requestId),
        locale: resolveLocale(request, user),
      },
      { receiptKey: context.cookieSecret, actor: { userId: user.id } },
    );
    return Response.json({
      subscription: await ownApiSubscription(context.rt, user.id, subscriptionId),
      declaration: {
        receivedAt: receipt.receivedAt.toISOString(),
        statement: receipt.statement,
        receiptUrl: `${context.config.appUrl}/cancel/receipt/${receipt.receiptToken}`,
      },
    });
  });
});

export const loader = methodNotAllowed("POST");
