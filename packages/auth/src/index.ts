/**
 * @kiln/auth — server-only: accounts, sessions (Lucia's design), roles, invitations, API tokens.
 * The form schemas are browser-safe and also exported alone as "@kiln/auth/schemas".
 */
export * from "./password";
export * from "./schemas";
export type { SessionUser } from "./users";
export * from "./sessions";
export { signUp, verifyEmail, resendVerification, VERIFY_EMAIL_TOKEN_LIFETIME_MS, type LinkOptions } from "./sign-up";
export {
  signIn,
  SIGN_IN_ACCOUNT_LIMIT,
  SIGN_IN_IP_ALL_LIMIT,
  SIGN_IN_IP_LIMIT,
  type SignInInput,
  type SignInResult,
} from "./sign-in";
export {
  changePassword,
  requestPasswordReset,
  resetPassword,
  RESET_TOKEN_LIFETIME_MS,
  type ChangePasswordInput,
} from "./password-changes";
export {
  getMemberships,
  tenantContextFor,
  requireMembership,
  isCoopAdminOf,
  isCreatorOwnerOf,
  isCreatorTeamOf,
  type Membership,
} from "./roles";
export * from "./invitations";
export * from "./api-tokens";
export { getSessionUser, updateProfile } from "./profile";
export { deleteExpiredAuthRows } from "./maintenance";
export { getCoopDirectory, type CoopDirectory } from "./directory";
