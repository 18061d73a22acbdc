import type { ActionFunctionArgs } from "@remix-run/node";
import { handleStripeWebhook } from "../billing.server";

/** Stripe's platform events (signed with STRIPE_WEBHOOK_SECRET). Exempt from the Origin check: signed. */
export const action = ({ request, context }: ActionFunctionArgs) => handleStripeWebhook(request, context, "platform");

export const loader = () => new Response(null, { status: 405, headers: { Allow: "POST" } });
