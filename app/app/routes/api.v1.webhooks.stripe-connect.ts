import type { ActionFunctionArgs } from "@remix-run/node";
import { handleStripeWebhook } from "../billing.server";

/** Connected accounts' events (signed with STRIPE_CONNECT_WEBHOOK_SECRET). Exempt from the Origin check: signed. */
export const action = ({ request, context }: ActionFunctionArgs) => handleStripeWebhook(request, context, "connect");

export const loader = () => new Response(null, { status: 405, headers: { Allow: "POST" } });
