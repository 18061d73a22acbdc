import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { withSystem, type Runtime, type TenantContext } from "@kiln/db";
import { createCoopWithPeople, createSubscriptionTier, createUser } from "../../seed/src/factories";

/**
 * Test set-up for drops (tests only): a published storefront with a locked allocation, tiers, and
 * members with subscriptions, written as fixture rows in the system context.
 */
export async function createDropShop(rt: Runtime, options: { period: string; allocationUnits: number }) {
  const people = await createCoopWithPeople(rt);
  const creatorCtx: TenantContext = {
    userId: people.owner.id,
    coopId: people.coop.id,
    creatorId: people.creator.id,
    role: "creator_owner",
  };
  await withSystem(rt, "test-fixture", async (tx) => {
    await tx.execute(sql`update creators set is_published = true where id = ${people.creator.id}`);
    const [request] = await tx.execute<{
      id: string;
    }>(sql`insert into capacity_requests (coop_id, creator_id, capability, period, units)
      values (${people.coop.id}, ${people.creator.id}, 'screenprint', ${options.period}, ${options.allocationUnits}) returning id`);
    const [run] = await tx.execute<{
      id: string;
    }>(sql`insert into allocation_runs (coop_id, period, status, locked_method, inputs, summary)
      values (${people.coop.id}, ${options.period}, 'locked', 'fair', '{}'::jsonb, '{}'::jsonb) returning id`);
    await tx.execute(sql`insert into allocations (coop_id, run_id, method, request_id, creator_id, factory_id, capability, period, units, is_locked)
      values (${people.coop.id}, ${run!.id}, 'fair', ${request!.id}, ${people.creator.id}, ${people.factory.id}, 'screenprint', ${options.period}, ${options.allocationUnits}, true)`);
  });
  return { ...people, creatorCtx };
}

/** A live tier of the shop's creator. */
export async function createTier(rt: Runtime, shop: { coop: { id: string }; creator: { id: string } }, name: string) {
  return createSubscriptionTier(rt, { coopId: shop.coop.id, creatorId: shop.creator.id, name, status: "live" });
}

/** A member with a subscription to the tier in the given state (no tier: no subscription). */
export async function createMember(
  rt: Runtime,
  shop: { coop: { id: string }; creator: { id: string } },
  tierId?: string,
  status: "active" | "canceled" | "past_due" = "active",
) {
  const member = await createUser(rt);
  if (tierId)
    await withSystem(rt, "test-fixture", async (tx) => {
      const now = new Date("2026-01-01T00:00:00Z").toISOString();
      const [tv] = await tx.execute<{
        id: string;
      }>(sql`insert into terms_versions (coop_id, creator_id, tier_id, version, status, terms, content_hash)
        values (${shop.coop.id}, ${shop.creator.id}, ${tierId}, ${Math.floor(Math.random() * 1e9)}, 'approved', '{}'::jsonb, ${"a".repeat(64)}) returning id`);
      const [consent] = await tx.execute<{
        id: string;
      }>(sql`insert into consents (coop_id, creator_id, member_user_id, tier_id, terms_version_id, terms_hash, disclosure_hash,
          disclosure_text, button_label, checkboxes, price_shown, jurisdiction, locale, consented_at, retain_until)
        values (${shop.coop.id}, ${shop.creator.id}, ${member.id}, ${tierId}, ${tv!.id}, 'h', 'd', 'text', 'Order with obligation to pay',
          '[]'::jsonb, '{"amountMinor":900,"currency":"EUR","interval":"month"}'::jsonb, 'DE', 'de', ${now}, '2040-01-01T00:00:00Z') returning id`);
      const [price] = await tx.execute<{
        id: string;
      }>(sql`insert into tier_prices (coop_id, creator_id, tier_id, terms_version_id, currency, amount_minor, interval, stripe_price_id)
        values (${shop.coop.id}, ${shop.creator.id}, ${tierId}, ${tv!.id}, 'eur', 900, 'month', ${`price_${randomUUID()}`}) returning id`);
      await tx.execute(sql`insert into subscriptions (coop_id, creator_id, member_user_id, tier_id, tier_price_id, consent_id,
          stripe_account_id, stripe_customer_id, stripe_subscription_id, status, past_due_since)
        values (${shop.coop.id}, ${shop.creator.id}, ${member.id}, ${tierId}, ${price!.id}, ${consent!.id}, 'acct_test', 'cus_test',
          ${`sub_${randomUUID()}`}, ${status}, ${status === "past_due" ? "2020-01-01T00:00:00Z" : null})`);
    });
  return { userId: member.id };
}
