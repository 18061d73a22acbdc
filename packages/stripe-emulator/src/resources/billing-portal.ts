import type Stripe from "stripe";
import { accepts, route, type ApiContext, type Route } from "../api";
import { newId } from "../ids";
import { getCustomer } from "./customers";

export type EmulatedPortalSession = Pick<
  Stripe.BillingPortal.Session,
  | "id"
  | "object"
  | "configuration"
  | "created"
  | "customer"
  | "flow"
  | "livemode"
  | "locale"
  | "on_behalf_of"
  | "return_url"
  | "url"
>;

function create(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const customer = getCustomer(emu, scope, params.reqStr("customer"));
  const id = newId("bps");
  const session: EmulatedPortalSession = {
    id,
    object: "billing_portal.session",
    configuration: "bpc_emulator_default",
    created: emu.now(),
    customer: customer.id,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: params.str("return_url") ?? null,
    url: `${emu.baseUrl}/hosted/portal/${id}`,
  };
  return emu.store.put(scope, session);
}

export const billingPortalRoutes: Route[] = [
  route(
    "POST",
    "/v1/billing_portal/sessions",
    create,
    // `locale` is accepted and ignored (the hosted page is in English).
    accepts<Stripe.BillingPortal.SessionCreateParams>("customer", "return_url", "locale"),
  ),
];
