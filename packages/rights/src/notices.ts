import { createHash, randomBytes } from "node:crypto";
import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import {
  addInterval,
  applicableWindows,
  fillTemplate,
  formatDate,
  formatMoney,
  JurisdictionSchema,
  periodText,
  planNoticeDate,
  planPriceChangeDate,
  planRenewalReminder,
  renderNotice,
  resolveJurisdiction,
  templateVersion,
  TermsSchema,
  type DatedWindow,
  type Jurisdiction,
  type Locale,
  type SendDate,
  type Terms,
} from "@kiln/compliance";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";

/**
 * Legally timed notices as rows (issue 6 item 3; research §8.3, §8.6): planned for each subscription
 * from the windows of the member's rule pack (@kiln/compliance notice-windows), sent by a sweep
 * through the mail outbox. Server-only; everything runs in the system context (jobs).
 *
 * - Planning is idempotent: one row per (subscription, kind, period key); a re-run plans only what is
 *   missing. It re-plans when the subscription changes: a scheduled reminder whose event moved (a new
 *   period) is cancelled and the new one planned; a cancelled or ending subscription cancels every
 *   scheduled notice but the acknowledgment; a subscription that is renewing again revives them.
 * - Sending: one notice per transaction, its row locked (`for update skip locked`), the email put in
 *   the outbox and the row marked sent in that same transaction — a crash before commit leaves
 *   both undone (retried next minute), after commit both done (never sent twice).
 * - The member's jurisdiction is the one recorded with their consent (the order page picked it from
 *   their country and US state with `resolveJurisdiction`); their language is their account's, else
 *   the consent's.
 */

export type NoticeRow = typeof schema.notices.$inferSelect;
export type NoticeKind = NoticeRow["kind"];

export interface NoticeSweepOptions {
  /** Absolute base for the links in notices (config.appUrl). */
  appUrl: string;
  /** Only this co-op's subscriptions (tests, or an operator re-running one co-op). */
  coopId?: string;
  /** Only this subscription's notices (right after sign-up: the acknowledgment goes out at once). */
  subscriptionId?: string;
  /** At most this many notices sent per call (default 100). */
  batchSize?: number;
}

/** Subscriptions whose renewals and trials still get reminders. */
const RENEWING = ["trialing", "active", "past_due"] as const;
/** Subscriptions that never started: no notice at all. */
const NEVER_STARTED = ["incomplete", "incomplete_expired"] as const;
/** Everything but the acknowledgment is about the future and is cancelled when the subscription ends. */
const FUTURE_KINDS: NoticeKind[] = [
  "trial-ending",
  "renewal-reminder",
  "annual-reminder",
  "cooling-off",
  "price-change",
];
/**
 * An acknowledgment is planned only for contracts concluded this recently: subscriptions that existed
 * before notices were planned (data from before this feature) do not get a months-late "thank you".
 */
export const ACK_CATCH_UP_MS = 7 * 86_400_000;
/** Notices that carry the terms, amount and how to cancel (the CA-11 / UK-S5 cadence counts from them). */
const TERMS_KINDS: NoticeKind[] = ["acknowledgment", "trial-ending", "renewal-reminder", "annual-reminder"];

export const TEMPLATE_OF: Record<NoticeKind, string> = {
  acknowledgment: "notice.acknowledgment",
  "trial-ending": "notice.trial-ending",
  "renewal-reminder": "notice.renewal-reminder",
  "annual-reminder": "notice.renewal-reminder",
  "price-change": "notice.price-change",
  "cooling-off": "notice.cooling-off",
};

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

/** Everything planning and rendering need about one subscription. */
export async function loadNoticeContext(tx: Tx, subscriptionId: string) {
  const [row] = await tx
    .select({
      sub: schema.subscriptions,
      consent: schema.consents,
      price: schema.tierPrices,
      termsJson: schema.termsVersions.terms,
      tierName: schema.subscriptionTiers.name,
      user: schema.users,
    })
    .from(schema.subscriptions)
    .innerJoin(schema.consents, eq(schema.consents.id, schema.subscriptions.consentId))
    .innerJoin(schema.tierPrices, eq(schema.tierPrices.id, schema.subscriptions.tierPriceId))
    .innerJoin(schema.termsVersions, eq(schema.termsVersions.id, schema.tierPrices.termsVersionId))
    .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.subscriptions.tierId))
    .innerJoin(schema.users, eq(schema.users.id, schema.subscriptions.memberUserId))
    .where(eq(schema.subscriptions.id, subscriptionId));
  if (!row) return null;
  const parsedJurisdiction = JurisdictionSchema.safeParse(row.consent.jurisdiction);
  const jurisdiction: Jurisdiction = parsedJurisdiction.success
    ? parsedJurisdiction.data
    : resolveJurisdiction(row.user.country, row.user.usState);
  const language: Locale = (row.user.locale ?? row.consent.locale) === "de" ? "de" : "en";
  const terms: Terms = TermsSchema.parse(row.termsJson);
  return { ...row, terms, jurisdiction, language };
}
export type NoticeContext = NonNullable<Awaited<ReturnType<typeof loadNoticeContext>>>;

interface Planned {
  kind: NoticeKind;
  periodKey: string;
  eventAt: Date;
  plan: SendDate;
  priceChangeId?: string;
}

const windowsRecord = (windows: readonly DatedWindow[]) =>
  windows.map((w) => ({
    ruleId: w.ruleId,
    event: w.event,
    eventAt: w.eventAt.toISOString(),
    from: w.from?.toISOString() ?? null,
    to: w.to?.toISOString() ?? null,
    ...(w.cadenceMonths ? { cadenceMonths: w.cadenceMonths } : {}),
  }));

/** Where a failed plan still sends: as soon as possible (a late notice beats none); the error records why. */
const dueOf = (plan: SendDate, earliest: Date) => (plan.ok ? plan.dueAt : earliest);

/** Writes a plan as a scheduled row unless the row exists; a cancelled row of the same key is revived. */
async function upsertPlanned(tx: Tx, ctx: NoticeContext, p: Planned, now: Date): Promise<"planned" | "revived" | null> {
  const values = {
    eventAt: p.eventAt,
    dueAt: dueOf(p.plan, now),
    windowRuleIds: p.plan.ruleIds,
    windows: windowsRecord(p.plan.windows),
    jurisdiction: ctx.jurisdiction,
    templateId: TEMPLATE_OF[p.kind],
    templateVersion: templateVersion(ctx.language),
    language: ctx.language,
    error: p.plan.ok ? null : `${p.plan.reason}: ${p.plan.message}`,
  };
  const [inserted] = await tx
    .insert(schema.notices)
    .values({
      coopId: ctx.sub.coopId,
      creatorId: ctx.sub.creatorId,
      memberUserId: ctx.sub.memberUserId,
      subscriptionId: ctx.sub.id,
      kind: p.kind,
      periodKey: p.periodKey,
      priceChangeId: p.priceChangeId ?? null,
      ...values,
    })
    .onConflictDoNothing()
    .returning({ id: schema.notices.id });
  if (inserted) return "planned";
  const [revived] = await tx
    .update(schema.notices)
    .set({ ...values, status: "scheduled", updatedAt: now })
    .where(
      and(
        eq(schema.notices.subscriptionId, ctx.sub.id),
        eq(schema.notices.kind, p.kind),
        eq(schema.notices.periodKey, p.periodKey),
        eq(schema.notices.status, "cancelled"),
        sql`${schema.notices.sentAt} is null`,
        // Only rows cancelled by planning (the subscription ended, or its period moved), never others.
        sql`${schema.notices.error} like 'cancelled:%'`,
      ),
    )
    .returning({ id: schema.notices.id });
  return revived ? "revived" : null;
}

async function cancelNotices(tx: Tx, ids: string[], reason: string, now: Date) {
  if (ids.length === 0) return 0;
  const rows = await tx
    .update(schema.notices)
    .set({ status: "cancelled", error: `cancelled: ${reason}`, updatedAt: now })
    .where(and(inArray(schema.notices.id, ids), eq(schema.notices.status, "scheduled")))
    .returning({ id: schema.notices.id });
  return rows.length;
}

/** What the notice planner would schedule for this subscription now (pure given the context). */
export function planFor(ctx: NoticeContext, existing: readonly NoticeRow[], now: Date): Planned[] {
  const { sub, consent, terms, jurisdiction } = ctx;
  const conclusion = consent.consentedAt;
  const out: Planned[] = [];
  if ((NEVER_STARTED as readonly string[]).includes(sub.status)) return out;
  const ack = planNoticeDate({
    jurisdiction,
    terms,
    at: now,
    notice: "acknowledgment",
    events: { conclusion },
    earliest: conclusion,
  });
  const hasAck = existing.some((n) => n.kind === "acknowledgment");
  if (hasAck || now.getTime() - conclusion.getTime() <= ACK_CATCH_UP_MS)
    out.push({
      kind: "acknowledgment",
      periodKey: "conclusion",
      eventAt: conclusion,
      // Every pack asks for it (X-A1); without a window it goes at once.
      plan: ack ?? { ok: true, dueAt: conclusion, ruleIds: [], windows: [], from: null, to: null },
    });
  const renewing = (RENEWING as readonly string[]).includes(sub.status) && !sub.cancelAtPeriodEnd;
  const periodEnd = sub.currentPeriodEnd;
  if (!renewing || !periodEnd) return out;

  if (sub.status === "trialing") {
    // Stripe's trial ends with the current period: that is the first paid charge.
    const trialEnd = periodEnd;
    const events = { conclusion, trialEnd };
    const trialNotice = planNoticeDate({
      jurisdiction,
      terms,
      at: now,
      notice: "trial-ending",
      events,
      earliest: conclusion,
    });
    if (trialNotice)
      out.push({ kind: "trial-ending", periodKey: isoDay(trialEnd), eventAt: trialEnd, plan: trialNotice });
    const coolingOff = planNoticeDate({
      jurisdiction,
      terms,
      at: now,
      notice: "cooling-off",
      events,
      earliest: conclusion,
    });
    if (coolingOff) out.push({ kind: "cooling-off", periodKey: isoDay(trialEnd), eventAt: trialEnd, plan: coolingOff });
    return out;
  }

  const renewal = periodEnd;
  const previous = existing.filter(
    (n) => TERMS_KINDS.includes(n.kind) && n.status !== "cancelled" && n.periodKey !== isoDay(renewal),
  );
  const lastReminderAt = previous.reduce((last, n) => {
    const at = n.sentAt ?? n.dueAt;
    return at > last ? at : last;
  }, conclusion);
  const reminder = planRenewalReminder({
    jurisdiction,
    terms,
    at: now,
    conclusion,
    renewal,
    lastReminderAt,
    earliest: conclusion,
  });
  if (reminder) out.push({ kind: reminder.kind, periodKey: isoDay(renewal), eventAt: renewal, plan: reminder.plan });
  const coolingOff = planNoticeDate({
    jurisdiction,
    terms,
    at: now,
    notice: "cooling-off",
    events: { conclusion, renewal },
    earliest: conclusion,
  });
  if (coolingOff) out.push({ kind: "cooling-off", periodKey: isoDay(renewal), eventAt: renewal, plan: coolingOff });
  return out;
}

/**
 * Plans (and re-plans) one subscription's notices in the caller's transaction. Price-change notices
 * are planned by the price-change flow (price-change.ts); here they are only cancelled with the
 * subscription.
 */
export async function planSubscriptionNotices(tx: Tx, subscriptionId: string, now: Date) {
  const ctx = await loadNoticeContext(tx, subscriptionId);
  if (!ctx) return { planned: 0, revived: 0, cancelled: 0 };
  const existing = await tx.select().from(schema.notices).where(eq(schema.notices.subscriptionId, subscriptionId));
  const plans = planFor(ctx, existing, now);
  const keys = new Set(plans.map((p) => `${p.kind}|${p.periodKey}`));
  let planned = 0;
  let revived = 0;
  for (const p of plans) {
    const outcome = await upsertPlanned(tx, ctx, p, now);
    if (outcome === "planned") planned++;
    if (outcome === "revived") revived++;
  }
  const ending =
    !(RENEWING as readonly string[]).includes(ctx.sub.status) || ctx.sub.cancelAtPeriodEnd
      ? ctx.sub.status === "canceled"
        ? "the subscription was cancelled"
        : ctx.sub.cancelAtPeriodEnd
          ? "the subscription ends at the end of the period"
          : `the subscription is ${ctx.sub.status}`
      : null;
  const stale = existing.filter(
    (n) =>
      n.status === "scheduled" &&
      FUTURE_KINDS.includes(n.kind) &&
      (ending !== null ||
        (n.kind !== "price-change" &&
          !keys.has(`${n.kind}|${n.periodKey}`) &&
          // A cooling-off notice is due when its period has begun, i.e. right after the renewal moved the period on.
          !(n.kind === "cooling-off" && n.eventAt <= now))),
  );
  const cancelled = await cancelNotices(
    tx,
    stale.map((n) => n.id),
    ending ?? "re-planned: the subscription's period changed",
    now,
  );
  // A pause only holds the notices back (they are revived on resume); an ending also ends the price change.
  if (ctx.sub.status === "canceled" || ctx.sub.cancelAtPeriodEnd) {
    await tx
      .update(schema.priceChanges)
      .set({ status: "cancelled", reason: ending, updatedAt: now })
      .where(and(eq(schema.priceChanges.subscriptionId, subscriptionId), eq(schema.priceChanges.status, "scheduled")));
  }
  return { planned, revived, cancelled };
}

/** Plans missing notices for every subscription (of one co-op, when given). */
export async function planAllNotices(rt: Runtime, options: { coopId?: string } = {}) {
  const now = rt.clock.now();
  const ids = await withSystem(rt, "rights-notices-plan", (tx) =>
    tx
      .select({ id: schema.subscriptions.id })
      .from(schema.subscriptions)
      .where(
        and(
          options.coopId ? eq(schema.subscriptions.coopId, options.coopId) : undefined,
          sql`${schema.subscriptions.status} not in ('incomplete', 'incomplete_expired')`,
          // Ended subscriptions need a visit only while they still have scheduled notices to cancel.
          sql`(${schema.subscriptions.status} in ('trialing', 'active', 'past_due') or exists (
            select 1 from notices n where n.subscription_id = ${schema.subscriptions.id} and n.status = 'scheduled'))`,
        ),
      )
      .orderBy(asc(schema.subscriptions.id)),
  );
  const totals = { planned: 0, revived: 0, cancelled: 0 };
  for (const { id } of ids) {
    // One transaction per subscription: one bad row does not hold up the others.
    const r = await withSystem(rt, "rights-notices-plan", (tx) => planSubscriptionNotices(tx, id, now)).catch(
      (error: unknown) => {
        console.error(`[kiln] notices: planning subscription ${id} failed`, error);
        return { planned: 0, revived: 0, cancelled: 0 };
      },
    );
    totals.planned += r.planned;
    totals.revived += r.revived;
    totals.cancelled += r.cancelled;
  }
  return totals;
}

const absolute = (appUrl: string, path: string) =>
  new URL(path, appUrl.endsWith("/") ? appUrl : `${appUrl}/`).toString();

/** The values a notice template is filled with. */
async function noticeVars(
  tx: Tx,
  ctx: NoticeContext,
  notice: NoticeRow,
  appUrl: string,
): Promise<{ vars: Record<string, string>; optInTokenHash?: string }> {
  const { terms, language: l, price } = ctx;
  const money = (minor: number) => formatMoney(minor, price.currency.toUpperCase(), l);
  const period = periodText(l, terms.interval, terms.intervalCount);
  const trader = fillTemplate(l, "disclosure.trader", {
    name: terms.trader.name,
    address: terms.trader.address,
    email: terms.trader.email,
  });
  const base = {
    tier: ctx.tierName,
    price: money(price.amountMinor),
    period,
    trader,
    cancelUrl: absolute(appUrl, terms.cancellation.url),
  };
  switch (notice.kind) {
    case "acknowledgment": {
      const firstCharge = ctx.consent.trialEndsAt ?? ctx.consent.consentedAt;
      return {
        vars: {
          ...base,
          tax: fillTemplate(l, price.taxInclusive ? "tax.inclusive" : "tax.exclusive"),
          minimumTerm: terms.minimumTermMonths
            ? fillTemplate(l, "disclosure.minimum-term", { months: terms.minimumTermMonths })
            : fillTemplate(l, "disclosure.minimum-term.none"),
          firstChargeAmount: money(price.amountMinor),
          firstCharge: formatDate(firstCharge, l),
          trialLine: terms.trial
            ? ` ${fillTemplate(l, "disclosure.trial", {
                days: terms.trial.days,
                trialPrice: money(terms.trial.priceMinor),
                price: money(price.amountMinor),
                period,
                firstCharge: formatDate(firstCharge, l),
              })}`
            : "",
          withdrawalInstructionsUrl: absolute(appUrl, terms.withdrawal.instructionsUrl),
          withdrawalFunctionUrl: absolute(appUrl, terms.withdrawal.functionUrl),
          modelForm: terms.withdrawal.right
            ? `\n\n${fillTemplate(l, "notice.acknowledgment.model-form", { trader })}`
            : "",
        },
      };
    }
    case "trial-ending":
      return { vars: { ...base, trialEnd: formatDate(notice.eventAt, l) } };
    case "renewal-reminder":
    case "annual-reminder": {
      // A price change applying at this renewal (and not waiting for an opt-in) is the amount charged.
      const [change] = await tx
        .select()
        .from(schema.priceChanges)
        .where(
          and(
            eq(schema.priceChanges.subscriptionId, ctx.sub.id),
            eq(schema.priceChanges.status, "scheduled"),
            lte(schema.priceChanges.effectiveAt, notice.eventAt),
            sql`(not ${schema.priceChanges.requiresOptIn} or ${schema.priceChanges.optedInAt} is not null)`,
          ),
        );
      return {
        vars: {
          ...base,
          price: change ? money(change.newAmountMinor) : base.price,
          renewalDate: formatDate(notice.eventAt, l),
        },
      };
    }
    case "cooling-off":
      return {
        vars: {
          ...base,
          startDate: formatDate(notice.eventAt, l),
          endDate: formatDate(new Date(notice.eventAt.getTime() + 14 * 86_400_000), l),
        },
      };
    case "price-change": {
      const [change] = notice.priceChangeId
        ? await tx.select().from(schema.priceChanges).where(eq(schema.priceChanges.id, notice.priceChangeId))
        : [];
      if (!change) throw new Error(`price-change notice ${notice.id} has no price change`);
      let optInLine = "";
      let optInTokenHash: string | undefined;
      if (change.requiresOptIn) {
        // The token exists only in this email; the row keeps its hash (price-change.ts acceptPriceChange).
        const token = randomBytes(24).toString("base64url");
        optInTokenHash = sha256(token);
        optInLine = fillTemplate(l, "notice.price-change.opt-in", {
          optInUrl: absolute(appUrl, `/price-changes/${change.id}/accept?token=${token}`),
        });
      }
      return {
        vars: {
          ...base,
          price: money(change.oldAmountMinor),
          newPrice: money(change.newAmountMinor),
          effectiveDate: formatDate(change.effectiveAt, l),
          optInLine,
        },
        optInTokenHash,
      };
    }
  }
}

export interface SendResult {
  sent: string[];
  failed: string[];
  cancelled: string[];
  /** Price-change notices that could no longer go out inside their windows: moved to a later renewal. */
  replanned: string[];
}

/** Past the latest date one of its windows allows (the worker was down, or a retry came too late). */
const isLate = (notice: NoticeRow, now: Date) => notice.windows.some((w) => w.to !== null && new Date(w.to) < now);

/**
 * A price-change notice that can no longer be sent in time moves its change to the first later
 * renewal whose windows still fit (never a new price without a timely notice); if none does, the
 * change and the notice are cancelled. Audited.
 */
async function postponePriceChange(tx: Tx, ctx: NoticeContext, notice: NoticeRow, now: Date) {
  const [change] = notice.priceChangeId
    ? await tx.select().from(schema.priceChanges).where(eq(schema.priceChanges.id, notice.priceChangeId))
    : [];
  if (!change) throw new Error(`price-change notice ${notice.id} has no price change`);
  const next = addInterval(change.effectiveAt, ctx.terms.interval, ctx.terms.intervalCount);
  const result = planPriceChangeDate(applicableWindows(ctx.jurisdiction, ctx.terms, now, "price-change"), {
    conclusion: ctx.consent.consentedAt,
    nextRenewal: ctx.sub.currentPeriodEnd && ctx.sub.currentPeriodEnd > next ? ctx.sub.currentPeriodEnd : next,
    terms: ctx.terms,
    now,
  });
  const late = `the notice could not go out by ${notice.windows
    .filter((w) => w.to !== null && new Date(w.to) < now)
    .map((w) => `${w.to!.slice(0, 10)} (${w.ruleId})`)
    .join(", ")}`;
  if (!result.ok) {
    await cancelNotices(tx, [notice.id], `${late}; ${result.message}`, now);
    await tx
      .update(schema.priceChanges)
      .set({ status: "cancelled", reason: `${late}; ${result.message}`, updatedAt: now })
      .where(and(eq(schema.priceChanges.id, change.id), eq(schema.priceChanges.status, "scheduled")));
  } else {
    await tx
      .update(schema.priceChanges)
      .set({ effectiveAt: result.effectiveAt, updatedAt: now })
      .where(eq(schema.priceChanges.id, change.id));
    await tx
      .update(schema.notices)
      .set({
        eventAt: result.effectiveAt,
        dueAt: result.plan.dueAt,
        windowRuleIds: result.plan.ruleIds,
        windows: windowsRecord(result.plan.windows),
        error: `re-planned: ${late}`,
        updatedAt: now,
      })
      .where(eq(schema.notices.id, notice.id));
  }
  await appendAudit(tx, now, {
    coopId: change.coopId,
    action: result.ok ? "billing.price_change_postponed" : "billing.price_change_cancelled",
    subjectType: "subscription",
    subjectId: change.subscriptionId,
    data: {
      priceChangeId: change.id,
      reason: late,
      ...(result.ok ? { effectiveAt: result.effectiveAt.toISOString() } : { refusal: result.message }),
    },
  });
}

/**
 * Sends due notices: each in its own transaction (lock, render, outbox, mark sent, audit). A notice
 * whose subscription meanwhile ended is cancelled instead; one that cannot be rendered is marked
 * failed with the error (and shows in the reviewer's timeline).
 */
export async function sendDueNotices(rt: Runtime, options: NoticeSweepOptions): Promise<SendResult> {
  const result: SendResult = { sent: [], failed: [], cancelled: [], replanned: [] };
  const limit = options.batchSize ?? 100;
  for (let i = 0; i < limit; i++) {
    const picked = { id: null as string | null };
    const outcome = await withSystem(rt, "rights-notices-send", async (tx) => {
      const [notice] = await tx
        .select()
        .from(schema.notices)
        .where(
          and(
            eq(schema.notices.status, "scheduled"),
            lte(schema.notices.dueAt, sql`kiln_now()`),
            options.coopId ? eq(schema.notices.coopId, options.coopId) : undefined,
            options.subscriptionId ? eq(schema.notices.subscriptionId, options.subscriptionId) : undefined,
          ),
        )
        .orderBy(asc(schema.notices.dueAt), asc(schema.notices.id))
        .limit(1)
        .for("update", { skipLocked: true });
      if (!notice) return null;
      picked.id = notice.id;
      const now = rt.clock.now();
      const ctx = await loadNoticeContext(tx, notice.subscriptionId);
      if (!ctx) throw new Error(`notice ${notice.id}: subscription ${notice.subscriptionId} not found`);
      const ended =
        notice.kind !== "acknowledgment" &&
        (!(RENEWING as readonly string[]).includes(ctx.sub.status) || ctx.sub.cancelAtPeriodEnd);
      if (ended) {
        await cancelNotices(tx, [notice.id], `the subscription is ${ctx.sub.status}`, now);
        return { id: notice.id, outcome: "cancelled" as const };
      }
      if (notice.kind === "price-change" && isLate(notice, now)) {
        await postponePriceChange(tx, ctx, notice, now);
        return { id: notice.id, outcome: "replanned" as const };
      }
      const { vars, optInTokenHash } = await noticeVars(tx, ctx, notice, options.appUrl);
      const templateKind = notice.kind === "annual-reminder" ? "renewal-reminder" : notice.kind;
      const { subject, body } = renderNotice(ctx.language, templateKind, vars);
      const email = await enqueueEmail(tx, {
        to: ctx.user.email,
        subject,
        text: body,
        template: notice.templateId,
        locale: ctx.language,
        coopId: ctx.sub.coopId,
      });
      if (optInTokenHash && notice.priceChangeId)
        await tx
          .update(schema.priceChanges)
          .set({ optInTokenHash, updatedAt: now })
          .where(eq(schema.priceChanges.id, notice.priceChangeId));
      await tx
        .update(schema.notices)
        .set({
          status: "sent",
          sentAt: now,
          outboxEmailId: email.id,
          templateVersion: templateVersion(ctx.language),
          language: ctx.language,
          attempts: sql`${schema.notices.attempts} + 1`,
          updatedAt: now,
        })
        .where(eq(schema.notices.id, notice.id));
      await appendAudit(tx, now, {
        coopId: ctx.sub.coopId,
        action: "rights.notice_sent",
        subjectType: "notice",
        subjectId: notice.id,
        data: {
          kind: notice.kind,
          subscriptionId: notice.subscriptionId,
          dueAt: notice.dueAt.toISOString(),
          windowRuleIds: notice.windowRuleIds,
          template: `${notice.templateId}@${templateVersion(ctx.language)}`,
          language: ctx.language,
          outboxEmailId: email.id,
        },
      });
      return { id: notice.id, outcome: "sent" as const };
    }).catch(async (error: unknown) => {
      // The transaction rolled back; mark that notice failed (in a fresh one) so it stops blocking.
      const id = picked.id;
      if (!id) throw error;
      const message = error instanceof Error ? error.message : String(error);
      await withSystem(rt, "rights-notices-failed", (tx) =>
        tx
          .update(schema.notices)
          .set({
            status: "failed",
            error: message.slice(0, 1000),
            attempts: sql`${schema.notices.attempts} + 1`,
            updatedAt: sql`kiln_now()`,
          })
          .where(and(eq(schema.notices.id, id), eq(schema.notices.status, "scheduled"))),
      );
      return { id, outcome: "failed" as const };
    });
    if (!outcome) break;
    result[outcome.outcome].push(outcome.id);
  }
  return result;
}

/**
 * Right after sign-up (X-A1: the acknowledgment is sent immediately): plans one subscription's notices
 * and sends those already due, without waiting for the minute sweep, which remains the retry path.
 */
export async function sendSubscriptionNoticesNow(
  rt: Runtime,
  subscriptionId: string,
  options: Omit<NoticeSweepOptions, "subscriptionId" | "coopId">,
) {
  await withSystem(rt, "rights-notices-plan-one", (tx) => planSubscriptionNotices(tx, subscriptionId, rt.clock.now()));
  return sendDueNotices(rt, { ...options, subscriptionId });
}

/** The cron job (every minute): plan what is missing, then send what is due. */
export async function runNoticeSweep(rt: Runtime, options: NoticeSweepOptions) {
  const planned = await planAllNotices(rt, { coopId: options.coopId });
  const sent = await sendDueNotices(rt, options);
  return { ...planned, ...sent };
}
