import { and, desc, eq } from "drizzle-orm";
import type Stripe from "stripe";
import { appendAudit } from "@kiln/audit";
import { publishTier, requireCreatorOwner, TermsSchema, type OrderPageRenderer } from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { requireChargeableAccount } from "./connect";

export type TierPrice = typeof schema.tierPrices.$inferSelect;

/** The tier's latest approved terms version (what members are shown and consent to). */
async function approvedVersion(tx: Tx, tierId: string) {
  const [version] = await tx
    .select()
    .from(schema.termsVersions)
    .where(and(eq(schema.termsVersions.tierId, tierId), eq(schema.termsVersions.status, "approved")))
    .orderBy(desc(schema.termsVersions.version))
    .limit(1);
  return version;
}

/**
 * The price a member subscribes at now: the Stripe Price synced for the tier's latest approved terms
 * version. Null when the tier is not live or that version has no synced price yet.
 */
export async function findCurrentPrice(tx: Tx, tierId: string) {
  const [tier] = await tx.select().from(schema.subscriptionTiers).where(eq(schema.subscriptionTiers.id, tierId));
  if (!tier || tier.status !== "live") return null;
  const version = await approvedVersion(tx, tierId);
  if (!version) return null;
  const [price] = await tx
    .select()
    .from(schema.tierPrices)
    .where(and(eq(schema.tierPrices.termsVersionId, version.id), eq(schema.tierPrices.active, true)))
    .limit(1);
  return price ? { tier, version, price, terms: TermsSchema.parse(version.terms) } : null;
}

/**
 * Syncs the tier's approved terms to Stripe, on the creator's connected account (decision 010): one
 * Product per tier, one immutable tax-inclusive Price per approved terms version and currency.
 * Idempotent: a synced version is returned as it is; Stripe calls carry idempotency keys.
 */
export async function syncTierPrice(rt: Runtime, stripe: Stripe, actor: TenantContext, tierId: string) {
  const a = requireCreatorOwner(actor);
  const found = await withTenant(rt, a, async (tx) => {
    const [tier] = await tx.select().from(schema.subscriptionTiers).where(eq(schema.subscriptionTiers.id, tierId));
    if (!tier) throw new AppError("NOT_FOUND", "Not found");
    const version = await approvedVersion(tx, tierId);
    if (!version) throw new AppError("CONFLICT", "The tier has no approved terms to sell at");
    const account = await requireChargeableAccount(tx, tier.creatorId);
    const [existing] = await tx
      .select()
      .from(schema.tierPrices)
      .where(eq(schema.tierPrices.termsVersionId, version.id));
    return { tier, version, account, existing };
  });
  if (found.existing) return found.existing;
  const { tier, version, account } = found;
  const terms = TermsSchema.parse(version.terms);
  if (terms.interval !== "month" && terms.interval !== "year")
    throw new AppError("BAD_INPUT", "Subscriptions are billed monthly or yearly", {
      fields: { interval: ["Choose month or year"] },
    });
  if (terms.trial && terms.trial.priceMinor > 0)
    throw new AppError("BAD_INPUT", "Paid trials are not supported yet; offer a free trial or none", {
      fields: { trial: ["Only free trials are supported"] },
    });
  const currency = terms.price.currency.toLowerCase();
  const productId =
    tier.stripeProductId ??
    (
      await stripe.products.create(
        { name: tier.name, metadata: { kiln_tier_id: tier.id } },
        { stripeAccount: account, idempotencyKey: `kiln-product-${tier.id}` },
      )
    ).id;
  const price = await stripe.prices.create(
    {
      product: productId,
      currency,
      unit_amount: terms.price.amountMinor,
      recurring: { interval: terms.interval, interval_count: terms.intervalCount },
      tax_behavior: terms.price.taxInclusive ? "inclusive" : "exclusive",
      metadata: { kiln_tier_id: tier.id, kiln_terms_version_id: version.id },
    },
    { stripeAccount: account, idempotencyKey: `kiln-price-${version.id}-${currency}` },
  );
  return withTenant(rt, a, async (tx) => {
    await tx
      .update(schema.subscriptionTiers)
      .set({ stripeProductId: productId })
      .where(eq(schema.subscriptionTiers.id, tier.id));
    const [row] = await tx
      .insert(schema.tierPrices)
      .values({
        coopId: tier.coopId,
        creatorId: tier.creatorId,
        tierId: tier.id,
        termsVersionId: version.id,
        currency,
        amountMinor: terms.price.amountMinor,
        taxInclusive: terms.price.taxInclusive,
        interval: terms.interval,
        intervalCount: terms.intervalCount,
        trialDays: terms.trial?.days ?? null,
        stripePriceId: price.id,
      })
      .onConflictDoNothing()
      .returning();
    if (row)
      await appendAudit(tx, rt.clock.now(), {
        coopId: tier.coopId,
        action: "billing.tier_price_synced",
        actorUserId: a.userId,
        subjectType: "subscription_tier",
        subjectId: tier.id,
        data: { termsVersionId: version.id, stripePriceId: price.id, amountMinor: row.amountMinor, currency },
      });
    const [current] = await tx.select().from(schema.tierPrices).where(eq(schema.tierPrices.termsVersionId, version.id));
    return current!;
  });
}

/**
 * Publishing a tier for sale: its approved terms are synced to a Stripe Price first (so a live tier
 * always has one), then compliance's gate (`publishTier`) decides.
 */
export async function publishTierForSale(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  tierId: string,
  render: OrderPageRenderer,
) {
  const price = await syncTierPrice(rt, stripe, actor, tierId);
  const tier = await publishTier(rt, actor, tierId, render);
  return { tier, price };
}

/** For the member's tier page and order summary: the live tier's current offer (public data only). */
export async function getTierOffer(rt: Runtime, tierId: string) {
  return withSystem(rt, "billing-tier-offer", async (tx) => {
    const found = await findCurrentPrice(tx, tierId);
    if (!found) throw new AppError("NOT_FOUND", "Not found");
    const { tier, version, price, terms } = found;
    return {
      tier: { id: tier.id, name: tier.name, benefits: tier.benefits, creatorId: tier.creatorId, rank: tier.rank },
      termsVersionId: version.id,
      terms,
      price: {
        amountMinor: price.amountMinor,
        currency: price.currency,
        interval: price.interval,
        trialDays: price.trialDays,
      },
    };
  });
}

/**
 * The public tier page (`/s/:creatorSlug/tiers/:tierId`): a live tier of the creator with that slug,
 * its current approved terms and price, and whether the creator can take payments now. Another
 * creator's tier, a draft or an unknown id are all NOT_FOUND.
 */
export async function getStorefrontTier(rt: Runtime, creatorSlug: string, unverifiedTierId: string) {
  if (!/^[0-9a-f-]{36}$/i.test(unverifiedTierId)) throw new AppError("NOT_FOUND", "Not found");
  return withSystem(rt, "billing-storefront-tier", async (tx) => {
    const [creator] = await tx
      .select({ id: schema.creators.id, slug: schema.creators.slug, displayName: schema.creators.displayName })
      .from(schema.creators)
      .where(eq(schema.creators.slug, creatorSlug));
    const found = creator ? await findCurrentPrice(tx, unverifiedTierId) : null;
    if (!creator || !found || found.tier.creatorId !== creator.id) throw new AppError("NOT_FOUND", "Not found");
    const [account] = await tx
      .select({ status: schema.billingAccounts.status })
      .from(schema.billingAccounts)
      .where(eq(schema.billingAccounts.creatorId, creator.id));
    const { tier, version, price, terms } = found;
    return {
      creator: { slug: creator.slug, displayName: creator.displayName },
      tier: { id: tier.id, name: tier.name, benefits: tier.benefits, jurisdictions: tier.jurisdictions },
      termsVersionId: version.id,
      terms,
      price: {
        amountMinor: price.amountMinor,
        currency: price.currency,
        interval: price.interval,
        trialDays: price.trialDays,
      },
      isOrderable: account?.status === "enabled",
    };
  });
}
