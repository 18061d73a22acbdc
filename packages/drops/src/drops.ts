import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { assertProductCapacity, selectLockedAllocation } from "@kiln/capacity";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { DropSchema, ProductSchema, type DropInput, type ProductInput } from "./schemas";
import { assertEdition } from "./lifetime";
import { parseInput, requireCreatorScope } from "./validate";

export type Product = typeof schema.products.$inferSelect;
export type Drop = typeof schema.drops.$inferSelect;

/** A creator's product (the creator team's context; RLS keeps it to its own creator). */
export async function createProduct(rt: Runtime, ctx: TenantContext, input: ProductInput): Promise<Product> {
  const scope = requireCreatorScope(ctx);
  const value = parseInput(ProductSchema, input);
  return withTenant(rt, ctx, async (tx) => {
    // Issue 7: the capability must exist in the co-op's pool; units per item are whole and positive.
    await assertProductCapacity(tx, scope.coopId, value);
    if (value.editionId) await assertEdition(tx, scope.coopId, value.editionId);
    const taken = await tx
      .select({ id: schema.products.id })
      .from(schema.products)
      .where(and(eq(schema.products.creatorId, scope.creatorId), eq(schema.products.sku, value.sku)));
    if (taken.length) throw new AppError("CONFLICT", "A product with this SKU exists", { fields: { sku: ["In use"] } });
    const [row] = await tx
      .insert(schema.products)
      .values({ ...value, coopId: scope.coopId, creatorId: scope.creatorId })
      .returning();
    return row!;
  });
}

/** Units of one capability and window already promised to the creator's drops. */
async function promisedUnits(tx: Tx, creatorId: string, capability: string, period: string) {
  const [row] = await tx
    .select({
      units: sql<number>`coalesce(sum(${schema.drops.quantity} * ${schema.products.capacityUnitsPerItem}), 0)::int`,
    })
    .from(schema.drops)
    .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
    .where(
      and(
        eq(schema.drops.creatorId, creatorId),
        eq(schema.drops.capability, capability),
        eq(schema.drops.period, period),
      ),
    );
  return row?.units ?? 0;
}

/**
 * A drop (or restock) of one product, made from the creator's locked allocation for the product's
 * capability in the window: the drop's capacity units plus those of the creator's other drops from
 * the same allocation may not exceed it (CONFLICT otherwise). Stock is split into `bucketCount` rows.
 */
export async function createDrop(rt: Runtime, ctx: TenantContext, input: DropInput): Promise<Drop> {
  const scope = requireCreatorScope(ctx);
  const value = parseInput(DropSchema, input);
  return withTenant(rt, ctx, async (tx) => {
    const [product] = await tx
      .select()
      .from(schema.products)
      .where(and(eq(schema.products.id, value.productId), eq(schema.products.creatorId, scope.creatorId)));
    if (!product) throw new AppError("NOT_FOUND", "Product not found", { fields: { productId: ["Not found"] } });
    if (value.tierIds.length + value.earlyAccessTierIds.length) {
      const tiers = await tx
        .select({ id: schema.subscriptionTiers.id })
        .from(schema.subscriptionTiers)
        .where(eq(schema.subscriptionTiers.creatorId, scope.creatorId));
      const own = new Set(tiers.map((t) => t.id));
      if (![...value.tierIds, ...value.earlyAccessTierIds].every((id) => own.has(id)))
        throw new AppError("NOT_FOUND", "Tier not found", { fields: { tierIds: ["Not found"] } });
    }
    // One drop at a time per allocation, so two drops cannot both fit into the same remaining units.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtextextended(${`kiln.drops:${scope.creatorId}:${product.capability}:${value.period}`}, 0))`,
    );
    const allocation = await selectLockedAllocation(tx, {
      creatorId: scope.creatorId,
      capability: product.capability,
      period: value.period,
    });
    const promised = await promisedUnits(tx, scope.creatorId, product.capability, value.period);
    const needed = value.quantity * product.capacityUnitsPerItem;
    if (promised + needed > allocation.units) {
      const free = Math.max(0, allocation.units - promised);
      throw new AppError(
        "CONFLICT",
        `The drop needs ${needed} ${product.capability} units in ${value.period}; your locked allocation has ${free} left`,
        { fields: { quantity: [`At most ${Math.floor(free / product.capacityUnitsPerItem)} items`] } },
      );
    }
    const shipBy =
      allocation.batches
        .map((b) => b.revisedShipBy ?? b.shipBy)
        .sort()
        .at(-1) ?? null;
    const buckets = Math.min(value.bucketCount, value.quantity);
    const [drop] = await tx
      .insert(schema.drops)
      .values({
        ...value,
        bucketCount: buckets,
        capability: product.capability,
        shipBy,
        coopId: scope.coopId,
        creatorId: scope.creatorId,
        createdByUserId: scope.userId,
      })
      .returning();
    const base = Math.floor(value.quantity / buckets);
    await tx.insert(schema.dropStock).values(
      Array.from({ length: buckets }, (_, bucket) => ({
        dropId: drop!.id,
        bucket,
        coopId: scope.coopId,
        creatorId: scope.creatorId,
        remaining: base + (bucket < value.quantity % buckets ? 1 : 0),
      })),
    );
    // A drop published at once publishes its product too (the storefront shows only published products).
    if (drop!.isPublished)
      await tx.update(schema.products).set({ isPublished: true }).where(eq(schema.products.id, product.id));
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "drops.drop.created",
      subjectType: "drop",
      subjectId: drop!.id,
      data: { creatorId: scope.creatorId, productId: product.id, quantity: value.quantity, period: value.period },
    });
    return drop!;
  });
}

/** Publishes (or withdraws) a drop and its product on the storefront. */
export async function setDropPublished(rt: Runtime, ctx: TenantContext, dropId: string, isPublished: boolean) {
  const scope = requireCreatorScope(ctx);
  return withTenant(rt, ctx, async (tx) => {
    const [drop] = await tx
      .update(schema.drops)
      .set({ isPublished, updatedAt: rt.clock.now() })
      .where(and(eq(schema.drops.id, dropId), eq(schema.drops.creatorId, scope.creatorId)))
      .returning();
    if (!drop) throw new AppError("NOT_FOUND", "Drop not found");
    if (isPublished)
      await tx.update(schema.products).set({ isPublished: true }).where(eq(schema.products.id, drop.productId));
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: isPublished ? "drops.drop.published" : "drops.drop.withdrawn",
      subjectType: "drop",
      subjectId: drop.id,
      data: { creatorId: scope.creatorId },
    });
    return drop;
  });
}

export interface StorefrontDrop {
  id: string;
  title: string;
  productId: string;
  productTitle: string;
  /** The product's style tags (the device keeps them with each view for the offer ranker). */
  productTags: string[];
  priceMinor: number;
  deliveryMinor: number;
  currency: string;
  opensAt: Date;
  closesAt: Date | null;
  earlyAccessAt: Date | null;
  isMemberOnly: boolean;
  isOpen: boolean;
  /** A hot drop: members claim through its waiting room (admission.ts). */
  isHot: boolean;
  shipBy: string | null;
}

/**
 * A published storefront's upcoming and open drops, read as an anonymous visitor (public-read
 * policies only). An unknown or unpublished storefront is NOT_FOUND.
 */
export async function listStorefrontDrops(
  rt: Runtime,
  creatorSlug: string,
): Promise<{ creator: { id: string; slug: string; displayName: string }; drops: StorefrontDrop[] }> {
  const now = rt.clock.now();
  return withTenant(rt, {}, async (tx) => {
    const [creator] = await tx
      .select({ id: schema.creators.id, slug: schema.creators.slug, displayName: schema.creators.displayName })
      .from(schema.creators)
      .where(and(eq(schema.creators.slug, creatorSlug), eq(schema.creators.isPublished, true)));
    if (!creator) throw new AppError("NOT_FOUND", "Storefront not found");
    const rows = await tx
      .select({ drop: schema.drops, product: schema.products })
      .from(schema.drops)
      .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
      .where(
        and(
          eq(schema.drops.creatorId, creator.id),
          eq(schema.drops.isPublished, true),
          or(isNull(schema.drops.closesAt), gt(schema.drops.closesAt, now)),
        ),
      )
      .orderBy(asc(schema.drops.opensAt));
    return {
      creator,
      drops: rows.map(({ drop, product }) => ({
        id: drop.id,
        title: drop.title,
        productId: product.id,
        productTitle: product.title,
        productTags: product.tags,
        priceMinor: product.priceMinor,
        deliveryMinor: product.deliveryMinor,
        currency: product.currency,
        opensAt: drop.opensAt,
        closesAt: drop.closesAt,
        earlyAccessAt: drop.earlyAccessAt,
        isMemberOnly: drop.tierIds.length > 0,
        isOpen: drop.opensAt <= now,
        isHot: drop.isHot,
        shipBy: drop.shipBy,
      })),
    };
  });
}
