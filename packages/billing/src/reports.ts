import { and, desc, eq, gte, inArray, isNotNull, or } from "drizzle-orm";
import type Stripe from "stripe";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { requireActor } from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import { requireCreatorTeam } from "./context";
import { isDisputeOpen } from "./disputes";
import { reconcileCoop, type ReconciliationRow } from "./reconcile";
import { processWebhookEvent, type ProcessOptions, type ProcessResult } from "./webhooks";

const DAY = 86_400_000;

/** An amount in minor units with its currency (ISO 4217, lower case as Stripe writes it). */
export interface Money {
  amountMinor: number;
  currency: string;
}

function addTo(map: Map<string, number>, currency: string, amount: number) {
  map.set(currency, (map.get(currency) ?? 0) + amount);
}
const moneyList = (map: Map<string, number>): Money[] =>
  [...map]
    .map(([currency, amountMinor]) => ({ currency, amountMinor }))
    .sort((a, b) => a.currency.localeCompare(b.currency));

/** Monthly recurring revenue of one price: a yearly price counts a twelfth (rounded to the minor unit). */
export function monthlyAmount(price: { amountMinor: number; interval: string; intervalCount: number }): number {
  const months = (price.interval === "year" ? 12 : 1) * Math.max(1, price.intervalCount);
  return Math.round(price.amountMinor / months);
}

export const ChurnPeriodSchema = z.coerce.number().int().min(1).max(365).default(30);

export interface CreatorBillingOverview {
  connect: { status: string; chargesEnabled: boolean; payoutsEnabled: boolean; detailsSubmitted: boolean } | null;
  subscribers: Array<{
    id: string;
    memberName: string;
    tierName: string;
    status: string;
    cancelAtPeriodEnd: boolean;
    currentPeriodEnd: Date | null;
    /** The co-op's final action after the grace period, when one was taken (docs/decisions/018). */
    finalAction: { action: "cancel" | "mark_unpaid"; at: Date } | null;
    price: Money;
    dispute: { status: string; reason: string; amount: Money } | null;
  }>;
  disputes: Array<{
    id: string;
    /** What the disputed payment was for. */
    target: "order" | "subscription" | null;
    stripeDisputeId: string;
    status: string;
    reason: string;
    amount: Money;
    open: boolean;
    createdAt: Date;
  }>;
  /** MRR from active subscriptions, per currency, in minor units. */
  mrr: Money[];
  churn: { periodDays: number; canceled: number; activeNow: number; rateBps: number };
  /** From Stripe (the connected account): null when there is no account yet or Stripe could not be asked. */
  refunds: Array<{ id: string; amount: Money; status: string | null; created: number; charge: string | null }> | null;
  balance: { available: Money[]; pending: Money[] } | null;
}

/**
 * The creator's billing screen (issue 5 §8): Connect status, subscribers with their states (and any
 * open dispute flag), MRR per currency from active subscriptions, churn over the last `periodDays`
 * (subscriptions canceled in the period ÷ those active now plus those canceled), and — from Stripe,
 * on the creator's connected account — recent refunds and the balance that pays out.
 */
export async function getCreatorBilling(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  input: { periodDays?: unknown } = {},
): Promise<CreatorBillingOverview> {
  const a = requireCreatorTeam(actor);
  const periodDays = ChurnPeriodSchema.parse(input.periodDays ?? undefined);
  const since = new Date(rt.clock.now().getTime() - periodDays * DAY);
  const read = await withTenant(rt, a, async (tx) => {
    const [account] = await tx
      .select()
      .from(schema.billingAccounts)
      .where(eq(schema.billingAccounts.creatorId, a.creatorId));
    const subs = await tx
      .select({ sub: schema.subscriptions, tierName: schema.subscriptionTiers.name, price: schema.tierPrices })
      .from(schema.subscriptions)
      .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.subscriptions.tierId))
      .innerJoin(schema.tierPrices, eq(schema.tierPrices.id, schema.subscriptions.tierPriceId))
      .where(
        and(
          eq(schema.subscriptions.creatorId, a.creatorId),
          or(
            inArray(schema.subscriptions.status, ["active", "trialing", "past_due", "paused", "unpaid", "incomplete"]),
            gte(schema.subscriptions.updatedAt, since),
          ),
        ),
      )
      .orderBy(desc(schema.subscriptions.createdAt));
    const disputes = await tx
      .select()
      .from(schema.billingDisputes)
      .where(eq(schema.billingDisputes.creatorId, a.creatorId))
      .orderBy(desc(schema.billingDisputes.createdAt));
    return { account, subs, disputes };
  });
  // Members' names: only those of this creator's own subscriptions (read above under the creator's RLS).
  const memberIds = [...new Set(read.subs.map((s) => s.sub.memberUserId))];
  const names = new Map(
    memberIds.length
      ? (
          await withSystem(rt, "billing-creator-subscriber-names", (tx) =>
            tx
              .select({ id: schema.users.id, name: schema.users.displayName })
              .from(schema.users)
              .where(inArray(schema.users.id, memberIds)),
          )
        ).map((u) => [u.id, u.name])
      : [],
  );
  const openBySub = new Map(
    read.disputes.filter((d) => d.subscriptionId && isDisputeOpen(d.status)).map((d) => [d.subscriptionId!, d]),
  );
  const mrr = new Map<string, number>();
  let activeNow = 0;
  let canceled = 0;
  for (const { sub, price } of read.subs) {
    if (sub.status === "active") addTo(mrr, price.currency, monthlyAmount(price));
    if (sub.status === "active" || sub.status === "trialing" || sub.status === "past_due") activeNow++;
    if (sub.status === "canceled" && sub.updatedAt >= since) canceled++;
  }
  let refunds: CreatorBillingOverview["refunds"] = null;
  let balance: CreatorBillingOverview["balance"] = null;
  if (read.account && read.account.status !== "pending") {
    const stripeAccount = read.account.stripeAccountId;
    try {
      const [r, b] = await Promise.all([
        stripe.refunds.list({ limit: 20 }, { stripeAccount }),
        stripe.balance.retrieve({}, { stripeAccount }),
      ]);
      refunds = r.data.map((x) => ({
        id: x.id,
        amount: { amountMinor: x.amount, currency: x.currency },
        status: x.status,
        created: x.created,
        charge: typeof x.charge === "string" ? x.charge : (x.charge?.id ?? null),
      }));
      const asMoney = (list: Array<{ amount: number; currency: string }>) =>
        list.map((m) => ({ amountMinor: m.amount, currency: m.currency }));
      balance = { available: asMoney(b.available), pending: asMoney(b.pending) };
    } catch {
      // Stripe unreachable: the screen shows what Kiln knows and says the rest is unavailable.
    }
  }
  return {
    connect: read.account
      ? {
          status: read.account.status,
          chargesEnabled: read.account.chargesEnabled,
          payoutsEnabled: read.account.payoutsEnabled,
          detailsSubmitted: read.account.detailsSubmitted,
        }
      : null,
    subscribers: read.subs.map(({ sub, tierName, price }) => {
      const d = openBySub.get(sub.id);
      return {
        id: sub.id,
        memberName: names.get(sub.memberUserId) ?? "—",
        tierName,
        status: sub.status,
        cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
        currentPeriodEnd: sub.currentPeriodEnd,
        finalAction: sub.finalAction && sub.finalActionAt ? { action: sub.finalAction, at: sub.finalActionAt } : null,
        price: { amountMinor: price.amountMinor, currency: price.currency },
        dispute: d
          ? { status: d.status, reason: d.reason, amount: { amountMinor: d.amountMinor, currency: d.currency } }
          : null,
      };
    }),
    disputes: read.disputes.map((d) => ({
      id: d.id,
      target: d.orderId ? ("order" as const) : d.subscriptionId ? ("subscription" as const) : null,
      stripeDisputeId: d.stripeDisputeId,
      status: d.status,
      reason: d.reason,
      amount: { amountMinor: d.amountMinor, currency: d.currency },
      open: isDisputeOpen(d.status),
      createdAt: d.createdAt,
    })),
    mrr: moneyList(mrr),
    churn: {
      periodDays,
      canceled,
      activeNow,
      rateBps: canceled + activeNow === 0 ? 0 : Math.round((canceled * 10_000) / (canceled + activeNow)),
    },
    refunds,
    balance,
  };
}

function requireCoopAdmin(actor: TenantContext) {
  const a = requireActor(actor);
  if (a.role !== "coop_admin") throw new AppError("NOT_FOUND", "Not found");
  return a;
}

export interface CoopBillingAdmin {
  settings: { applicationFeeBps: number; graceDays: number; finalAction: "cancel" | "mark_unpaid" };
  deadLetters: Array<{
    stripeEventId: string;
    type: string;
    account: string | null;
    attempts: number;
    lastError: string | null;
    receivedAt: Date;
    deadLetteredAt: Date;
  }>;
  reconciliations: ReconciliationRow[];
}

/** The co-op's connected accounts (a dead letter may have failed before its co-op was resolved). */
async function coopAccounts(rt: Runtime, coopId: string): Promise<string[]> {
  const rows = await withSystem(rt, "billing-coop-accounts", (tx) =>
    tx
      .select({ id: schema.billingAccounts.stripeAccountId })
      .from(schema.billingAccounts)
      .where(eq(schema.billingAccounts.coopId, coopId)),
  );
  return rows.map((r) => r.id);
}

/**
 * The co-op admin's billing screen: the application fee and grace period, the co-op's dead-lettered
 * webhook events (its own, or events of its creators' connected accounts), the latest reconciliation reports.
 */
export async function getCoopBillingAdmin(rt: Runtime, actor: TenantContext): Promise<CoopBillingAdmin> {
  const a = requireCoopAdmin(actor);
  const accounts = await coopAccounts(rt, a.coopId);
  const { settings, reconciliations } = await withTenant(rt, a, async (tx) => ({
    settings: (await tx.select().from(schema.billingSettings).where(eq(schema.billingSettings.coopId, a.coopId)))[0],
    reconciliations: await tx
      .select()
      .from(schema.billingReconciliations)
      .where(eq(schema.billingReconciliations.coopId, a.coopId))
      .orderBy(desc(schema.billingReconciliations.startedAt))
      .limit(20),
  }));
  const deadLetters = await withSystem(rt, "billing-dead-letters", (tx) =>
    tx
      .select()
      .from(schema.billingWebhookEvents)
      .where(
        and(
          isNotNull(schema.billingWebhookEvents.deadLetteredAt),
          accounts.length
            ? or(
                eq(schema.billingWebhookEvents.coopId, a.coopId),
                inArray(schema.billingWebhookEvents.account, accounts),
              )
            : eq(schema.billingWebhookEvents.coopId, a.coopId),
        ),
      )
      .orderBy(desc(schema.billingWebhookEvents.deadLetteredAt))
      .limit(100),
  );
  return {
    settings: {
      applicationFeeBps: settings?.applicationFeeBps ?? 500,
      graceDays: settings?.graceDays ?? 7,
      finalAction: settings?.finalAction ?? "cancel",
    },
    deadLetters: deadLetters.map((e) => ({
      stripeEventId: e.stripeEventId,
      type: e.type,
      account: e.account,
      attempts: e.attempts,
      lastError: e.lastError,
      receivedAt: e.receivedAt,
      deadLetteredAt: e.deadLetteredAt!,
    })),
    reconciliations,
  };
}

export const ApplicationFeeSchema = z.object({
  applicationFeeBps: z.coerce
    .number({ error: "Enter the fee in basis points (500 = 5 %)" })
    .int("Enter a whole number of basis points (500 = 5 %)")
    .min(0, "The fee cannot be negative")
    .max(10_000, "The fee cannot exceed 10000 basis points (100 %)"),
});

/** Sets the co-op's application fee (basis points) for new subscriptions; audited. */
export async function setApplicationFee(
  rt: Runtime,
  actor: TenantContext,
  input: z.input<typeof ApplicationFeeSchema>,
): Promise<{ applicationFeeBps: number }> {
  const a = requireCoopAdmin(actor);
  const parsed = ApplicationFeeSchema.safeParse(input);
  if (!parsed.success) throw new AppError("BAD_INPUT", parsed.error.issues[0]?.message ?? "Invalid fee");
  const bps = parsed.data.applicationFeeBps;
  return withTenant(rt, a, async (tx) => {
    const [before] = await tx.select().from(schema.billingSettings).where(eq(schema.billingSettings.coopId, a.coopId));
    await tx
      .insert(schema.billingSettings)
      .values({ coopId: a.coopId, applicationFeeBps: bps })
      .onConflictDoUpdate({
        target: schema.billingSettings.coopId,
        set: { applicationFeeBps: bps, updatedAt: rt.clock.now() },
      });
    await appendAudit(tx, rt.clock.now(), {
      coopId: a.coopId,
      actorUserId: a.userId,
      action: "billing.application_fee_set",
      subjectType: "billing_settings",
      subjectId: a.coopId,
      data: { from: before?.applicationFeeBps ?? 500, to: bps },
    });
    return { applicationFeeBps: bps };
  });
}

export const DunningPolicySchema = z.object({
  graceDays: z.coerce
    .number({ error: "Enter the grace period in days" })
    .int("Enter a whole number of days")
    .min(0, "The grace period cannot be negative")
    .max(60, "The grace period can be at most 60 days"),
  finalAction: z.enum(["cancel", "mark_unpaid"], { error: "Choose what happens after the grace period" }),
});

/**
 * Sets the co-op's dunning policy (issue 5 §6, docs/decisions/018): how long a past_due subscription
 * stays entitled, and the final action once that has run out. Applies to subscriptions not yet
 * acted on (the sweep reads it when it claims one); audited with the values before and after.
 */
export async function setDunningPolicy(
  rt: Runtime,
  actor: TenantContext,
  input: z.input<typeof DunningPolicySchema>,
): Promise<z.output<typeof DunningPolicySchema>> {
  const a = requireCoopAdmin(actor);
  const parsed = DunningPolicySchema.safeParse(input);
  if (!parsed.success) throw new AppError("BAD_INPUT", parsed.error.issues[0]?.message ?? "Invalid policy");
  const policy = parsed.data;
  return withTenant(rt, a, async (tx) => {
    const [before] = await tx.select().from(schema.billingSettings).where(eq(schema.billingSettings.coopId, a.coopId));
    await tx
      .insert(schema.billingSettings)
      .values({ coopId: a.coopId, ...policy })
      .onConflictDoUpdate({ target: schema.billingSettings.coopId, set: { ...policy, updatedAt: rt.clock.now() } });
    await appendAudit(tx, rt.clock.now(), {
      coopId: a.coopId,
      actorUserId: a.userId,
      action: "billing.dunning_policy_set",
      subjectType: "billing_settings",
      subjectId: a.coopId,
      data: {
        from: { graceDays: before?.graceDays ?? 7, finalAction: before?.finalAction ?? "cancel" },
        to: policy,
      },
    });
    return policy;
  });
}

export const RetryDeadLetterSchema = z.object({ stripeEventId: z.string().regex(/^evt_\w+$/, "Not an event id") });

/**
 * Retries a dead-lettered event now (the admin's button): attempts reset, processed through the
 * webhook processor (idempotent: it re-fetches from Stripe). NOT_FOUND for another co-op's event.
 */
export async function retryDeadLetter(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  input: z.input<typeof RetryDeadLetterSchema>,
  options: Pick<ProcessOptions, "appUrl"> = {},
): Promise<ProcessResult> {
  const a = requireCoopAdmin(actor);
  const { stripeEventId } = RetryDeadLetterSchema.parse(input);
  const accounts = await coopAccounts(rt, a.coopId);
  const reset = await withSystem(rt, "billing-dead-letter-retry", async (tx) => {
    const [row] = await tx
      .select()
      .from(schema.billingWebhookEvents)
      .where(
        and(
          eq(schema.billingWebhookEvents.stripeEventId, stripeEventId),
          isNotNull(schema.billingWebhookEvents.deadLetteredAt),
        ),
      );
    if (!row || !(row.coopId === a.coopId || (row.account !== null && accounts.includes(row.account)))) return false;
    await tx
      .update(schema.billingWebhookEvents)
      .set({ deadLetteredAt: null, attempts: 0, lastError: null })
      .where(eq(schema.billingWebhookEvents.id, row.id));
    await appendAudit(tx, rt.clock.now(), {
      coopId: a.coopId,
      actorUserId: a.userId,
      action: "billing.dead_letter_retried",
      subjectType: "stripe_event",
      subjectId: stripeEventId,
      data: { type: row.type, attempts: row.attempts },
    });
    return true;
  });
  if (!reset) throw new AppError("NOT_FOUND", "No such dead-lettered event");
  return processWebhookEvent(rt, stripe, stripeEventId, options).catch(() => "failed" as const);
}

/** "Run now" on the admin screen: a reconciliation of this co-op, its report returned. */
export async function runReconciliationNow(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  options: Pick<ProcessOptions, "appUrl"> = {},
): Promise<ReconciliationRow> {
  const a = requireCoopAdmin(actor);
  return reconcileCoop(rt, stripe, a.coopId, "manual", options);
}
