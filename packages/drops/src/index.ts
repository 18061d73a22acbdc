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
  confirmClaim,
  expireHolds,
  getClaim,
  getRemaining,
  startBucket,
  type Claim,
  type MemberContext,
} from "./claims";
