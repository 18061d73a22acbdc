import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { selectLockedAllocation } from "@kiln/capacity";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import type { MemberContext } from "./claims";
import { releaseLifetime } from "./lifetime";
import { notifyMember } from "./notify";
import { money, type Order } from "./payment";

/**
 * Revised ship-by dates after sale and cancelling for a full refund (issue 8 §8, ADR 020).
 *
 * Capacity moves a drop's ship-by date when capacity changes after locking (capacity's
 * `reviseDropShipBy`, audited as `capacity.drop.ship_by_revised`); an order's own date is the one of
 * the factory batch it was routed to. `reviseOrderShipBy` (the minute hold job) brings every order not
 * yet shipped to its batch's current date, keeps the date first promised in `originalShipBy`, and
 * tells the member through the outbox. When the date moved later than promised, the notice links to
 * `/account/orders/<id>/cancel`, where one press cancels the order before it ships:
 * `cancelOrderForRefund` records the cancellation and a full refund due (a `refunds` row without a
 * withdrawal) in one transaction, and gives the member's per-drop and lifetime units back; the caller
 * pays the refund with rights' `performRefund` (idempotent by the row id; `performDueRefunds` retries).
 */

/** Statuses an order can still be revised and cancelled in: not shipped yet. */
const OPEN: Order["status"][] = ["placed", "produced"];

const longDate = (day: string, locale: string) =>
  new Intl.DateTimeFormat(locale === "de" ? "de-DE" : "en-GB", { dateStyle: "long", timeZone: "UTC" }).format(
    new Date(`${day}T00:00:00Z`),
  );

/** True when the member may cancel for a full refund: the date moved later than promised, not shipped. */
export function canCancelForRefund(o: Pick<Order, "status" | "shipBy" | "originalShipBy" | "shipByRevisedAt">) {
  return (
    OPEN.includes(o.status) &&
    o.shipByRevisedAt !== null &&
    o.shipBy !== null &&
    o.originalShipBy !== null &&
    o.shipBy > o.originalShipBy
  );
}

export const cancelOrderPath = (orderId: string) => `/account/orders/${orderId}/cancel`;

export interface RevisedOrder {
  orderId: string;
  memberUserId: string;
  from: string | null;
  to: string;
  cancellable: boolean;
}

/**
 * Brings the ship-by date of every order not yet shipped to its factory batch's current date (the
 * batch's revised date when capacity changed after locking), and tells each member whose date changed.
 * An order whose factory no longer has a batch in the allocation keeps its date (capacity flags the
 * allocation for re-planning). Idempotent: an order already on its batch's date is left alone, so a
 * member is told once per change. `dropIds` limits it to some drops (tests sharing a database).
 */
export async function reviseOrderShipBy(
  rt: Runtime,
  options: { dropIds?: string[]; appUrl?: string } = {},
): Promise<{ revised: RevisedOrder[] }> {
  if (options.dropIds && options.dropIds.length === 0) return { revised: [] };
  return withSystem(rt, "drops-revise-ship-by", async (tx) => {
    const open = await tx
      .select({
        id: schema.orders.id,
        shipBy: schema.orders.shipBy,
        factoryId: schema.orders.factoryId,
        creatorId: schema.drops.creatorId,
        capability: schema.drops.capability,
        period: schema.drops.period,
      })
      .from(schema.orders)
      .innerJoin(schema.drops, eq(schema.drops.id, schema.orders.dropId))
      .where(
        and(
          inArray(schema.orders.status, OPEN),
          options.dropIds ? inArray(schema.orders.dropId, options.dropIds) : undefined,
        ),
      )
      .orderBy(asc(schema.orders.id));
    const dates = new Map<string, Map<string, string>>();
    const revised: RevisedOrder[] = [];
    for (const o of open) {
      const key = `${o.creatorId}|${o.capability}|${o.period}`;
      let byFactory = dates.get(key);
      if (!byFactory) {
        const allocation = await selectLockedAllocation(tx, o);
        byFactory = new Map(allocation.batches.map((b) => [b.factoryId, b.revisedShipBy ?? b.shipBy]));
        dates.set(key, byFactory);
      }
      const to = byFactory.get(o.factoryId);
      if (!to || to === o.shipBy) continue;
      const done = await applyRevision(tx, rt, o.id, to, options.appUrl);
      if (done) revised.push(done);
    }
    return { revised };
  });
}

/** One order's new date, the member told in the same transaction (a conditional update: told once). */
async function applyRevision(tx: Tx, rt: Runtime, orderId: string, to: string, appUrl: string | undefined) {
  const now = rt.clock.now();
  const [order] = await tx
    .update(schema.orders)
    .set({
      originalShipBy: sql`coalesce(${schema.orders.originalShipBy}, ${schema.orders.shipBy})`,
      shipBy: to,
      shipByRevisedAt: now,
      updatedAt: now,
    })
    .where(
      and(
        eq(schema.orders.id, orderId),
        inArray(schema.orders.status, OPEN),
        sql`${schema.orders.shipBy} is distinct from ${to}`,
      ),
    )
    .returning();
  if (!order) return null;
  const [info] = await tx
    .select({ title: schema.products.title, locale: schema.dropPayments.locale })
    .from(schema.products)
    .innerJoin(schema.dropPayments, eq(schema.dropPayments.claimId, order.claimId))
    .where(eq(schema.products.id, order.productId));
  const locale = info?.locale ?? "en";
  const cancellable = canCancelForRefund(order);
  const promised = order.originalShipBy ? longDate(order.originalShipBy, locale) : "—";
  const revisedDate = longDate(to, locale);
  const total = money(order.totalMinor, order.currency, locale);
  const link = `${appUrl ?? ""}${cancelOrderPath(order.id)}`;
  const de = locale === "de";
  const lines = de
    ? [
        `Das Versanddatum Ihrer Bestellung ${order.quantity} × ${info?.title ?? ""} hat sich geändert: Sie wird bis ${revisedDate} versandt (zugesagt war ${promised}).`,
        cancellable
          ? `Wenn Sie nicht so lange warten möchten, können Sie die Bestellung bis zum Versand stornieren und erhalten den vollen Betrag von ${total} zurück: ${link}`
          : "Sie müssen nichts tun.",
        `Bestellnummer: ${order.id}`,
      ]
    : [
        `The ship-by date of your order ${order.quantity} × ${info?.title ?? ""} has changed: it now ships by ${revisedDate} (promised: ${promised}).`,
        cancellable
          ? `If you would rather not wait, you can cancel the order until it ships and get the full ${total} back: ${link}`
          : "You need not do anything.",
        `Order number: ${order.id}`,
      ];
  await notifyMember(tx, order.memberUserId, order.coopId, locale, {
    template: "drops-ship-by-revised",
    subject: de ? `Neues Versanddatum: ${info?.title ?? ""}` : `New ship-by date: ${info?.title ?? ""}`,
    text: lines.join("\n\n"),
  });
  await appendAudit(tx, now, {
    coopId: order.coopId,
    action: "drops.order.ship_by_revised",
    subjectType: "order",
    subjectId: order.id,
    subjectUserId: order.memberUserId,
    data: { dropId: order.dropId, from: order.originalShipBy, to, cancellable },
  });
  return { orderId: order.id, memberUserId: order.memberUserId, from: order.originalShipBy, to, cancellable };
}

export interface CancelledOrder {
  order: Order;
  /** The full refund's row (rights' `refunds`), to pay with `performRefund`. */
  refundId: string;
  /** False when this press found the order already cancelled (a second press, a retry). */
  cancelledNow: boolean;
}

/** The member's own order with what a cancellation needs; NOT_FOUND for anyone else's. */
async function ownOrder(tx: Tx, memberUserId: string, orderId: string) {
  const [row] = await tx
    .select({ order: schema.orders, claim: schema.dropClaims, payment: schema.dropPayments })
    .from(schema.orders)
    .innerJoin(schema.dropClaims, eq(schema.dropClaims.id, schema.orders.claimId))
    .innerJoin(schema.dropPayments, eq(schema.dropPayments.claimId, schema.orders.claimId))
    .where(and(eq(schema.orders.id, orderId), eq(schema.orders.memberUserId, memberUserId)))
    .for("update", { of: schema.orders });
  if (!row) throw new AppError("NOT_FOUND", "Order not found");
  return row;
}

/** What the member's cancel page shows: the order, the dates, the refund and whether a press may cancel. */
export async function getOrderCancellation(rt: Runtime, member: MemberContext, orderId: string) {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to see your order");
  if (!/^[0-9a-f-]{36}$/i.test(orderId)) throw new AppError("NOT_FOUND", "Order not found");
  return withSystem(rt, "drops-order-cancellation", async (tx) => {
    const [row] = await tx
      .select({ order: schema.orders, productTitle: schema.products.title, creatorName: schema.creators.displayName })
      .from(schema.orders)
      .innerJoin(schema.products, eq(schema.products.id, schema.orders.productId))
      .innerJoin(schema.creators, eq(schema.creators.id, schema.orders.creatorId))
      .where(and(eq(schema.orders.id, orderId), eq(schema.orders.memberUserId, member.userId)));
    if (!row) throw new AppError("NOT_FOUND", "Order not found");
    const [refund] = await tx
      .select()
      .from(schema.refunds)
      .where(and(eq(schema.refunds.orderId, orderId), sql`${schema.refunds.withdrawalId} is null`));
    return { ...row, cancellable: canCancelForRefund(row.order), refund: refund ?? null };
  });
}

/**
 * The member cancels an order whose ship-by date moved later than promised, before it ships: the
 * order becomes `cancelled`, a full refund (items and delivery) is due at once on the creator's
 * account, and the member's per-drop and lifetime units come back (ADR 020: the goods never left).
 * Idempotent: a second press returns the same cancellation and refund. Refused (CONFLICT) once the
 * order shipped, and when its date was not moved later. The stock of the drop is not given back.
 */
export async function cancelOrderForRefund(
  rt: Runtime,
  member: MemberContext,
  orderId: string,
): Promise<CancelledOrder> {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to cancel your order");
  if (!/^[0-9a-f-]{36}$/i.test(orderId)) throw new AppError("NOT_FOUND", "Order not found");
  return withSystem(rt, "drops-cancel-order", async (tx) => {
    const { order, claim, payment } = await ownOrder(tx, member.userId, orderId);
    if (order.status === "cancelled") {
      const [refund] = await tx
        .select({ id: schema.refunds.id })
        .from(schema.refunds)
        .where(and(eq(schema.refunds.orderId, order.id), sql`${schema.refunds.withdrawalId} is null`));
      return { order, refundId: refund!.id, cancelledNow: false };
    }
    if (!OPEN.includes(order.status))
      throw new AppError("CONFLICT", "This order has shipped and can no longer be cancelled");
    if (!canCancelForRefund(order))
      throw new AppError("CONFLICT", "This order can be cancelled for a refund only when its ship-by date moves later");
    const now = rt.clock.now();
    const [cancelled] = await tx
      .update(schema.orders)
      .set({ status: "cancelled", cancelledAt: now, updatedAt: now })
      .where(and(eq(schema.orders.id, order.id), inArray(schema.orders.status, OPEN)))
      .returning();
    // The goods never left: the member's units of this drop and their lifetime limits come back.
    await tx.execute(sql`
      update drop_member_counters set taken = greatest(taken - ${order.quantity}, 0)
      where drop_id = ${order.dropId} and member_user_id = ${order.memberUserId}`);
    await releaseLifetime(tx, [
      {
        coopId: order.coopId,
        memberUserId: order.memberUserId,
        quantity: order.quantity,
        lifetimeSubjectIds: claim.lifetimeSubjectIds,
      },
    ]);
    const [refund] = await tx
      .insert(schema.refunds)
      .values({
        coopId: order.coopId,
        creatorId: order.creatorId,
        memberUserId: order.memberUserId,
        orderId: order.id,
        paidMinor: order.totalMinor,
        amountMinor: order.totalMinor,
        currency: order.currency.toLowerCase(),
        basis: "full",
        // Due at once; the creator's refunds screen shows it overdue if Stripe has not paid it by then.
        dueBy: now,
        stripeAccountId: payment.stripeAccountId,
        stripePaymentIntentId: order.stripePaymentIntentId,
      })
      .returning();
    await appendAudit(tx, now, {
      coopId: order.coopId,
      actorUserId: member.userId,
      action: "drops.order.cancelled",
      subjectType: "order",
      subjectId: order.id,
      subjectUserId: order.memberUserId,
      data: {
        from: order.status,
        shipBy: order.shipBy,
        originalShipBy: order.originalShipBy,
        refundId: refund!.id,
        amountMinor: order.totalMinor,
        currency: order.currency,
      },
    });
    await appendAudit(tx, now, {
      coopId: order.coopId,
      action: "rights.refund_due",
      subjectType: "refund",
      subjectId: refund!.id,
      data: { orderId: order.id, amountMinor: order.totalMinor, currency: refund!.currency, basis: "full" },
    });
    const total = money(order.totalMinor, order.currency, payment.locale);
    await notifyMember(tx, order.memberUserId, order.coopId, payment.locale, {
      template: "drops-order-cancelled",
      subject: payment.locale === "de" ? "Ihre Bestellung ist storniert" : "Your order is cancelled",
      text:
        payment.locale === "de"
          ? `Ihre Bestellung ${order.id} ist storniert. Wir erstatten Ihnen den vollen Betrag von ${total} auf dem Zahlungsweg, mit dem Sie bezahlt haben.`
          : `Your order ${order.id} is cancelled. The full ${total} is refunded to the card you paid with.`,
    });
    return { order: cancelled!, refundId: refund!.id, cancelledNow: true };
  });
}
