import { and, eq, inArray, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { JurisdictionSchema, recordConsent } from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type TenantContext } from "@kiln/db";
import { DEFAULT_GRACE_DAYS, isEntitled } from "./entitlement";
import { upsertSubscriptionFromStripe } from "./subscription-state";
import { findCurrentPrice } from "./tiers";

/** Statuses that still bind the member: a second order for the same tier is refused while one exists. */
const OPEN_STATUSES = ["incomplete", "trialing", "active", "past_due", "paused", "unpaid"] as const;

function requireMember(actor: TenantContext): { userId: string } {
  if (!actor.userId) throw new AppError("UNAUTHENTICATED", "Sign in to subscribe");
  return { userId: actor.userId };
}

export const StartCheckoutSchema = z.object({
  tierId: z.uuid(),
  /** Kiln's order summary page; `{CHECKOUT_SESSION_ID}` is replaced by Stripe. */
  successUrl: z.url(),
  cancelUrl: z.url(),
});

/**
 * Stripe Tax (issue 5 §2), from config `stripeTax` (STRIPE_TAX): when on, setup Checkout collects the
 * billing address onto the customer and subscriptions are created with `automatic_tax[enabled]`.
 */
export interface BillingTaxOptions {
  automaticTax?: boolean;
}

/**
 * Step 2 of the order flow (DESIGN.md §4): a Checkout Session in **setup** mode on the creator's
 * connected account collects the card; no money moves and no subscription exists yet. The member
 * becomes a customer of that account once (billing_customers).
 */
export async function startSubscriptionCheckout(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  input: z.input<typeof StartCheckoutSchema>,
  options: BillingTaxOptions = {},
) {
  const member = requireMember(actor);
  const { tierId, successUrl, cancelUrl } = StartCheckoutSchema.parse(input);
  const found = await withSystem(rt, "billing-checkout", async (tx) => {
    const offer = await findCurrentPrice(tx, tierId);
    if (!offer) throw new AppError("NOT_FOUND", "Not found");
    const [user] = await tx
      .select({ email: schema.users.email })
      .from(schema.users)
      .where(eq(schema.users.id, member.userId));
    const [customer] = await tx
      .select()
      .from(schema.billingCustomers)
      .where(
        and(
          eq(schema.billingCustomers.memberUserId, member.userId),
          eq(schema.billingCustomers.creatorId, offer.tier.creatorId),
        ),
      );
    const [account] = await tx
      .select()
      .from(schema.billingAccounts)
      .where(eq(schema.billingAccounts.creatorId, offer.tier.creatorId));
    if (!account || account.status !== "enabled") throw new AppError("NOT_FOUND", "Not found");
    return { offer, email: user?.email ?? null, customer, account: account.stripeAccountId };
  });
  const { offer, account } = found;
  let customerId = found.customer?.stripeCustomerId;
  if (!customerId) {
    const created = await stripe.customers.create(
      { ...(found.email ? { email: found.email } : {}), metadata: { kiln_user_id: member.userId } },
      { stripeAccount: account, idempotencyKey: `kiln-customer-${offer.tier.creatorId}-${member.userId}` },
    );
    customerId = created.id;
    await withSystem(rt, "billing-customer", (tx) =>
      tx
        .insert(schema.billingCustomers)
        .values({
          coopId: offer.tier.coopId,
          creatorId: offer.tier.creatorId,
          memberUserId: member.userId,
          stripeAccountId: account,
          stripeCustomerId: created.id,
        })
        .onConflictDoNothing(),
    );
  }
  const session = await stripe.checkout.sessions.create(
    {
      mode: "setup",
      currency: offer.price.currency,
      customer: customerId,
      success_url: successUrl,
      cancel_url: cancelUrl,
      metadata: { kiln_tier_id: tierId, kiln_user_id: member.userId },
      // Stripe Tax computes from the customer's address: collect it and save it on the customer.
      ...(options.automaticTax
        ? { billing_address_collection: "required" as const, customer_update: { address: "auto" as const } }
        : {}),
    },
    { stripeAccount: account },
  );
  if (!session.url) throw new Error("Stripe returned a Checkout Session without a URL");
  return { url: session.url, sessionId: session.id };
}

export const CreateSubscriptionSchema = z.object({
  tierId: z.uuid(),
  checkoutSessionId: z.string().regex(/^cs_[A-Za-z0-9_]+$/),
  /** The terms version the order summary page showed (a hidden field of the order form). */
  termsVersionId: z.uuid(),
  consent: z.object({
    disclosureText: z.string().min(20),
    buttonLabel: z.string().min(2),
    checkboxes: z.array(z.object({ name: z.string(), label: z.string().min(5), checked: z.boolean() })).min(1),
    jurisdiction: JurisdictionSchema,
    locale: z.enum(["en", "de"]),
    ip: z.string().max(100).nullish(),
    userAgent: z.string().max(1000).nullish(),
  }),
});
export type CreateSubscriptionInput = z.input<typeof CreateSubscriptionSchema>;

/**
 * The order button (step 4): checks that the card was saved by this member's setup Checkout, refuses
 * an order for terms other than the current approved version, records the consent (compliance), and
 * creates the subscription server-side on the creator's account with the consent id as the
 * idempotency key and the co-op's application fee. Entitled at once when the first payment (or the
 * trial) started; `incomplete` with the hosted invoice URL when the bank asks for 3-D Secure.
 */
export async function createSubscription(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  input: CreateSubscriptionInput,
  options: BillingTaxOptions = {},
) {
  const member = requireMember(actor);
  const parsed = CreateSubscriptionSchema.safeParse(input);
  if (!parsed.success)
    throw new AppError("BAD_INPUT", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const { tierId, checkoutSessionId, termsVersionId, consent: shown } = parsed.data;

  const ctx = await withSystem(rt, "billing-subscribe", async (tx) => {
    const offer = await findCurrentPrice(tx, tierId);
    if (!offer) throw new AppError("NOT_FOUND", "Not found");
    if (offer.version.id !== termsVersionId)
      throw new AppError("CONFLICT", "The terms of this tier changed: review the new terms and order again");
    const [customer] = await tx
      .select()
      .from(schema.billingCustomers)
      .where(
        and(
          eq(schema.billingCustomers.memberUserId, member.userId),
          eq(schema.billingCustomers.creatorId, offer.tier.creatorId),
        ),
      );
    if (!customer) throw new AppError("CONFLICT", "Add a card first");
    // A second press (or a retry) with the same card session is the same order: answer it again.
    const [placed] = await tx
      .select({ sub: schema.subscriptions, graceDays: schema.billingSettings.graceDays })
      .from(schema.subscriptions)
      .innerJoin(schema.consents, eq(schema.consents.id, schema.subscriptions.consentId))
      .leftJoin(schema.billingSettings, eq(schema.billingSettings.coopId, schema.subscriptions.coopId))
      .where(
        and(
          eq(schema.consents.checkoutSessionId, checkoutSessionId),
          eq(schema.subscriptions.memberUserId, member.userId),
          eq(schema.subscriptions.tierId, tierId),
        ),
      );
    if (placed) return { placed };
    const [open] = await tx
      .select({ id: schema.subscriptions.id })
      .from(schema.subscriptions)
      .where(
        and(
          eq(schema.subscriptions.memberUserId, member.userId),
          eq(schema.subscriptions.tierId, tierId),
          inArray(schema.subscriptions.status, [...OPEN_STATUSES]),
        ),
      );
    if (open) throw new AppError("CONFLICT", "You already subscribe to this tier");
    const [settings] = await tx
      .select()
      .from(schema.billingSettings)
      .where(eq(schema.billingSettings.coopId, offer.tier.coopId));
    return {
      offer,
      customer,
      feeBps: settings?.applicationFeeBps ?? 500,
      graceDays: settings?.graceDays ?? DEFAULT_GRACE_DAYS,
    };
  });
  if ("placed" in ctx && ctx.placed) {
    const { sub, graceDays } = ctx.placed;
    return {
      subscription: sub,
      consentId: sub.consentId,
      isEntitled: isEntitled(sub, rt.clock.now(), graceDays ?? DEFAULT_GRACE_DAYS),
    };
  }
  const { offer, customer } = ctx;
  const account = customer.stripeAccountId;

  const session = await stripe.checkout.sessions.retrieve(checkoutSessionId, {}, { stripeAccount: account });
  const sessionCustomer = typeof session.customer === "string" ? session.customer : session.customer?.id;
  if (session.mode !== "setup" || session.status !== "complete" || sessionCustomer !== customer.stripeCustomerId)
    throw new AppError("CONFLICT", "The card was not saved: add it again");
  const setupIntentId = typeof session.setup_intent === "string" ? session.setup_intent : session.setup_intent?.id;
  if (!setupIntentId) throw new AppError("CONFLICT", "The card was not saved: add it again");
  const setupIntent = await stripe.setupIntents.retrieve(setupIntentId, {}, { stripeAccount: account });
  const paymentMethod =
    typeof setupIntent.payment_method === "string" ? setupIntent.payment_method : setupIntent.payment_method?.id;
  if (setupIntent.status !== "succeeded" || !paymentMethod)
    throw new AppError("CONFLICT", "The card was not saved: add it again");

  const consent = await recordConsent(rt, {
    memberUserId: member.userId,
    tierId,
    termsVersionId,
    ...shown,
    priceShown: {
      amountMinor: offer.price.amountMinor,
      currency: offer.price.currency.toUpperCase(),
      interval: offer.price.interval,
    },
    trialEndsAt: offer.price.trialDays ? new Date(rt.clock.now().getTime() + offer.price.trialDays * 86_400_000) : null,
    // One consent per card session: two presses share it, and so the idempotency key below.
    checkoutSessionId,
  });

  const sub = await stripe.subscriptions.create(
    {
      customer: customer.stripeCustomerId,
      items: [{ price: offer.price.stripePriceId }],
      default_payment_method: paymentMethod,
      application_fee_percent: ctx.feeBps / 100,
      payment_behavior: "allow_incomplete",
      ...(offer.price.trialDays ? { trial_period_days: offer.price.trialDays } : {}),
      metadata: { kiln_consent_id: consent.id, kiln_tier_id: tierId, kiln_user_id: member.userId },
      // Stripe Tax (config STRIPE_TAX): prices are tax-inclusive, so the total stays what the order page showed.
      ...(options.automaticTax ? { automatic_tax: { enabled: true } } : {}),
      expand: ["latest_invoice"],
    },
    { stripeAccount: account, idempotencyKey: consent.id },
  );

  const now = rt.clock.now();
  return withSystem(rt, "billing-subscribe", async (tx) => {
    // Two presses arrive here with the same Stripe subscription: one records it (and audits), the other reads it.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`kiln-subscribe:${consent.id}`}, 0))`);
    const [before] = await tx
      .select({ id: schema.subscriptions.id })
      .from(schema.subscriptions)
      .where(eq(schema.subscriptions.consentId, consent.id));
    const row = await upsertSubscriptionFromStripe(tx, account, sub, null);
    if (!row) throw new Error(`subscription ${sub.id} could not be recorded`);
    if (before) return { subscription: row, consentId: consent.id, isEntitled: isEntitled(row, now, ctx.graceDays) };
    await appendAudit(tx, now, {
      coopId: row.coopId,
      action: "billing.subscription_created",
      actorUserId: member.userId,
      subjectType: "subscription",
      subjectId: row.id,
      data: {
        tierId,
        consentId: consent.id,
        stripeSubscriptionId: sub.id,
        status: row.status,
        amountMinor: offer.price.amountMinor,
        currency: offer.price.currency,
      },
    });
    return { subscription: row, consentId: consent.id, isEntitled: isEntitled(row, now, ctx.graceDays) };
  });
}
