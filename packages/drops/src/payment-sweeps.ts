import { and, eq, inArray, sql } from "drizzle-orm";
import type { Stripe } from "@kiln/billing";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { expireHolds } from "./claims";
import { cancelAuthorisations, captureClaim } from "./payment";
import { reviseOrderShipBy } from "./revisions";
import { offerWaitlist } from "./waitlist";

/**
 * The background side of drop payments (the hold job, every minute): authorisations of claims whose
 * hold passed are cancelled and the member told; captures a crash cut short are finished; units that
 * came back are offered to the waitlist. The invariants are in payment.ts.
 */

/**
 * Finishes captures whose outcome was never recorded (a crash between Stripe's capture and the order
 * transaction): each `capturing` payment older than `staleSeconds` is captured again (idempotent) and
 * its order created. Afterwards no captured payment exists without an order.
 */
export async function sweepDropPayments(
  rt: Runtime,
  stripe: Stripe,
  options: { staleSeconds?: number; dropIds?: string[] } = {},
) {
  const stale = options.staleSeconds ?? 120;
  const rows = await withSystem(rt, "drops-payment-sweep", (tx) =>
    tx
      .select({ claimId: schema.dropPayments.claimId })
      .from(schema.dropPayments)
      .innerJoin(schema.dropClaims, eq(schema.dropClaims.id, schema.dropPayments.claimId))
      .where(
        and(
          eq(schema.dropPayments.status, "capturing"),
          options.dropIds ? inArray(schema.dropClaims.dropId, options.dropIds) : undefined,
          sql`${schema.dropPayments.updatedAt} <= kiln_now() - make_interval(secs => ${stale})`,
        ),
      ),
  );
  let repaired = 0;
  for (const { claimId } of rows) {
    try {
      await captureClaim(rt, stripe, claimId);
      repaired++;
    } catch (error) {
      console.error(`[kiln] drops: could not finish the capture of claim ${claimId}`, error);
    }
  }
  return { repaired };
}

/**
 * The hold-expiry job: finishes stuck captures, returns expired units, cancels their authorisations,
 * offers returned units to the waitlist, and tells members of revised ship-by dates.
 * `dropIds` limits it to some drops (tests sharing a server database with other files).
 */
export async function runDropHoldJob(
  rt: Runtime,
  stripe: Stripe,
  options: { dropIds?: string[]; appUrl?: string } = {},
) {
  const swept = await sweepDropPayments(rt, stripe, options);
  const expired = await expireHolds(rt, options);
  const cancelled = await cancelAuthorisations(rt, stripe, options);
  // Units that came back go to the first members waiting, each with its own hold.
  const waitlist = await offerWaitlist(rt, options);
  // Orders follow their batch's ship-by date after capacity changed; members are told (revisions.ts).
  const { revised } = await reviseOrderShipBy(rt, options);
  return { ...expired, ...cancelled, ...swept, ...waitlist, revisedOrders: revised.length };
}
