import { changePlan, getTierOffer, listPlanOptions } from "@kiln/billing";
import { buildDisclosure, resolveJurisdiction } from "@kiln/compliance";
import { apiHandler, methodNotAllowed, parseJsonBody, requireApiCaller } from "../api.server";
import { ChangePlanRequestSchema, requestIdFrom, subscriptionIdParam } from "../api/billing-member-schemas";
import { ownApiSubscription, withStripe } from "../api/billing-member.server";
import { resolveLocale } from "../i18n.server";

/**
 * GET /api/v1/me/subscriptions/{id}/change: the tiers the member can change to, each with the
 * disclosure and unticked consents the member must be shown (built from the target's approved
 * terms, as the change screen shows them).
 */
export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "billing:read");
  const plan = await listPlanOptions(context.rt, { userId: caller.user.id }, subscriptionIdParam(params.id));
  const locale = resolveLocale(request, caller.user);
  const asOf = context.rt.clock.now();
  return Response.json({
    canChange: plan.canChange,
    current: plan.current,
    options: plan.options.map((o) => {
      const model = buildDisclosure(o.terms, { locale, asOf });
      return {
        tier: o.tier,
        termsVersionId: o.termsVersionId,
        direction: o.direction,
        price: { ...o.price, currency: o.price.currency.toUpperCase() },
        disclosure: { text: model.text, buttonLabel: model.buttonLabel, consents: model.consents },
      };
    }),
  });
});

/**
 * POST /api/v1/me/subscriptions/{id}/change with an Idempotency-Key: upgrade now (prorated) or
 * downgrade at the period end, after the member consented to the target's terms. Exactly as the
 * change screen: the consent text is rebuilt on the server from the target's terms in the shown
 * language, the ticked boxes come from the request, and changePlan refuses without a valid consent
 * (400) or for terms other than the current approved version (409).
 */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("GET, POST")();
  const caller = await requireApiCaller(request, context, "billing:write");
  const user = caller.user;
  const subscriptionId = subscriptionIdParam(params.id);
  const requestId = requestIdFrom(request, user.id, true);
  const body = await parseJsonBody(request, ChangePlanRequestSchema);
  const locale = body.locale ?? resolveLocale(request, user);
  return withStripe(context, async (stripe) => {
    // The target's current terms (also for a replayed request, when the target is already the tier).
    const target = await getTierOffer(context.rt, body.targetTierId);
    const model = buildDisclosure(target.terms, { locale, asOf: context.rt.clock.now() });
    const result = await changePlan(
      context.rt,
      stripe,
      { userId: user.id },
      {
        subscriptionId,
        targetTierId: body.targetTierId,
        termsVersionId: body.termsVersionId,
        requestId,
        consent: {
          disclosureText: model.text,
          buttonLabel: model.buttonLabel,
          checkboxes: model.consents.map((c) => ({
            name: c.name,
            label: c.label,
            checked: body.consents.includes(c.name),
          })),
          jurisdiction: resolveJurisdiction(user.country, user.usState),
          locale,
          ip: context.clientIp,
          userAgent: request.headers.get("User-Agent"),
        },
      },
    );
    return Response.json({
      subscription: await ownApiSubscription(context.rt, user.id, subscriptionId),
      direction: result.direction,
    });
  });
});
