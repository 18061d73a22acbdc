/**
 * @kiln/drops — server-only: products, drops and member-only restocks from a creator's locked
 * allocation, and the oversell-proof claim path (DESIGN.md §4 "Claim"). Input schemas are
 * browser-safe and also exported alone as "@kiln/drops/schemas".
 */
export * from "./schemas";
export {
  createDrop,
  createProduct,
  listStorefrontDrops,
  setDropPublished,
  type Drop,
  type Product,
  type StorefrontDrop,
} from "./drops";
export {
  cancelClaim,
  claimDrop,
  claimDropWithApiToken,
  expireHolds,
  getClaim,
  getRemaining,
  startBucket,
  type Claim,
  type ClaimApiToken,
  type MemberContext,
} from "./claims";
export {
  cancelAuthorisations,
  completeClaimPayment,
  getOrderPage,
  payForClaim,
  startClaimCheckout,
  type DropPayment,
  type Order,
  type OrderPage,
  type PayResult,
} from "./payment";
export { runDropHoldJob, sweepDropPayments } from "./payment-sweeps";
export {
  cancelOrderForRefund,
  cancelOrderPath,
  canCancelForRefund,
  getOrderCancellation,
  reviseOrderShipBy,
  type CancelledOrder,
  type RevisedOrder,
} from "./revisions";
export { listCreatorOrders, listFactoryOrders, listMemberOrders, markOrder, type OrderView } from "./orders";
export { joinWaitlist, leaveWaitlist, offerWaitlist, waitlistPosition, type WaitlistEntry } from "./waitlist";
export {
  createDropFromAllocation,
  dropPhase,
  getStudioDrop,
  listStudioDrops,
  StudioDropSchema,
  type DropAllocation,
  type DropPhase,
  type StudioDrop,
  type StudioDropInput,
  type StudioDropRow,
  type StudioDrops,
} from "./studio";
export {
  admittedUpTo,
  etaSeconds,
  countRequest,
  limitRequest,
  pollQueue,
  RateLimiter,
  setDropHot,
  shuffleOrder,
  type QueueStatus,
} from "./admission";
export { isKnownSoldOut, SOLD_OUT_TTL_MS } from "./soldout";
export { checkGate, entitledTiers, getDropGate, type DropGate, type GateTier } from "./gate";
export { createEdition, listEditions, type Edition } from "./lifetime";
export { updateProduct } from "./products";
export { getDropView, type DropView } from "./public";
