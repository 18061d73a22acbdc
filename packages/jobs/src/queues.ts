/**
 * Queue names. pg-boss 10 requires a queue to exist before send/work, so createJobs().start() creates
 * every queue named here (and register() creates any other it is given).
 */
export const QUEUES = {
  /** Sends due rows of email_outbox (packages/mail deliverOutbox). */
  emailOutbox: "email-outbox",
  /** Writes signed audit chain-head checkpoints outside the database (packages/audit). */
  auditCheckpoint: "audit-checkpoint",
  /** Deletes expired sessions, used or expired email tokens and old rate-limit windows (packages/auth). */
  authCleanup: "auth-cleanup",
  /** Computes a long capacity allocation run with progress (packages/capacity processAllocationJob). */
  capacityAllocation: "capacity-allocation",
  /** Returns the units of drop claims whose hold has passed (packages/drops expireHolds). */
  dropsExpireHolds: "drops-expire-holds",
  /** Plans missing legally timed notices and sends due ones (packages/rights runNoticeSweep). */
  rightsNotices: "rights-notices",
  /** Retries the Stripe side of cancellations and pays refunds that are due (packages/rights). */
  rightsSweep: "rights-sweep",
  /** Applies announced price changes at their period boundary (packages/rights applyDuePriceChanges). */
  priceChanges: "billing-price-changes",
  /** Trains a co-op's offer ranker and registers it as a candidate (packages/personalization train-job.ts). */
  personalizationTrain: "personalization.train",
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
