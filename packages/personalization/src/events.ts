/**
 * First-party events that exist nowhere else (issue 9 §1, decision 014): page views a member chose to
 * share, and the consent that allows it. Claims, purchases, returns and waitlist joins are not copied
 * here: history.ts reads them from the drops tables.
 *
 * A page view is stored only while the member has a standing consent for the product's creator (or for
 * every creator of its co-op). It is written in the member's own context, where the insert policy
 * checks the consent too; without one it is refused and nothing is stored. Withdrawing a consent
 * deletes the views it covered.
 */
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { AppError, parseInput } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import type { DeviceView } from "./features.js";

const pc = schema.personalizationConsents;
const pv = schema.productViewEvents;

function requireMember(ctx: TenantContext): string {
  if (!ctx.userId) throw new AppError("UNAUTHENTICATED", "Sign in first");
  return ctx.userId;
}

export const ConsentScopeSchema = z.object({
  coopId: z.uuid({ error: "Unknown co-op" }),
  /** Absent: every creator of the co-op. */
  creatorId: z.uuid({ error: "Unknown creator" }).nullish(),
});
export type ConsentScope = z.input<typeof ConsentScopeSchema>;

const scopeWhere = (memberId: string, coopId: string, creatorId: string | null) =>
  and(
    eq(pc.memberUserId, memberId),
    eq(pc.coopId, coopId),
    creatorId ? eq(pc.creatorId, creatorId) : isNull(pc.creatorId),
    isNull(pc.withdrawnAt),
  );

/** The member allows their page views to be used for their offers (idempotent). */
export async function grantViewConsent(rt: Runtime, ctx: TenantContext, input: ConsentScope): Promise<void> {
  const memberId = requireMember(ctx);
  const v = parseInput(ConsentScopeSchema, input);
  await withTenant(rt, { userId: memberId }, async (tx) => {
    const [standing] = await tx
      .select({ id: pc.id })
      .from(pc)
      .where(scopeWhere(memberId, v.coopId, v.creatorId ?? null));
    if (standing) return;
    await tx.insert(pc).values({
      coopId: v.coopId,
      creatorId: v.creatorId ?? null,
      memberUserId: memberId,
      grantedAt: rt.clock.now(),
    });
  });
}

/**
 * The member withdraws a consent: it stops new views from being stored, and the views it covered
 * (and that no other standing consent covers) are deleted.
 */
export async function withdrawViewConsent(rt: Runtime, ctx: TenantContext, input: ConsentScope): Promise<void> {
  const memberId = requireMember(ctx);
  const v = parseInput(ConsentScopeSchema, input);
  await withTenant(rt, { userId: memberId }, async (tx) => {
    await tx
      .update(pc)
      .set({ withdrawnAt: rt.clock.now() })
      .where(scopeWhere(memberId, v.coopId, v.creatorId ?? null));
    await tx.execute(sql`delete from product_view_events e
      where e.member_user_id = ${memberId} and e.coop_id = ${v.coopId}
        and not exists (select 1 from personalization_consents c
          where c.member_user_id = e.member_user_id and c.coop_id = e.coop_id and c.withdrawn_at is null
            and (c.creator_id is null or c.creator_id = e.creator_id))`);
  });
}

export interface ConsentChoice {
  coopId: string;
  coopName: string;
  /** A standing consent for every creator of the co-op. */
  allCreators: boolean;
  creators: Array<{ id: string; name: string; granted: boolean }>;
}

/**
 * What the account page offers: each co-op whose creators the member has claimed from, subscribed to
 * or already consented for, with the member's standing consents.
 */
export async function listViewConsentChoices(rt: Runtime, ctx: TenantContext): Promise<ConsentChoice[]> {
  const memberId = requireMember(ctx);
  const standing = await withTenant(rt, { userId: memberId }, (tx) =>
    tx
      .select({ coopId: pc.coopId, creatorId: pc.creatorId })
      .from(pc)
      .where(and(eq(pc.memberUserId, memberId), isNull(pc.withdrawnAt))),
  );
  // Names of the creators the member deals with (their own claims and subscriptions) — read in the
  // system context because creator rows are not a member's; only ids linked to this member are read.
  const creators = await withSystem(rt, "personalization-consent-choices", async (tx) => {
    const ids = await tx.execute<{ creator_id: string }>(sql`
      select creator_id from drop_claims where member_user_id = ${memberId}
      union select creator_id from subscriptions where member_user_id = ${memberId}
      union select creator_id from personalization_consents where member_user_id = ${memberId} and creator_id is not null`);
    const coopIds = standing.map((s) => s.coopId);
    const creatorIds = ids.map((r) => r.creator_id);
    if (creatorIds.length === 0 && coopIds.length === 0) return [];
    return tx
      .select({
        creatorId: schema.creators.id,
        creatorName: schema.creators.displayName,
        coopId: schema.coops.id,
        coopName: schema.coops.name,
      })
      .from(schema.creators)
      .innerJoin(schema.coops, eq(schema.coops.id, schema.creators.coopId))
      .where(
        or(
          creatorIds.length > 0 ? inArray(schema.creators.id, creatorIds) : undefined,
          coopIds.length > 0 ? inArray(schema.coops.id, coopIds) : undefined,
        ),
      )
      .orderBy(schema.coops.name, schema.creators.displayName);
  });
  const byCoop = new Map<string, ConsentChoice>();
  for (const c of creators) {
    const choice = byCoop.get(c.coopId) ?? {
      coopId: c.coopId,
      coopName: c.coopName,
      allCreators: standing.some((s) => s.coopId === c.coopId && s.creatorId === null),
      creators: [],
    };
    choice.creators.push({
      id: c.creatorId,
      name: c.creatorName,
      granted: standing.some((s) => s.coopId === c.coopId && s.creatorId === c.creatorId),
    });
    byCoop.set(c.coopId, choice);
  }
  return [...byCoop.values()];
}

/** Whether a standing consent covers the member's views of this creator (any context that can read it). */
export async function hasViewConsent(
  tx: Tx,
  input: { memberUserId: string; coopId: string; creatorId: string },
): Promise<boolean> {
  const [row] = await tx
    .select({ id: pc.id })
    .from(pc)
    .where(
      and(
        eq(pc.memberUserId, input.memberUserId),
        eq(pc.coopId, input.coopId),
        or(isNull(pc.creatorId), eq(pc.creatorId, input.creatorId)),
        isNull(pc.withdrawnAt),
      ),
    )
    .limit(1);
  return row !== undefined;
}

export const ProductViewSchema = z.object({
  productId: z.uuid({ error: "Unknown product" }),
  dwellMs: z
    .number({ error: "dwellMs must be a number" })
    .int()
    .min(0)
    .max(24 * 3_600_000),
});
export type ProductViewInput = z.input<typeof ProductViewSchema>;

/**
 * Stores one page view of a published product for the signed-in member, at the runtime's clock.
 * Refused (FORBIDDEN, nothing stored) without a standing consent for the product's creator.
 */
export async function recordProductView(
  rt: Runtime,
  ctx: TenantContext,
  input: ProductViewInput,
): Promise<{ id: string }> {
  const memberId = requireMember(ctx);
  const v = parseInput(ProductViewSchema, input);
  return withTenant(rt, { userId: memberId }, async (tx) => {
    // Published products are readable by anyone; an unpublished or unknown one is NOT_FOUND.
    const [product] = await tx
      .select({ coopId: schema.products.coopId, creatorId: schema.products.creatorId })
      .from(schema.products)
      .where(and(eq(schema.products.id, v.productId), eq(schema.products.isPublished, true)));
    if (!product) throw new AppError("NOT_FOUND", "Not found");
    if (!(await hasViewConsent(tx, { memberUserId: memberId, ...product })))
      throw new AppError("FORBIDDEN", "Page views are only recorded when you have agreed to share them");
    const [row] = await tx
      .insert(pv)
      .values({
        coopId: product.coopId,
        creatorId: product.creatorId,
        memberUserId: memberId,
        productId: v.productId,
        dwellMs: v.dwellMs,
        occurredAt: rt.clock.now(),
      })
      .returning({ id: pv.id });
    return { id: row!.id };
  });
}

/**
 * The consented page views of members before `before` (exclusive), per member, as the browser would
 * have kept them (product, its tags, dwell): what training reconstructs device features from. Only
 * members with at least one view appear.
 */
export async function loadConsentedViews(
  tx: Tx,
  input: { coopId: string; memberIds: readonly string[]; before?: Date },
): Promise<Map<string, Array<DeviceView & { occurredAt: Date }>>> {
  const out = new Map<string, Array<DeviceView & { occurredAt: Date }>>();
  const memberIds = [...new Set(input.memberIds)];
  if (memberIds.length === 0) return out;
  const rows = await tx
    .select({
      memberId: pv.memberUserId,
      productId: pv.productId,
      tags: schema.products.tags,
      dwellMs: pv.dwellMs,
      occurredAt: pv.occurredAt,
    })
    .from(pv)
    .innerJoin(schema.products, eq(schema.products.id, pv.productId))
    .where(
      and(
        eq(pv.coopId, input.coopId),
        inArray(pv.memberUserId, memberIds),
        input.before ? lt(pv.occurredAt, input.before) : undefined,
      ),
    )
    .orderBy(pv.memberUserId, pv.occurredAt, pv.id);
  for (const r of rows) {
    const list = out.get(r.memberId) ?? [];
    list.push({ productId: r.productId, tags: r.tags, dwellMs: r.dwellMs, occurredAt: r.occurredAt });
    out.set(r.memberId, list);
  }
  return out;
}
