/**
 * @kiln/rights — server-only: the consumer-rights flows of issue 6 (consumer-law-2026.md §2.4–2.5,
 * §3, §5–§8): the cancel button and the EU withdrawal function (both usable logged out), notices as
 * rows with a due date swept by a job, refunds due, and the reviewer's evidence pack.
 */
export {
  auditEvidenceExport,
  buildEvidencePack,
  EVIDENCE_FORMAT,
  EvidenceLocaleSchema,
  evidencePackJson,
  EvidenceScopeSchema,
  type EvidenceLocale,
  type EvidenceOptions,
  type EvidencePack,
  type EvidenceScopeInput,
} from "./evidence";
export { verifyEvidencePack, type EvidenceVerification } from "./evidence-verify";
export { readEvidencePdf, renderEvidencePdf } from "./evidence-pdf";
export { exportEvidencePack, type EvidenceExport } from "./evidence-export";
export {
  EvidenceSearchSchema,
  findEvidenceSubjects,
  getSubscriptionRecord,
  listCreatorRights,
  listMemberNotices,
  type TimelineEvent,
} from "./evidence-views";
export {
  applyCancellation,
  applyPendingCancellations,
  cancelPageContext,
  CancelFormSchema,
  recordCancellation,
  submitCancellation,
  type CancelFormInput,
  type DeclarationReceipt,
  type SubmitOptions,
} from "./cancel";
export {
  applyWithdrawal,
  performDueRefunds,
  performRefund,
  orderDeadline,
  recordWithdrawal,
  refundLabel,
  refundReturnedOrder,
  submitWithdrawal,
  subscriptionDeadline,
  WithdrawFormSchema,
  type WithdrawalAnswer,
  type WithdrawFormInput,
} from "./withdraw";
export {
  isWithinWithdrawalPeriod,
  serviceRefund,
  startOfLocalDay,
  WITHDRAWAL_DAYS,
  withdrawalDeadline,
  type WithdrawalDeadline,
  type WithdrawalStart,
} from "./deadline";
export {
  findReceipt,
  receiptHash,
  receiptHtml,
  receiptPdf,
  receiptText,
  receiptToken,
  verifyReceiptToken,
  type Receipt,
} from "./receipt";
export { allowedSaveOffers, SAVE_OFFER_POLICY, type SaveOfferPolicy } from "./save-offers";
export { rightsText } from "./texts";
export {
  loadNoticeContext,
  planAllNotices,
  planFor,
  planSubscriptionNotices,
  runNoticeSweep,
  sendSubscriptionNoticesNow,
  sendDueNotices,
  TEMPLATE_OF,
  type NoticeKind,
  type NoticeRow,
  type NoticeSweepOptions,
  type SendResult,
} from "./notices";
export {
  AcceptPriceChangeSchema,
  acceptPriceChange,
  acceptPriceChangeAsMember,
  APPLY_LEAD_MS,
  applyDuePriceChanges,
  OPT_IN_JURISDICTIONS,
  schedulePriceChange,
  type PlannedPriceChange,
  type PriceChangeOptions,
} from "./price-change";
