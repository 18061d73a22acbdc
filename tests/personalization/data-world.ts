import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { withSystem, type Runtime } from "@kiln/db";
import { createCoopWithPeople, createCreator, createUser } from "@kiln/seed";

/**
 * Small, explicit fixtures for the personalization data layer: products, drops, claims (with their
 * creation time set, so as-of questions can be asked), orders and returns, written as system rows.
 */
export async function createWorld(rt: Runtime) {
  const people = await createCoopWithPeople(rt);
  const otherCreator = await createCreator(rt, { coopId: people.coop.id });
  const otherMember = await createUser(rt, { displayName: "Other member" });
  return { ...people, otherCreator, otherMember };
}
export type World = Awaited<ReturnType<typeof createWorld>>;

export async function product(
  rt: Runtime,
  w: World,
  input: { tags: string[]; creatorId?: string; priceMinor?: number; currency?: string; published?: boolean },
) {
  const [row] = await withSystem(rt, "fixture", (tx) =>
    tx.execute<{
      id: string;
    }>(sql`insert into products (coop_id, creator_id, title, price_minor, currency, capability, sku, tags, is_published)
      values (${w.coop.id}, ${input.creatorId ?? w.creator.id}, 'Fixture', ${input.priceMinor ?? 2500}, ${input.currency ?? "EUR"},
        'screenprint', ${`SKU-${randomUUID()}`}, ${sql`${`{${input.tags.join(",")}}`}::text[]`}, ${input.published ?? true})
      returning id`),
  );
  return row!.id;
}

export async function drop(
  rt: Runtime,
  w: World,
  input: {
    productId: string;
    opensAt: Date;
    closesAt?: Date | null;
    quantity?: number;
    creatorId?: string;
    tierIds?: string[];
  },
) {
  const [row] = await withSystem(rt, "fixture", (tx) =>
    tx.execute<{
      id: string;
    }>(sql`insert into drops (coop_id, creator_id, product_id, title, quantity, capability, period, opens_at, closes_at, tier_ids, is_published)
      values (${w.coop.id}, ${input.creatorId ?? w.creator.id}, ${input.productId}, 'Fixture drop', ${input.quantity ?? 10}, 'screenprint', '2026-W10',
        ${input.opensAt.toISOString()}, ${input.closesAt ? input.closesAt.toISOString() : null},
        ${sql`${`{${(input.tierIds ?? []).join(",")}}`}::uuid[]`}, true)
      returning id`),
  );
  return row!.id;
}

export async function claim(
  rt: Runtime,
  w: World,
  input: {
    dropId: string;
    memberId: string;
    at: Date;
    status?: "reserved" | "confirmed" | "expired" | "cancelled";
    releasedAt?: Date | null;
    quantity?: number;
    creatorId?: string;
  },
) {
  const [row] = await withSystem(rt, "fixture", (tx) =>
    tx.execute<{
      id: string;
    }>(sql`insert into drop_claims (coop_id, creator_id, drop_id, member_user_id, quantity, status, taken_from,
        idempotency_key, expires_at, released_at, created_at)
      values (${w.coop.id}, ${input.creatorId ?? w.creator.id}, ${input.dropId}, ${input.memberId}, ${input.quantity ?? 1},
        ${input.status ?? "confirmed"}, '{"0":1}'::jsonb, ${randomUUID()}, ${new Date(input.at.getTime() + 600_000).toISOString()},
        ${input.releasedAt ? input.releasedAt.toISOString() : null}, ${input.at.toISOString()})
      returning id`),
  );
  return row!.id;
}

/** The order of a confirmed claim; `returnedAt` makes it returned then. */
export async function order(
  rt: Runtime,
  w: World,
  input: {
    claimId: string;
    dropId: string;
    productId: string;
    memberId: string;
    at: Date;
    returnedAt?: Date;
    creatorId?: string;
  },
) {
  const address = JSON.stringify({
    name: "M",
    line1: "Str. 1",
    line2: null,
    postalCode: "04109",
    city: "Leipzig",
    country: "DE",
  });
  const t = (ms: number) => new Date(input.at.getTime() + ms).toISOString();
  await withSystem(rt, "fixture", (tx) =>
    tx.execute(sql`insert into orders (coop_id, creator_id, claim_id, drop_id, product_id, member_user_id, factory_id, quantity, currency,
        items_minor, delivery_minor, total_minor, shipping_address, stripe_payment_intent_id, status, placed_at, produced_at, shipped_at, delivered_at, returned_at)
      values (${w.coop.id}, ${input.creatorId ?? w.creator.id}, ${input.claimId}, ${input.dropId}, ${input.productId}, ${input.memberId}, ${w.factory.id}, 1, 'EUR',
        2500, 0, 2500, ${address}::jsonb, ${`pi_${randomUUID()}`}, ${input.returnedAt ? "returned" : "delivered"},
        ${t(0)}, ${t(3_600_000)}, ${t(7_200_000)}, ${t(86_400_000)}, ${input.returnedAt ? input.returnedAt.toISOString() : null})`),
  );
}

export const DAY = 86_400_000;
export const at = (base: Date, days: number) => new Date(base.getTime() + days * DAY);
