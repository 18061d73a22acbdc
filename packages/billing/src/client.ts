import Stripe from "stripe";

export type { Stripe };

/** Where the one Stripe client of a process talks to: Stripe itself, or the local emulator. */
export type StripeTarget =
  { secretKey: string } | { emulator: { host: string; port: number; protocol: "http" | "https" }; secretKey?: string };

/** The key the SDK sends to the emulator (it accepts any); never a real secret. */
const EMULATOR_KEY = "sk_test_kiln_emulator";

/**
 * Builds the process's Stripe client (server/main.ts, the worker, a test) — once, then passed in:
 * package functions never construct one per request. The key lives only inside the SDK object;
 * nothing here logs it or returns it. Pass `stripeClientOptions(url)` of @kiln/stripe-emulator as
 * `emulator` when STRIPE_SECRET_KEY is unset.
 */
export function createStripeClient(target: StripeTarget): Stripe {
  if ("emulator" in target) {
    return new Stripe(target.secretKey ?? EMULATOR_KEY, {
      ...target.emulator,
      maxNetworkRetries: 2,
      telemetry: false,
    });
  }
  return new Stripe(target.secretKey, { maxNetworkRetries: 2, telemetry: false });
}
