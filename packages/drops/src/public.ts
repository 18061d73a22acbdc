import { and, eq, sql } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { getDropGate, type DropGate } from "./gate";

/**
 * One published drop as the JSON API shows it (issue 8 §7): the product with prices, the window, the
 * limits, units left, and the gate as it applies to the caller. Unpublished drops and drops of
 * unpublished storefronts are NOT_FOUND.
 */
export interface DropView {
  id: string;
  creator: { slug: string; displayName: string };
  title: string;
  product: {
    id: string;
    title: string;
    description: string;
    priceMinor: number;
    deliveryMinor: number;
    currency: string;
    lifetimeLimit: number | null;
    edition: { id: string; name: string; lifetimeLimit: number } | null;
  };
  opensAt: Date;
  closesAt: Date | null;
  earlyAccessAt: Date | null;
  perMemberLimit: number;
  holdMinutes: number;
  shipBy: string | null;
  isHot: boolean;
  remaining: number;
  gate: DropGate;
}

export async function getDropView(rt: Runtime, dropId: string, memberUserId: string | null): Promise<DropView> {
  const found = await withSystem(rt, "drops-view", async (tx) => {
    const [row] = await tx
      .select({
        drop: schema.drops,
        product: schema.products,
        creator: { slug: schema.creators.slug, displayName: schema.creators.displayName },
        edition: { id: schema.editions.id, name: schema.editions.name, lifetimeLimit: schema.editions.lifetimeLimit },
        remaining: sql<number>`(select coalesce(sum(remaining), 0)::int from drop_stock s where s.drop_id = ${schema.drops.id})`,
      })
      .from(schema.drops)
      .innerJoin(schema.creators, eq(schema.creators.id, schema.drops.creatorId))
      .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
      .leftJoin(schema.editions, eq(schema.editions.id, schema.products.editionId))
      .where(
        and(eq(schema.drops.id, dropId), eq(schema.drops.isPublished, true), eq(schema.creators.isPublished, true)),
      );
    return row;
  });
  if (!found) throw new AppError("NOT_FOUND", "Drop not found");
  const { drop, product } = found;
  return {
    id: drop.id,
    creator: found.creator,
    title: drop.title,
    product: {
      id: product.id,
      title: product.title,
      description: product.description,
      priceMinor: product.priceMinor,
      deliveryMinor: product.deliveryMinor,
      currency: product.currency,
      lifetimeLimit: product.lifetimeLimit,
      edition: found.edition,
    },
    opensAt: drop.opensAt,
    closesAt: drop.closesAt,
    earlyAccessAt: drop.earlyAccessAt,
    perMemberLimit: drop.perMemberLimit,
    holdMinutes: drop.holdMinutes,
    shipBy: drop.shipBy,
    isHot: drop.isHot,
    remaining: found.remaining,
    gate: await getDropGate(rt, drop.id, memberUserId),
  };
}
