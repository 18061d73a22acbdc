export { createStripeClient, type Stripe, type StripeTarget } from "./client";
export {
  accountStatus,
  createOnboardingLink,
  getConnectStatus,
  OnboardingLinkSchema,
  syncConnectAccount,
} from "./connect";
export { DEFAULT_GRACE_DAYS, effectiveTierId, hasEntitlement, isEntitled, type EntitlementState } from "./entitlement";
export { changePlan, ChangePlanSchema, listPlanOptions, type ChangePlanInput, type PlanDirection } from "./change-plan";
export { cancelAtPeriodEnd, pauseSubscription, resumeSubscription } from "./pause";
export { CardUpdateSchema, createCardUpdateSession, retrySubscriptionPayment } from "./portal";
export { listSubscriptionInvoices, type MemberInvoice } from "./invoices";
export { MemberOpSchema, type MemberOpInput } from "./own-subscription";
export {
  createSubscription,
  CreateSubscriptionSchema,
  startSubscriptionCheckout,
  StartCheckoutSchema,
  type BillingTaxOptions,
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
export {
  cancelSubscriptionOnStripe,
  lastSubscriptionPayment,
  refundPayment,
  type CancelWhen,
  type LastPayment,
} from "./cancel";
export { applyDisputeState, disputeEmail, isDisputeOpen, type DisputeRow } from "./disputes";
export {
  reconcileAll,
  reconcileCoop,
  RECONCILE_MAX_EVENTS,
  type ReconcileTrigger,
  type ReconciliationDifference,
  type ReconciliationRow,
} from "./reconcile";
export {
  ApplicationFeeSchema,
  ChurnPeriodSchema,
  DunningPolicySchema,
  getCoopBillingAdmin,
  getCreatorBilling,
  monthlyAmount,
  retryDeadLetter,
  RetryDeadLetterSchema,
  runReconciliationNow,
  setApplicationFee,
  setDunningPolicy,
  type CoopBillingAdmin,
  type CreatorBillingOverview,
  type Money,
} from "./reports";
export {
  applyFinalActions,
  FINAL_ACTION_CANCEL_COMMENT,
  FINAL_ACTION_LEASE_MINUTES,
  finalActionEmail,
  type BillingFinalAction,
  type FinalActionOutcome,
  type FinalActionResult,
} from "./final-action";
