import { createHmac } from "node:crypto";
import { validateSessionToken } from "@kiln/auth";
import type { Config } from "@kiln/core";
import type { Runtime } from "@kiln/db";
import type { TrainRequest } from "@kiln/personalization";
import type { BillingServices } from "./billing.server";
import { getSessionToken } from "./session.server";

/** Long-lived things made once per process by server/main.ts (or by a test). */
export interface AppServices {
  config: Config;
  rt: Runtime;
  /** Asks the job worker to deliver the email outbox now (after an action queued mail); never throws. */
  notifyOutbox: () => void;
  /** Hands a long capacity allocation run (issue 7) to the pg-boss worker; absent: runs stay synchronous. */
  sendAllocationJob?: ((jobId: string) => Promise<unknown>) | null;
  /** Queues a co-op's offer-ranker training (issue 9 §3, "personalization.train"); absent: cannot be queued. */
  sendTrainJob?: ((data: TrainRequest) => Promise<unknown>) | null;
  /** The process's Stripe client and webhook queueing (issue 5); absent in tests that do not use billing. */
  billing?: BillingServices;
}

export interface RequestInfo {
  /** The client's address (X-Forwarded-For only when TRUST_PROXY is set). */
  clientIp: string;
  /** Whether the client reached us over HTTPS (X-Forwarded-Proto only when TRUST_PROXY is set). */
  isHttps: boolean;
  /** The CSP nonce of this response. */
  cspNonce: string;
}

/** Cookies (toasts, the language switch) are signed with a key derived from the configured secret. */
export const cookieSecretFor = (config: Config) =>
  createHmac("sha256", config.auditCheckpointKey).update("kiln:cookie-signing").digest("base64url");

/**
 * The request context (Hydrogen's createAppLoadContext): built once per request before Remix runs, so
 * loaders never construct clients or re-read the session. Its type is Remix's AppLoadContext.
 */
export async function createAppLoadContext(
  services: AppServices,
  request: Pick<Request, "headers">,
  info: RequestInfo,
) {
  const sessionToken = getSessionToken(request);
  const auth = sessionToken ? await validateSessionToken(services.rt, sessionToken) : null;
  return {
    ...services,
    ...info,
    cookieSecret: cookieSecretFor(services.config),
    /** The raw cookie value, for sign-out. */
    sessionToken: auth ? sessionToken : null,
    /** The signed-in user and session, or null. `refreshed` means the cookie must be re-set. */
    auth,
  };
}

export type KilnLoadContext = Awaited<ReturnType<typeof createAppLoadContext>>;

declare module "@remix-run/node" {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppLoadContext extends KilnLoadContext {}
}
