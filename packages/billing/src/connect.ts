import { eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { requireCreatorOwner, requireCreatorTeam } from "./context";

export const OnboardingLinkSchema = z.object({
  returnUrl: z.url(),
  refreshUrl: z.url(),
});

/** Kiln's status of a connected account, from Stripe's flags. */
export function accountStatus(account: Pick<Stripe.Account, "charges_enabled" | "details_submitted" | "requirements">) {
  if (account.charges_enabled) return "enabled" as const;
  // Details were submitted but Stripe does not (or no longer) let it charge: restricted.
  if (account.details_submitted || account.requirements?.disabled_reason?.startsWith("rejected"))
    return "restricted" as const;
  return "pending" as const;
}

/**
 * The creator's Connect onboarding link (owner only). Creates the Express account on first use
 * (idempotent per creator) and records it; the link itself is short-lived and never stored.
 */
export async function createOnboardingLink(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  input: z.input<typeof OnboardingLinkSchema>,
): Promise<{ url: string; stripeAccountId: string }> {
  const a = requireCreatorOwner(actor);
  const urls = OnboardingLinkSchema.parse(input);
  let existing = await withTenant(rt, a, async (tx) => {
    const [row] = await tx
      .select()
      .from(schema.billingAccounts)
      .where(eq(schema.billingAccounts.creatorId, a.creatorId));
    return row;
  });
  if (!existing) {
    const account = await stripe.accounts.create(
      { type: "express", metadata: { kiln_creator_id: a.creatorId, kiln_coop_id: a.coopId } },
      { idempotencyKey: `kiln-connect-account-${a.creatorId}` },
    );
    existing = await withTenant(rt, a, async (tx) => {
      const [row] = await tx
        .insert(schema.billingAccounts)
        .values({
          coopId: a.coopId,
          creatorId: a.creatorId,
          stripeAccountId: account.id,
          status: accountStatus(account),
        })
        .onConflictDoNothing()
        .returning();
      if (row)
        await appendAudit(tx, rt.clock.now(), {
          coopId: a.coopId,
          action: "billing.connect_account_created",
          actorUserId: a.userId,
          subjectType: "creator",
          subjectId: a.creatorId,
          data: { stripeAccountId: account.id },
        });
      const [current] = await tx
        .select()
        .from(schema.billingAccounts)
        .where(eq(schema.billingAccounts.creatorId, a.creatorId));
      return current!;
    });
  }
  const link = await stripe.accountLinks.create({
    account: existing.stripeAccountId,
    type: "account_onboarding",
    return_url: urls.returnUrl,
    refresh_url: urls.refreshUrl,
  });
  return { url: link.url, stripeAccountId: existing.stripeAccountId };
}

/** The creator's Connect status for the studio (null before onboarding started). */
export async function getConnectStatus(rt: Runtime, actor: TenantContext) {
  const a = requireCreatorTeam(actor);
  return withTenant(rt, a, async (tx) => {
    const [row] = await tx
      .select({
        status: schema.billingAccounts.status,
        chargesEnabled: schema.billingAccounts.chargesEnabled,
        payoutsEnabled: schema.billingAccounts.payoutsEnabled,
        detailsSubmitted: schema.billingAccounts.detailsSubmitted,
      })
      .from(schema.billingAccounts)
      .where(eq(schema.billingAccounts.creatorId, a.creatorId));
    return row ?? null;
  });
}

/** Writes an account's state as Stripe has it now (the caller re-fetched it). */
export async function applyAccountState(tx: Tx, account: Stripe.Account, eventCreated: number | null) {
  const [row] = await tx
    .select()
    .from(schema.billingAccounts)
    .where(eq(schema.billingAccounts.stripeAccountId, account.id));
  if (!row) return null;
  // `account` was fetched just now, so it is applied whatever the event's age; the newest event time is kept.
  const newest = Math.max(eventCreated ?? 0, row.lastEventCreated ?? 0) || null;
  const [updated] = await tx
    .update(schema.billingAccounts)
    .set({
      status: accountStatus(account),
      chargesEnabled: account.charges_enabled ?? false,
      payoutsEnabled: account.payouts_enabled ?? false,
      detailsSubmitted: account.details_submitted ?? false,
      lastEventCreated: newest,
      updatedAt: sql`kiln_now()`,
    })
    .where(eq(schema.billingAccounts.id, row.id))
    .returning();
  return updated!;
}

/** Re-fetches a connected account from Stripe and stores its status (return from onboarding, webhooks). */
export async function syncConnectAccount(rt: Runtime, stripe: Stripe, stripeAccountId: string, eventCreated?: number) {
  const account = await stripe.accounts.retrieve(stripeAccountId);
  return withSystem(rt, "billing-account-sync", (tx) => applyAccountState(tx, account, eventCreated ?? null));
}

/** The connected account a creator charges on; CONFLICT until its charges are enabled. */
export async function requireChargeableAccount(tx: Tx, creatorId: string): Promise<string> {
  const [row] = await tx.select().from(schema.billingAccounts).where(eq(schema.billingAccounts.creatorId, creatorId));
  if (!row || row.status !== "enabled")
    throw new AppError("CONFLICT", "This creator cannot take payments yet (Stripe onboarding is not complete)");
  return row.stripeAccountId;
}
