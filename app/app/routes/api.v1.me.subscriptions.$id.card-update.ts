import { createCardUpdateSession } from "@kiln/billing";
import { AppError } from "@kiln/core";
import { apiHandler, methodNotAllowed, parseJsonBody, requireApiCaller } from "../api.server";
import { CardUpdateRequestSchema, subscriptionIdParam } from "../api/billing-member-schemas";
import { withStripe } from "../api/billing-member.server";

/**
 * POST /api/v1/me/subscriptions/{id}/card-update: a Stripe billing portal session (short-lived) where
 * the member replaces the card; the card never reaches Kiln. `returnUrl` must be on Kiln's origin.
 */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const caller = await requireApiCaller(request, context, "billing:write");
  const subscriptionId = subscriptionIdParam(params.id);
  const hasBody = (request.headers.get("Content-Length") ?? "0") !== "0" || request.headers.has("Content-Type");
  const body = hasBody ? await parseJsonBody(request, CardUpdateRequestSchema) : {};
  const appUrl = context.config.appUrl;
  const returnUrl = body.returnUrl ?? `${appUrl}/account/subscriptions`;
  if (new URL(returnUrl).origin !== new URL(appUrl).origin)
    throw new AppError("BAD_INPUT", `returnUrl must be on ${new URL(appUrl).origin}`, {
      fields: { returnUrl: ["Use a URL on Kiln's own origin"] },
    });
  return withStripe(context, async (stripe) => {
    const session = await createCardUpdateSession(
      context.rt,
      stripe,
      { userId: caller.user.id },
      {
        subscriptionId,
        returnUrl,
      },
    );
    return Response.json({ url: session.url }, { status: 201 });
  });
});

export const loader = methodNotAllowed("POST");
