import { randomUUID } from "node:crypto";
import { and, eq, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { cancelSubscriptionOnStripe, lastSubscriptionPayment, refundPayment, type Stripe } from "@kiln/billing";
import { formatMoney, renderNotice, TermsSchema, type Locale } from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";
import { isWithinWithdrawalPeriod, serviceRefund, withdrawalDeadline, type WithdrawalDeadline } from "./deadline";
import { badInput } from "./errors";
import { receiptHash, receiptToken } from "./receipt";
import { rightsText } from "./texts";

/**
 * The withdrawal function (CRD art 11a, § 356a BGB; checklist X-W1…X-W5): name, order or contract
 * number and e-mail, then "Confirm withdrawal". Logged out too. The answer for an unknown number or
 * e-mail is the same page as for an accepted withdrawal (nothing about existence leaks); only a
 * member whose number AND e-mail match is told that the period has ended. The acknowledgment goes
 * to the address on file of the matched member, at once (queued in the recording transaction).
 *
 * Effect on a service subscription: cancelled on Stripe at once (no further invoices) and the last
 * payment refunded — fully, or pro rata when the member asked for the service to start during the
 * withdrawal period (the consent's express-start flag, X-C3). The refund is a `refunds` row due
 * 14 days after the statement, performed through billing with the row's id as idempotency key.
 * Jurisdictions with a withdrawal right: DE, EU, UK (consent.jurisdiction); US consents have none.
 */

const WITHDRAWAL_JURISDICTIONS = new Set(["DE", "EU", "UK"]);
const DAY = 86_400_000;

export const WithdrawFormSchema = z.object({
  name: z.string().trim().min(1, "Enter your name").max(200, "Use at most 200 characters for your name"),
  order: z
    .string()
    .trim()
    .min(1, "Enter your order or contract number")
    .max(100, "Use at most 100 characters for the order or contract number"),
  email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address, like name@example.com").max(254)),
  submission: z.string().regex(/^[A-Za-z0-9_-]{16,100}$/, "The form expired: reload the page and submit again"),
  locale: z.enum(["en", "de"]).default("en"),
});
export type WithdrawFormInput = z.input<typeof WithdrawFormSchema>;

export interface WithdrawalAnswer {
  /** received: accepted OR unmatched (the same page); out_of_window: the matched member's period ended. */
  status: "received" | "out_of_window";
  withdrawalId: string;
  receivedAt: Date;
  statement: string;
  receiptToken: string;
  /** Only for out_of_window (the member proved number + e-mail): the last day of the period. */
  lastDay?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function withdrawStatement(input: z.output<typeof WithdrawFormSchema>, locale: Locale, receivedAt: Date) {
  const t = (k: Parameters<typeof rightsText>[1]) => rightsText(locale, k);
  return [
    t("withdrawTitle"),
    t("withdrawBody"),
    `${t("name")}: ${input.name}`,
    `${t("order")}: ${input.order}`,
    `${t("email")}: ${input.email}`,
    `${t("received")}: ${receivedAt.toISOString()}`,
  ].join("\n");
}

async function findSubscription(tx: Tx, order: string, email: string) {
  if (!UUID.test(order) && !/^sub_[A-Za-z0-9]+$/.test(order)) return null;
  const [row] = await tx
    .select({
      sub: schema.subscriptions,
      consent: schema.consents,
      terms: schema.termsVersions.terms,
      email: schema.users.email,
      tierName: schema.subscriptionTiers.name,
      creatorName: schema.creators.displayName,
      timezone: schema.coops.timezone,
    })
    .from(schema.subscriptions)
    .innerJoin(schema.users, eq(schema.users.id, schema.subscriptions.memberUserId))
    .innerJoin(schema.consents, eq(schema.consents.id, schema.subscriptions.consentId))
    .innerJoin(schema.termsVersions, eq(schema.termsVersions.id, schema.consents.termsVersionId))
    .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.subscriptions.tierId))
    .innerJoin(schema.creators, eq(schema.creators.id, schema.subscriptions.creatorId))
    .innerJoin(schema.coops, eq(schema.coops.id, schema.subscriptions.coopId))
    .where(
      and(
        eq(schema.users.email, email),
        UUID.test(order)
          ? eq(schema.subscriptions.id, order.toLowerCase())
          : eq(schema.subscriptions.stripeSubscriptionId, order),
      ),
    );
  return row ?? null;
}

/** A drop order (goods) of the member with this e-mail, with what the refund needs. */
async function findOrder(tx: Tx, order: string, email: string) {
  if (!UUID.test(order)) return null;
  const [row] = await tx
    .select({
      order: schema.orders,
      email: schema.users.email,
      productTitle: schema.products.title,
      creatorName: schema.creators.displayName,
      timezone: schema.coops.timezone,
      stripeAccountId: schema.dropPayments.stripeAccountId,
    })
    .from(schema.orders)
    .innerJoin(schema.users, eq(schema.users.id, schema.orders.memberUserId))
    .innerJoin(schema.products, eq(schema.products.id, schema.orders.productId))
    .innerJoin(schema.creators, eq(schema.creators.id, schema.orders.creatorId))
    .innerJoin(schema.coops, eq(schema.coops.id, schema.orders.coopId))
    .innerJoin(schema.dropPayments, eq(schema.dropPayments.claimId, schema.orders.claimId))
    .where(and(eq(schema.orders.id, order.toLowerCase()), eq(schema.users.email, email)));
  return row ?? null;
}

/**
 * The period of a drop order (goods, CRD art 9(2)(b)): from delivery; not started while undelivered
 * (the member may withdraw before delivery too). One order is one delivery here; several goods or
 * regular deliveries would pass all their delivery dates to withdrawalDeadline. A product exempt
 * under art 16 (the reason was shown before the order) has no withdrawal right. The drop page's
 * disclosure carries the withdrawal information, so no extension applies.
 */
export function orderDeadline(
  order: { deliveredAt: Date | null; withdrawalExemptionReason: string | null },
  timeZone: string,
): WithdrawalDeadline | null {
  if (order.withdrawalExemptionReason) return null;
  return withdrawalDeadline(
    { kind: "goods", deliveredAt: order.deliveredAt ? [order.deliveredAt] : [] },
    { timeZone, informationGiven: true },
  );
}

/**
 * The period of a matched subscription. The withdrawal information counts as given when the
 * disclosure the member consented to contained it: buildDisclosure shows the withdrawal element
 * (instructions + the function's link) exactly when the consented terms version has
 * `withdrawal.right`; without it the 12-month extension of art 10 applies.
 */
export function subscriptionDeadline(
  consent: { consentedAt: Date; jurisdiction: string },
  terms: unknown,
  timeZone: string,
): WithdrawalDeadline | null {
  if (!WITHDRAWAL_JURISDICTIONS.has(consent.jurisdiction)) return null;
  const parsed = TermsSchema.safeParse(terms);
  const informationGiven = parsed.success && parsed.data.withdrawal.right;
  return withdrawalDeadline({ kind: "service", concludedAt: consent.consentedAt }, { timeZone, informationGiven });
}

/**
 * Records a withdrawal statement (and, when accepted, the acknowledgment e-mail) in one transaction,
 * then performs the effect: Stripe cancellation and the refund. A second submit of the same form, or
 * a second statement for a contract already withdrawn from, changes nothing more.
 */
export async function submitWithdrawal(
  rt: Runtime,
  stripe: Stripe,
  raw: WithdrawFormInput,
  options: { receiptKey: string },
): Promise<WithdrawalAnswer> {
  const recorded = await recordWithdrawal(rt, raw, options);
  if (recorded.apply) await applyWithdrawal(rt, stripe, recorded.apply);
  return recorded.answer;
}

/**
 * Step 1 of submitWithdrawal: parse, match, record, audit and queue the acknowledgment. `apply` is
 * the accepted withdrawal whose effect (applyWithdrawal) is still to run, or null.
 */
export async function recordWithdrawal(
  rt: Runtime,
  raw: WithdrawFormInput,
  options: { receiptKey: string },
): Promise<{ answer: WithdrawalAnswer; apply: string | null }> {
  const parsed = WithdrawFormSchema.safeParse(raw);
  if (!parsed.success) throw badInput(parsed.error);
  const input = parsed.data;
  const locale = input.locale;
  return withSystem(rt, "rights-withdrawal", async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`kiln-withdraw:${input.submission}`}, 0))`);
    const [previous] = await tx
      .select()
      .from(schema.withdrawals)
      .where(eq(schema.withdrawals.submissionKey, input.submission));
    const answerOf = (w: typeof schema.withdrawals.$inferSelect, lastDay?: string | null): WithdrawalAnswer => ({
      status: w.outcome === "out_of_window" ? "out_of_window" : "received",
      withdrawalId: w.id,
      receivedAt: w.receivedAt,
      statement: w.statement,
      receiptToken: receiptToken(options.receiptKey, "withdrawal", w.id),
      ...(w.outcome === "out_of_window" ? { lastDay: lastDay ?? null } : {}),
    });
    if (previous) return { answer: answerOf(previous), apply: previous.outcome === "accepted" ? previous.id : null };

    const receivedAt = rt.clock.now();
    const statement = withdrawStatement(input, locale, receivedAt);
    const id = randomUUID();
    const token = receiptToken(options.receiptKey, "withdrawal", id);
    const base = {
      id,
      submissionKey: input.submission,
      orderRef: input.order,
      name: input.name,
      email: input.email,
      statement,
      locale,
      receivedAt,
      receiptHash: receiptHash(token),
    };
    const m = await findSubscription(tx, input.order, input.email);
    if (!m) {
      const goods = await findOrder(tx, input.order, input.email);
      if (goods) return { answer: await recordGoodsWithdrawal(tx, goods, base, locale, answerOf), apply: null };
      const [w] = await tx
        .insert(schema.withdrawals)
        .values({ ...base, outcome: "unmatched" })
        .returning();
      return { answer: answerOf(w!), apply: null };
    }
    const tenant = { coopId: m.sub.coopId, creatorId: m.sub.creatorId, memberUserId: m.sub.memberUserId };
    const [already] = await tx
      .select()
      .from(schema.withdrawals)
      .where(and(eq(schema.withdrawals.subscriptionId, m.sub.id), eq(schema.withdrawals.outcome, "accepted")));
    const deadline = subscriptionDeadline(m.consent, m.terms, m.timezone);
    const open = !!deadline && isWithinWithdrawalPeriod(deadline, receivedAt) && !already;
    const [w] = await tx
      .insert(schema.withdrawals)
      .values({
        ...base,
        ...tenant,
        subscriptionId: m.sub.id,
        contractKind: "service",
        // A second statement for a contract already withdrawn from is recorded, not applied again.
        outcome: already ? "duplicate" : open ? "accepted" : "out_of_window",
        deadlineAt: deadline?.endsAt ?? null,
        extended: deadline?.extended ?? false,
        acknowledgedAt: open ? receivedAt : null,
      })
      .returning();
    await appendAudit(tx, receivedAt, {
      coopId: m.sub.coopId,
      action: already
        ? "rights.withdrawal_duplicate"
        : open
          ? "rights.withdrawal_received"
          : "rights.withdrawal_refused",
      subjectType: "subscription",
      subjectId: m.sub.id,
      subjectUserId: m.sub.memberUserId,
      data: {
        withdrawalId: w!.id,
        outcome: w!.outcome,
        deadlineAt: deadline?.endsAt?.toISOString() ?? null,
        extended: deadline?.extended ?? false,
      },
      personalData: { name: input.name, email: input.email },
    });
    if (already) return { answer: answerOf(w!), apply: already.id };
    if (!open) return { answer: answerOf(w!, deadline?.lastDay), apply: null };
    const notice = renderNotice(locale, "withdrawal", {
      tier: m.tierName,
      receivedAt: `${receivedAt.toISOString()} (UTC)`,
      statement: `\n${statement}\n`,
      trader: m.creatorName,
    });
    await enqueueEmail(tx, {
      to: m.email,
      subject: notice.subject,
      text: notice.body,
      template: "rights-withdrawal",
      locale,
      coopId: m.sub.coopId,
    });
    return { answer: answerOf(w!), apply: w!.id };
  });
}

type WithdrawalRow = typeof schema.withdrawals.$inferSelect;
interface WithdrawalBase {
  id: string;
  submissionKey: string;
  orderRef: string;
  name: string;
  email: string;
  statement: string;
  locale: string;
  receivedAt: Date;
  receiptHash: string;
}

/**
 * A withdrawal from a drop order (goods): recorded, acknowledged with the return instructions, and
 * the refund (everything paid, standard delivery included, CRD art 13(1)) made due 14 days after the
 * statement — paid by `refundReturnedOrder` once the goods are back (art 13(3): the trader may wait
 * for them). Nothing is cancelled on Stripe: the payment was a one-off.
 */
async function recordGoodsWithdrawal(
  tx: Tx,
  g: NonNullable<Awaited<ReturnType<typeof findOrder>>>,
  base: WithdrawalBase,
  locale: Locale,
  answerOf: (w: WithdrawalRow, lastDay?: string | null) => WithdrawalAnswer,
): Promise<WithdrawalAnswer> {
  const o = g.order;
  const [already] = await tx
    .select()
    .from(schema.withdrawals)
    .where(and(eq(schema.withdrawals.orderId, o.id), eq(schema.withdrawals.outcome, "accepted")));
  const deadline = orderDeadline(o, g.timezone);
  const open = !!deadline && isWithinWithdrawalPeriod(deadline, base.receivedAt) && !already;
  const [w] = await tx
    .insert(schema.withdrawals)
    .values({
      ...base,
      coopId: o.coopId,
      creatorId: o.creatorId,
      memberUserId: o.memberUserId,
      orderId: o.id,
      contractKind: "goods",
      outcome: already ? "duplicate" : open ? "accepted" : "out_of_window",
      deadlineAt: deadline?.endsAt ?? null,
      acknowledgedAt: open ? base.receivedAt : null,
    })
    .returning();
  await appendAudit(tx, base.receivedAt, {
    coopId: o.coopId,
    action: already ? "rights.withdrawal_duplicate" : open ? "rights.withdrawal_received" : "rights.withdrawal_refused",
    subjectType: "order",
    subjectId: o.id,
    subjectUserId: o.memberUserId,
    data: { withdrawalId: w!.id, outcome: w!.outcome, deadlineAt: deadline?.endsAt?.toISOString() ?? null },
    personalData: { name: base.name, email: base.email },
  });
  if (already || !open) return answerOf(w!, already ? undefined : deadline?.lastDay);
  const [refund] = await tx
    .insert(schema.refunds)
    .values({
      coopId: o.coopId,
      creatorId: o.creatorId,
      memberUserId: o.memberUserId,
      withdrawalId: w!.id,
      paidMinor: o.totalMinor,
      amountMinor: o.totalMinor,
      currency: o.currency.toLowerCase(),
      basis: "full",
      dueBy: new Date(base.receivedAt.getTime() + 14 * DAY),
      stripeAccountId: g.stripeAccountId,
      stripePaymentIntentId: o.stripePaymentIntentId,
    })
    .returning();
  await appendAudit(tx, base.receivedAt, {
    coopId: o.coopId,
    action: "rights.refund_due",
    subjectType: "refund",
    subjectId: refund!.id,
    data: { withdrawalId: w!.id, orderId: o.id, amountMinor: o.totalMinor, currency: refund!.currency, basis: "full" },
  });
  const notice = renderNotice(locale, "withdrawal", {
    tier: g.productTitle,
    receivedAt: `${base.receivedAt.toISOString()} (UTC)`,
    statement: `\n${base.statement}\n`,
    trader: g.creatorName,
  });
  await enqueueEmail(tx, {
    to: g.email,
    subject: notice.subject,
    text: `${notice.body}\n\n${rightsText(locale, "returnGoods", { trader: g.creatorName })}`,
    template: "rights-withdrawal",
    locale,
    coopId: o.coopId,
  });
  return answerOf(w!);
}

/**
 * The goods of a withdrawn order are back (the drops flow marks the order returned): pays the due
 * refund. Idempotent like performRefund; null when the order has no accepted withdrawal.
 */
export async function refundReturnedOrder(rt: Runtime, stripe: Stripe, orderId: string) {
  const [row] = await withSystem(rt, "rights-refund-returned", (tx) =>
    tx
      .select({ refundId: schema.refunds.id })
      .from(schema.refunds)
      .innerJoin(schema.withdrawals, eq(schema.withdrawals.id, schema.refunds.withdrawalId))
      .where(and(eq(schema.withdrawals.orderId, orderId), eq(schema.withdrawals.outcome, "accepted"))),
  );
  return row ? performRefund(rt, stripe, row.refundId) : null;
}

/**
 * The effect of an accepted withdrawal from a service subscription: Stripe cancels it now, a refund
 * row is made due (once: unique per withdrawal) and performed. Safe to repeat after a crash.
 */
export async function applyWithdrawal(rt: Runtime, stripe: Stripe, withdrawalId: string) {
  const [found] = await withSystem(rt, "rights-withdrawal-apply", (tx) =>
    tx
      .select({ w: schema.withdrawals, sub: schema.subscriptions, express: schema.consents.isExpressStartRequest })
      .from(schema.withdrawals)
      .innerJoin(schema.subscriptions, eq(schema.subscriptions.id, schema.withdrawals.subscriptionId))
      .innerJoin(schema.consents, eq(schema.consents.id, schema.subscriptions.consentId))
      .where(and(eq(schema.withdrawals.id, withdrawalId), eq(schema.withdrawals.outcome, "accepted"))),
  );
  if (!found) throw new AppError("NOT_FOUND", "Not found");
  const { w, sub } = found;
  if (!w.stripeCanceledAt) {
    await cancelSubscriptionOnStripe(rt, stripe, sub.id, { mode: "now" });
    await withSystem(rt, "rights-withdrawal-apply", (tx) =>
      tx
        .update(schema.withdrawals)
        .set({ stripeCanceledAt: sql`kiln_now()` })
        .where(eq(schema.withdrawals.id, w.id)),
    );
  }
  let [refund] = await withSystem(rt, "rights-refund-read", (tx) =>
    tx.select().from(schema.refunds).where(eq(schema.refunds.withdrawalId, w.id)),
  );
  if (!refund) {
    const paid = await lastSubscriptionPayment(stripe, sub.stripeAccountId, sub.stripeSubscriptionId);
    const amount = paid
      ? serviceRefund({
          paidMinor: paid.paidMinor,
          expressStart: found.express,
          periodStart: paid.periodStart,
          periodEnd: paid.periodEnd,
          withdrawnAt: w.receivedAt,
        })
      : { amountMinor: 0, basis: "full" as const, daysProvided: 0, daysInPeriod: 0 };
    refund = await withSystem(rt, "rights-refund-due", async (tx) => {
      const [inserted] = await tx
        .insert(schema.refunds)
        .values({
          coopId: sub.coopId,
          creatorId: sub.creatorId,
          memberUserId: sub.memberUserId,
          withdrawalId: w.id,
          subscriptionId: sub.id,
          paidMinor: paid?.paidMinor ?? 0,
          amountMinor: amount.amountMinor,
          currency: paid?.currency ?? "eur",
          basis: amount.basis,
          dueBy: new Date(w.receivedAt.getTime() + 14 * DAY),
          // Nothing paid (a trial): nothing to refund, done at once.
          status: amount.amountMinor === 0 ? "refunded" : "due",
          refundedAt: amount.amountMinor === 0 ? sql`kiln_now()` : null,
          stripeAccountId: sub.stripeAccountId,
          stripePaymentIntentId: paid?.paymentIntentId ?? null,
        })
        .onConflictDoNothing()
        .returning();
      if (inserted)
        await appendAudit(tx, rt.clock.now(), {
          coopId: sub.coopId,
          action: "rights.refund_due",
          subjectType: "refund",
          subjectId: inserted.id,
          data: {
            withdrawalId: w.id,
            amountMinor: inserted.amountMinor,
            paidMinor: inserted.paidMinor,
            currency: inserted.currency,
            basis: inserted.basis,
            daysProvided: amount.daysProvided,
            daysInPeriod: amount.daysInPeriod,
            dueBy: inserted.dueBy.toISOString(),
          },
        });
      const [row] = await tx.select().from(schema.refunds).where(eq(schema.refunds.withdrawalId, w.id));
      return row!;
    });
  }
  return performRefund(rt, stripe, refund.id);
}

/**
 * Pays a due refund on the connected account (idempotent: the row id is the Stripe idempotency key,
 * and a refunded row is left alone). A failure is recorded on the row and rethrown for the caller's
 * retry; `performDueRefunds` sweeps the rest.
 */
export async function performRefund(rt: Runtime, stripe: Stripe, refundId: string) {
  const [refund] = await withSystem(rt, "rights-refund-read", (tx) =>
    tx.select().from(schema.refunds).where(eq(schema.refunds.id, refundId)),
  );
  if (!refund) throw new AppError("NOT_FOUND", "Not found");
  if (refund.status === "refunded") return refund;
  if (!refund.stripePaymentIntentId) throw new AppError("CONFLICT", "The payment to refund is unknown");
  try {
    const done = await refundPayment(stripe, {
      account: refund.stripeAccountId,
      paymentIntentId: refund.stripePaymentIntentId,
      amountMinor: refund.amountMinor,
      idempotencyKey: refund.id,
      reason: refund.withdrawalId ? "withdrawal" : "order_cancelled",
    });
    return withSystem(rt, "rights-refund-done", async (tx) => {
      const [row] = await tx
        .update(schema.refunds)
        .set({
          status: "refunded",
          stripeRefundId: done.id,
          refundedAt: sql`kiln_now()`,
          attempts: sql`${schema.refunds.attempts} + 1`,
          lastError: null,
          updatedAt: sql`kiln_now()`,
        })
        .where(and(eq(schema.refunds.id, refund.id), eq(schema.refunds.status, "due")))
        .returning();
      if (row)
        await appendAudit(tx, rt.clock.now(), {
          coopId: row.coopId,
          action: "rights.refund_paid",
          subjectType: "refund",
          subjectId: row.id,
          data: { stripeRefundId: done.id, amountMinor: row.amountMinor, currency: row.currency },
        });
      const [current] = await tx.select().from(schema.refunds).where(eq(schema.refunds.id, refund.id));
      return current!;
    });
  } catch (error) {
    await withSystem(rt, "rights-refund-failed", (tx) =>
      tx
        .update(schema.refunds)
        .set({
          attempts: sql`${schema.refunds.attempts} + 1`,
          lastError: String((error as Error).message ?? error).slice(0, 500),
          updatedAt: sql`kiln_now()`,
        })
        .where(eq(schema.refunds.id, refund.id)),
    );
    throw error;
  }
}

/**
 * Pays every refund still due (for a job): service refunds at once, goods refunds once their order is
 * marked returned (CRD art 13(3): the trader may wait for the goods), refunds of orders cancelled
 * before shipping (no withdrawal; ADR 020) at once. Returns how many were paid now.
 */
export async function performDueRefunds(rt: Runtime, stripe: Stripe): Promise<number> {
  const due = await withSystem(rt, "rights-refund-sweep", (tx) =>
    tx
      .select({ id: schema.refunds.id })
      .from(schema.refunds)
      .leftJoin(schema.withdrawals, eq(schema.withdrawals.id, schema.refunds.withdrawalId))
      .leftJoin(schema.orders, eq(schema.orders.id, schema.withdrawals.orderId))
      .where(
        and(
          eq(schema.refunds.status, "due"),
          or(
            isNull(schema.refunds.withdrawalId),
            isNull(schema.withdrawals.orderId),
            eq(schema.orders.status, "returned"),
          ),
        ),
      ),
  );
  let paid = 0;
  for (const r of due) {
    const after = await performRefund(rt, stripe, r.id).catch(() => null);
    if (after?.status === "refunded") paid++;
  }
  return paid;
}

/** The refund amount shown to the member, formatted (for the creator/member screens). */
export const refundLabel = (r: { amountMinor: number; currency: string }, locale: Locale) =>
  formatMoney(r.amountMinor, r.currency.toUpperCase(), locale);
