import { and, desc, eq, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import type { MemberContext } from "./claims";
import type { Order } from "./payment";

type OrderStatus = Order["status"];
import { canCancelForRefund } from "./revisions";
import { MarkOrderSchema, type MarkOrderInput } from "./schemas";
import { parseInput } from "./validate";

/**
 * Orders (issue 8 §8): a confirmed claim's order, routed to a factory of its allocation. Reads run in
 * the reader's own context, so RLS decides what is seen: a member their own orders, the creator team
 * its creator's, a factory operator their factory's. Status changes are written by the system context
 * after the actor's own context has shown them the order.
 */

export interface OrderView {
  id: string;
  productTitle: string;
  dropTitle: string;
  creatorName: string;
  quantity: number;
  totalMinor: number;
  currency: string;
  status: OrderStatus;
  shipBy: string | null;
  /** The ship-by date promised when ordering, when capacity has since revised it (else null). */
  originalShipBy: string | null;
  shipByRevisedAt: Date | null;
  /** The member may cancel for a full refund (the date moved later, not shipped yet). */
  cancellable: boolean;
  cancelledAt: Date | null;
  /** The refund of a cancelled order (null: none). */
  refund: { status: string; refundedAt: Date | null } | null;
  /** Who ordered (the creator's screen shows who cancelled). */
  memberName: string;
  placedAt: Date;
  producedAt: Date | null;
  shippedAt: Date | null;
  deliveredAt: Date | null;
  returnedAt: Date | null;
  shippingAddress: Order["shippingAddress"];
  factoryId: string;
}

type Extra = {
  product: string;
  drop: string;
  creator: string;
  member: string;
  refund_status: string | null;
  refunded_at: Date | string | null;
};

const view = (o: Order, t: Extra | undefined): OrderView => ({
  id: o.id,
  productTitle: t?.product ?? "",
  dropTitle: t?.drop ?? "",
  creatorName: t?.creator ?? "",
  memberName: t?.member ?? "",
  quantity: o.quantity,
  totalMinor: o.totalMinor,
  currency: o.currency,
  status: o.status,
  shipBy: o.shipBy,
  originalShipBy: o.originalShipBy,
  shipByRevisedAt: o.shipByRevisedAt,
  cancellable: canCancelForRefund(o),
  cancelledAt: o.cancelledAt,
  refund: t?.refund_status
    ? { status: t.refund_status, refundedAt: t.refunded_at ? new Date(t.refunded_at) : null }
    : null,
  placedAt: o.placedAt,
  producedAt: o.producedAt,
  shippedAt: o.shippedAt,
  deliveredAt: o.deliveredAt,
  returnedAt: o.returnedAt,
  shippingAddress: o.shippingAddress,
  factoryId: o.factoryId,
});

/**
 * A member's own orders, newest first. Products and drops of an order may no longer be published,
 * so their titles are read in the system context for exactly the orders RLS showed the member.
 */
export async function listMemberOrders(rt: Runtime, member: MemberContext): Promise<OrderView[]> {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to see your orders");
  const own = await withTenant(rt, { userId: member.userId }, (tx) =>
    tx.select().from(schema.orders).orderBy(desc(schema.orders.placedAt), desc(schema.orders.id)),
  );
  return withTitles(rt, own);
}

/** The orders routed to a factory operator's factory (RLS: their factory only). */
export async function listFactoryOrders(rt: Runtime, ctx: TenantContext): Promise<OrderView[]> {
  if (ctx.role !== "factory_operator" || !ctx.factoryId) throw new AppError("NOT_FOUND", "Not found");
  const rows = await withTenant(rt, ctx, (tx) =>
    tx.select().from(schema.orders).orderBy(desc(schema.orders.placedAt), desc(schema.orders.id)),
  );
  return withTitles(rt, rows);
}

/** The creator team's orders (RLS: its creator only). */
export async function listCreatorOrders(rt: Runtime, ctx: TenantContext): Promise<OrderView[]> {
  if (!ctx.creatorId) throw new AppError("NOT_FOUND", "Not found");
  const rows = await withTenant(rt, ctx, (tx) =>
    tx
      .select()
      .from(schema.orders)
      .where(eq(schema.orders.creatorId, ctx.creatorId!))
      .orderBy(desc(schema.orders.placedAt), desc(schema.orders.id)),
  );
  return withTitles(rt, rows);
}

async function withTitles(rt: Runtime, rows: Order[]): Promise<OrderView[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const titles = await withSystem(rt, "drops-order-titles", (tx) =>
    tx.execute<Extra & { id: string }>(sql`
      select o.id, p.title as product, d.title as drop, c.display_name as creator,
        coalesce(u.display_name, u.email, '') as member, r.status as refund_status, r.refunded_at
      from orders o join products p on p.id = o.product_id join drops d on d.id = o.drop_id
      join creators c on c.id = o.creator_id join users u on u.id = o.member_user_id
      left join refunds r on r.order_id = o.id and r.withdrawal_id is null
      where o.id in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`),
  );
  const byId = new Map(titles.map((t) => [t.id, t]));
  return rows.map((o) => view(o, byId.get(o.id)));
}

/** Which marks an actor may make, and from which status. */
const TRANSITIONS: Record<MarkOrderInput["status"], { from: OrderStatus[]; column: keyof Order; by: string[] }> = {
  produced: { from: ["placed"], column: "producedAt", by: ["factory_operator"] },
  shipped: { from: ["produced"], column: "shippedAt", by: ["factory_operator"] },
  delivered: { from: ["shipped"], column: "deliveredAt", by: ["factory_operator", "creator"] },
  returned: { from: ["shipped", "delivered"], column: "returnedAt", by: ["factory_operator", "creator"] },
};

/**
 * Marks an order produced or shipped (the factory's operators), delivered or returned (operators or
 * the creator team), with its timestamp. An order the actor cannot see is NOT_FOUND; a mark out of
 * order (shipped before produced) is CONFLICT; repeating the current mark is a no-op.
 */
export async function markOrder(rt: Runtime, ctx: TenantContext, input: MarkOrderInput): Promise<Order> {
  const value = parseInput(MarkOrderSchema, input);
  const actor =
    ctx.role === "factory_operator" && ctx.factoryId
      ? "factory_operator"
      : (ctx.role === "creator_owner" || ctx.role === "creator_staff") && ctx.creatorId
        ? "creator"
        : null;
  if (!actor || !ctx.userId || !ctx.coopId) throw new AppError("NOT_FOUND", "Order not found");
  const rule = TRANSITIONS[value.status];
  // The actor's own context decides whether they may see the order at all.
  const [seen] = await withTenant(rt, ctx, (tx) =>
    tx.select().from(schema.orders).where(eq(schema.orders.id, value.orderId)),
  );
  if (!seen) throw new AppError("NOT_FOUND", "Order not found");
  if (!rule.by.includes(actor)) throw new AppError("FORBIDDEN", `Only the factory marks an order ${value.status}`);
  if (seen.status === value.status) return seen;
  return withSystem(rt, "drops-mark-order", async (tx) => {
    const [updated] = await tx
      .update(schema.orders)
      .set({ status: value.status, [rule.column]: sql`kiln_now()`, updatedAt: sql`kiln_now()` })
      .where(
        and(
          eq(schema.orders.id, seen.id),
          eq(schema.orders.coopId, ctx.coopId!),
          actor === "factory_operator"
            ? eq(schema.orders.factoryId, ctx.factoryId!)
            : eq(schema.orders.creatorId, ctx.creatorId!),
          sql`${schema.orders.status} in (${sql.join(
            rule.from.map((s) => sql`${s}`),
            sql`, `,
          )})`,
        ),
      )
      .returning();
    if (!updated)
      throw new AppError("CONFLICT", `An order that is ${seen.status} cannot be marked ${value.status}`, {
        fields: { status: [`Now ${seen.status}`] },
      });
    await appendAudit(tx, rt.clock.now(), {
      coopId: updated.coopId,
      actorUserId: ctx.userId!,
      action: `drops.order.${value.status}`,
      subjectType: "order",
      subjectId: updated.id,
      data: { from: seen.status, factoryId: updated.factoryId },
    });
    return updated;
  });
}
