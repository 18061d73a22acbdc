import { and, asc, desc, eq, gt, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { selectLockedAllocation } from "@kiln/capacity";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import { createDrop, type Drop } from "./drops";
import { DropSchema } from "./schemas";
import { parseInput, requireCreatorScope } from "./validate";

/**
 * The creator's drop screens (issue 8 §9): the drops calendar with live sell-through, the locked
 * allocations a drop can be made from (with the units left and the ship-by date they imply), one
 * drop's claims and waitlist. Everything is read in the creator team's context: RLS keeps it to the
 * creator's own rows.
 */

export type DropPhase = "upcoming" | "open" | "closed";

export interface SellThrough {
  quantity: number;
  reserved: number;
  confirmed: number;
  remaining: number;
}

export interface StudioDropRow extends SellThrough {
  id: string;
  title: string;
  productTitle: string;
  capability: string;
  period: string;
  shipBy: string | null;
  opensAt: Date;
  closesAt: Date | null;
  earlyAccessAt: Date | null;
  isPublished: boolean;
  isMemberOnly: boolean;
  /** A hot drop: members wait in the waiting room and are admitted in random order at opening. */
  isHot: boolean;
  perMemberLimit: number;
  holdMinutes: number;
  phase: DropPhase;
  waiting: number;
}

export interface DropAllocation {
  /** `capability@period`: the value the create form sends. */
  key: string;
  capability: string;
  period: string;
  units: number;
  promised: number;
  remainingUnits: number;
  shipBy: string | null;
}

export interface StudioDrops {
  drops: StudioDropRow[];
  allocations: DropAllocation[];
  products: { id: string; title: string; sku: string; capability: string; capacityUnitsPerItem: number }[];
  tiers: { id: string; name: string }[];
}

export function dropPhase(drop: { opensAt: Date; closesAt: Date | null }, now: Date): DropPhase {
  if (drop.closesAt && drop.closesAt <= now) return "closed";
  return drop.opensAt <= now ? "open" : "upcoming";
}

/** The latest ship-by date of an allocation's batches (a revised date where capacity changed). */
const latestShipBy = (batches: { shipBy: string; revisedShipBy: string | null }[]) =>
  batches
    .map((b) => b.revisedShipBy ?? b.shipBy)
    .sort()
    .at(-1) ?? null;

/** The creator's drops (soonest first), the allocations to make new ones from, products and tiers. */
export async function listStudioDrops(rt: Runtime, ctx: TenantContext): Promise<StudioDrops> {
  const scope = requireCreatorScope(ctx);
  const now = rt.clock.now();
  return withTenant(rt, ctx, async (tx) => {
    const rows = await tx
      .select({ drop: schema.drops, productTitle: schema.products.title })
      .from(schema.drops)
      .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
      .where(eq(schema.drops.creatorId, scope.creatorId))
      .orderBy(desc(schema.drops.opensAt));
    const ids = rows.map((r) => r.drop.id);
    const sold = await sellThrough(tx, ids);
    const waiting = ids.length
      ? await tx
          .select({ dropId: schema.dropWaitlist.dropId, n: sql<number>`count(*)::int` })
          .from(schema.dropWaitlist)
          .where(and(inArray(schema.dropWaitlist.dropId, ids), eq(schema.dropWaitlist.status, "waiting")))
          .groupBy(schema.dropWaitlist.dropId)
      : [];
    const drops = rows.map(({ drop, productTitle }) => ({
      ...summary(drop, now),
      productTitle,
      ...(sold.get(drop.id) ?? { quantity: drop.quantity, reserved: 0, confirmed: 0, remaining: 0 }),
      waiting: waiting.find((w) => w.dropId === drop.id)?.n ?? 0,
    }));

    const groups = await tx
      .selectDistinct({ capability: schema.allocations.capability, period: schema.allocations.period })
      .from(schema.allocations)
      .where(
        and(
          eq(schema.allocations.creatorId, scope.creatorId),
          eq(schema.allocations.isLocked, true),
          gt(schema.allocations.units, 0),
        ),
      )
      .orderBy(asc(schema.allocations.period), asc(schema.allocations.capability));
    const promised = await tx
      .select({
        capability: schema.drops.capability,
        period: schema.drops.period,
        units: sql<number>`coalesce(sum(${schema.drops.quantity} * ${schema.products.capacityUnitsPerItem}), 0)::int`,
      })
      .from(schema.drops)
      .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
      .where(eq(schema.drops.creatorId, scope.creatorId))
      .groupBy(schema.drops.capability, schema.drops.period);
    const allocations: DropAllocation[] = [];
    for (const g of groups) {
      const locked = await selectLockedAllocation(tx, { creatorId: scope.creatorId, ...g });
      const taken = promised.find((p) => p.capability === g.capability && p.period === g.period)?.units ?? 0;
      allocations.push({
        key: `${g.capability}@${g.period}`,
        ...g,
        units: locked.units,
        promised: taken,
        remainingUnits: Math.max(0, locked.units - taken),
        shipBy: latestShipBy(locked.batches),
      });
    }
    const products = await tx
      .select({
        id: schema.products.id,
        title: schema.products.title,
        sku: schema.products.sku,
        capability: schema.products.capability,
        capacityUnitsPerItem: schema.products.capacityUnitsPerItem,
      })
      .from(schema.products)
      .where(eq(schema.products.creatorId, scope.creatorId))
      .orderBy(asc(schema.products.title));
    const tiers = await tx
      .select({ id: schema.subscriptionTiers.id, name: schema.subscriptionTiers.name })
      .from(schema.subscriptionTiers)
      .where(eq(schema.subscriptionTiers.creatorId, scope.creatorId))
      .orderBy(asc(schema.subscriptionTiers.name));
    return { drops, allocations, products, tiers };
  });
}

function summary(drop: Drop, now: Date) {
  return {
    id: drop.id,
    title: drop.title,
    capability: drop.capability,
    period: drop.period,
    shipBy: drop.shipBy,
    opensAt: drop.opensAt,
    closesAt: drop.closesAt,
    earlyAccessAt: drop.earlyAccessAt,
    isPublished: drop.isPublished,
    isMemberOnly: drop.tierIds.length > 0,
    isHot: drop.isHot,
    perMemberLimit: drop.perMemberLimit,
    holdMinutes: drop.holdMinutes,
    phase: dropPhase(drop, now),
  };
}

type ReadTx = Parameters<Parameters<typeof withTenant>[2]>[0];

/** Units held (reserved), sold (confirmed) and left per drop. */
async function sellThrough(tx: ReadTx, dropIds: string[]): Promise<Map<string, SellThrough>> {
  const out = new Map<string, SellThrough>();
  if (!dropIds.length) return out;
  const stock = await tx
    .select({
      dropId: schema.dropStock.dropId,
      remaining: sql<number>`sum(${schema.dropStock.remaining})::int`,
    })
    .from(schema.dropStock)
    .where(inArray(schema.dropStock.dropId, dropIds))
    .groupBy(schema.dropStock.dropId);
  const claims = await tx
    .select({
      dropId: schema.dropClaims.dropId,
      status: schema.dropClaims.status,
      units: sql<number>`sum(${schema.dropClaims.quantity})::int`,
    })
    .from(schema.dropClaims)
    .where(
      and(inArray(schema.dropClaims.dropId, dropIds), inArray(schema.dropClaims.status, ["reserved", "confirmed"])),
    )
    .groupBy(schema.dropClaims.dropId, schema.dropClaims.status);
  const quantities = await tx
    .select({ id: schema.drops.id, quantity: schema.drops.quantity })
    .from(schema.drops)
    .where(inArray(schema.drops.id, dropIds));
  for (const { id, quantity } of quantities) {
    const units = (status: string) => claims.find((c) => c.dropId === id && c.status === status)?.units ?? 0;
    out.set(id, {
      quantity,
      reserved: units("reserved"),
      confirmed: units("confirmed"),
      remaining: stock.find((s) => s.dropId === id)?.remaining ?? 0,
    });
  }
  return out;
}

export interface StudioDrop {
  drop: StudioDropRow & { productId: string; tierNames: string[]; earlyAccessTierNames: string[] };
  claims: { id: string; member: string; quantity: number; status: string; expiresAt: Date; createdAt: Date }[];
  waitlist: { id: string; member: string; status: string; createdAt: Date; claimId: string | null }[];
}

/** Members are shown by a short reference (the creator team does not read member accounts). */
const memberRef = (userId: string) => `#${userId.replaceAll("-", "").slice(-6)}`;

/** One of the creator's drops: sell-through, its claims (newest first) and waitlist (in line order). */
export async function getStudioDrop(rt: Runtime, ctx: TenantContext, dropId: string): Promise<StudioDrop> {
  const scope = requireCreatorScope(ctx);
  if (!z.uuid().safeParse(dropId).success) throw new AppError("NOT_FOUND", "Drop not found");
  const now = rt.clock.now();
  return withTenant(rt, ctx, async (tx) => {
    const [row] = await tx
      .select({ drop: schema.drops, productTitle: schema.products.title })
      .from(schema.drops)
      .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
      .where(and(eq(schema.drops.id, dropId), eq(schema.drops.creatorId, scope.creatorId)));
    if (!row) throw new AppError("NOT_FOUND", "Drop not found");
    const { drop } = row;
    const sold = (await sellThrough(tx, [drop.id])).get(drop.id)!;
    const claims = await tx
      .select()
      .from(schema.dropClaims)
      .where(eq(schema.dropClaims.dropId, drop.id))
      .orderBy(desc(schema.dropClaims.createdAt), desc(schema.dropClaims.id));
    const waitlist = await tx
      .select()
      .from(schema.dropWaitlist)
      .where(eq(schema.dropWaitlist.dropId, drop.id))
      .orderBy(asc(schema.dropWaitlist.createdAt), asc(schema.dropWaitlist.id));
    const tierIds = [...drop.tierIds, ...drop.earlyAccessTierIds];
    const tiers = tierIds.length
      ? await tx
          .select({ id: schema.subscriptionTiers.id, name: schema.subscriptionTiers.name })
          .from(schema.subscriptionTiers)
          .where(inArray(schema.subscriptionTiers.id, tierIds))
      : [];
    const name = (id: string) => tiers.find((t) => t.id === id)?.name ?? id;
    return {
      drop: {
        ...summary(drop, now),
        productId: drop.productId,
        productTitle: row.productTitle,
        ...sold,
        waiting: waitlist.filter((w) => w.status === "waiting").length,
        tierNames: drop.tierIds.map(name),
        earlyAccessTierNames: drop.earlyAccessTierIds.map(name),
      },
      claims: claims.map((c) => ({
        id: c.id,
        member: memberRef(c.memberUserId),
        quantity: c.quantity,
        status: c.status,
        expiresAt: c.expiresAt,
        createdAt: c.createdAt,
      })),
      waitlist: waitlist.map((w) => ({
        id: w.id,
        member: memberRef(w.memberUserId),
        status: w.status,
        createdAt: w.createdAt,
        claimId: w.claimId,
      })),
    };
  });
}

/** A time from the create form's `datetime-local` fields, read as UTC (the form says so). */
const UtcTime = (error: string) =>
  z
    .string({ error })
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, { error })
    .transform((v) => new Date(`${v}Z`));

const { period: _period, opensAt: _opens, closesAt: _closes, earlyAccessAt: _early, ...dropFields } = DropSchema.shape;

/**
 * The studio's "create from allocation" form: the allocation (capability@window) instead of the
 * window, times in UTC. Browser-safe parts only (zod).
 */
const AllocationKey = z.object({
  allocation: z
    .string({ error: "Choose a locked allocation" })
    .regex(/^[a-z0-9][a-z0-9_-]*@\d{4}-W\d{2}$/, { error: "Choose a locked allocation" }),
});

export const StudioDropSchema = z.object({
  ...dropFields,
  ...AllocationKey.shape,
  opensAt: UtcTime("Choose when the drop opens"),
  closesAt: UtcTime("Enter the closing time as a date and time")
    .optional()
    .transform((v) => v ?? null),
  earlyAccessAt: UtcTime("Enter the start of early access as a date and time")
    .optional()
    .transform((v) => v ?? null),
});
export type StudioDropInput = z.input<typeof StudioDropSchema>;

/**
 * Creates a drop from one of the creator's locked allocations: the product must be made with the
 * allocation's capability; createDrop then refuses more than the allocation has left.
 */
export async function createDropFromAllocation(
  rt: Runtime,
  ctx: TenantContext,
  input: z.output<typeof StudioDropSchema>,
): Promise<Drop> {
  const scope = requireCreatorScope(ctx);
  // The fields are checked again by createDrop (DropSchema); here only what it does not know.
  const value = { ...input, ...parseInput(AllocationKey, { allocation: input.allocation }) };
  const [capability, period] = value.allocation.split("@") as [string, string];
  const product = await withTenant(rt, ctx, async (tx) => {
    const [found] = await tx
      .select({ capability: schema.products.capability })
      .from(schema.products)
      .where(and(eq(schema.products.id, value.productId), eq(schema.products.creatorId, scope.creatorId)));
    return found;
  });
  if (!product) throw new AppError("NOT_FOUND", "Product not found", { fields: { productId: ["Not found"] } });
  if (product.capability !== capability)
    throw new AppError("BAD_INPUT", "Choose a product made with the allocation's capability", {
      fields: { productId: ["Choose a product made with the allocation's capability"] },
    });
  const { allocation: _a, ...drop } = value;
  return createDrop(rt, ctx, { ...drop, period });
}
