import { sql } from "drizzle-orm";
import { withSystem, type Runtime, type TenantContext } from "@kiln/db";
import { createDrop, createEdition, createProduct, setDropPublished } from "@kiln/drops";
import { createDropShop } from "../../packages/drops/src/testing";
import { assignRole, createCreator, createUser } from "@kiln/seed";

export const COLLAB_PERIOD = "2026-W51";
const MINUTE = 60_000;

/**
 * Two creators of one co-op, each with a published storefront, a locked allocation and an open drop of
 * their own product; both products belong to one co-op-wide edition (a collab) with a lifetime limit.
 */
export async function startCollab(
  rt: Runtime,
  options: { editionLimit: number; quantity?: number; perMemberLimit?: number },
) {
  const a = await createDropShop(rt, { period: COLLAB_PERIOD, allocationUnits: 1000 });
  const creatorB = await createCreator(rt, { coopId: a.coop.id, isPublished: true });
  const ownerB = await createUser(rt, { displayName: "Creator B owner" });
  await assignRole(rt, { userId: ownerB.id, coopId: a.coop.id, role: "creator_owner", creatorId: creatorB.id });
  await withSystem(rt, "test-fixture", async (tx) => {
    const [request] = await tx.execute<{ id: string }>(sql`
      insert into capacity_requests (coop_id, creator_id, capability, period, units)
      values (${a.coop.id}, ${creatorB.id}, 'screenprint', ${COLLAB_PERIOD}, 1000) returning id`);
    const [run] = await tx.execute<{ id: string }>(
      sql`select id from allocation_runs where coop_id = ${a.coop.id} and period = ${COLLAB_PERIOD}`,
    );
    await tx.execute(sql`insert into allocations (coop_id, run_id, method, request_id, creator_id, factory_id, capability, period, units, is_locked)
      values (${a.coop.id}, ${run!.id}, 'fair', ${request!.id}, ${creatorB.id}, ${a.factory.id}, 'screenprint', ${COLLAB_PERIOD}, 1000, true)`);
  });
  const ctxB: TenantContext = {
    userId: ownerB.id,
    coopId: a.coop.id,
    creatorId: creatorB.id,
    role: "creator_owner",
  };
  const adminCtx: TenantContext = { userId: a.admin.id, coopId: a.coop.id, role: "coop_admin" };
  const edition = await createEdition(rt, adminCtx, { name: "Night collab", lifetimeLimit: options.editionLimit });

  async function openDrop(ctx: TenantContext, sku: string, extra: { lifetimeLimit?: number | null } = {}) {
    const product = await createProduct(rt, ctx, {
      title: `Collab print ${sku}`,
      priceMinor: 2500,
      currency: "EUR",
      capability: "screenprint",
      sku,
      editionId: edition.id,
      lifetimeLimit: extra.lifetimeLimit ?? null,
    });
    const drop = await createDrop(rt, ctx, {
      productId: product.id,
      title: `Collab drop ${sku}`,
      quantity: options.quantity ?? 50,
      period: COLLAB_PERIOD,
      opensAt: new Date(rt.clock.now().getTime() - MINUTE),
      perMemberLimit: options.perMemberLimit ?? 10,
    });
    await setDropPublished(rt, ctx, drop.id, true);
    return { product, drop };
  }

  const dropA = await openDrop(a.creatorCtx, "COLLAB-A");
  const dropB = await openDrop(ctxB, "COLLAB-B");
  return {
    coop: a.coop,
    creatorA: a.creator,
    creatorB,
    ctxA: a.creatorCtx,
    ctxB,
    adminCtx,
    edition,
    dropA: dropA.drop,
    dropB: dropB.drop,
    openDrop,
  };
}

/** The member's counter of a product or edition (0 when none). */
export async function takenOf(rt: Runtime, coopId: string, memberUserId: string, subjectId: string) {
  return withSystem(rt, "test", async (tx) => {
    const [row] = await tx.execute<{ taken: number }>(sql`
      select taken from lifetime_counters
      where coop_id = ${coopId} and member_user_id = ${memberUserId} and subject_id = ${subjectId}`);
    return row?.taken ?? 0;
  });
}
