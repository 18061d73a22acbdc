export * from "./disclosure";
export * from "./terms";
export * from "./terms-form";
export * from "./rule-packs";
export * from "./engine";
export * from "./notice-windows";
export { applyMutations, fixtureInput, sampleOrderPage, sampleTermsData } from "./fixtures";
export * from "./context";
export { evaluateForJurisdictions, getTierWorkspace, listTiers, saveTermsDraft } from "./studio";
export { seedMemberConsent, seedTierWithTerms, type SeedConsentInput, type SeedTierInput } from "./seed";
export {
  contentHash,
  createTermsDraft,
  createTier,
  CreateTierSchema,
  diffTermsVersions,
  getTermsVersion,
  listReviewQueue,
  submitTermsVersion,
  updateTermsDraft,
} from "./terms-versions";
export {
  createWaiver,
  decideTermsVersion,
  DecisionSchema,
  listWaivers,
  revokeWaiver,
  setRequiredApprovals,
  WaiverSchema,
} from "./reviews";
export {
  conspicuousDocument,
  ConspicuousnessError,
  contrastRatio,
  staticStyleProbe,
  styleInputFor,
} from "./conspicuous";
export { canPublishTier, checkTierPublishable, publishTier, type PublishBlocker, type PublishCheck } from "./publish";
export { rereviewLiveTiers } from "./rereview";
export {
  decideWaiverRequest,
  listOpenWaiverRequests,
  listWaiverRequests,
  requestWaiver,
  WaiverRequestDecisionSchema,
  WaiverRequestSchema,
} from "./waiver-requests";
export {
  ConsentInputSchema,
  ConsentSearchSchema,
  eraseExpiredConsentData,
  markContractEnded,
  recordConsent,
  recordConsentIn,
  retainUntil,
  searchConsents,
  type ConsentInput,
} from "./consents";
export type { WaivedFinding } from "./evaluate-version";
