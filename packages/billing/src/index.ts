export { createStripeClient, type Stripe, type StripeTarget } from "./client";
export {
  accountStatus,
  createOnboardingLink,
  getConnectStatus,
  OnboardingLinkSchema,
  syncConnectAccount,
} from "./connect";
export { DEFAULT_GRACE_DAYS, hasEntitlement, isEntitled, type EntitlementState } from "./entitlement";
export {
  createSubscription,
  CreateSubscriptionSchema,
  startSubscriptionCheckout,
  StartCheckoutSchema,
  type CreateSubscriptionInput,
} from "./subscribe";
export { stateFromStripe } from "./subscription-state";
export { listMemberSubscriptions } from "./member";
export { getStorefrontTier, getTierOffer, publishTierForSale, syncTierPrice, type TierPrice } from "./tiers";
export {
  listPendingWebhookEvents,
  processWebhookEvent,
  receiveWebhook,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_TOLERANCE_SECONDS,
  type ProcessOptions,
  type ProcessResult,
  type ReceiveResult,
  type WebhookEndpoint,
} from "./webhooks";
