import { timingSafeEqual } from "node:crypto";
import { and, asc, eq, inArray, lte, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { syncTierPrice, type Stripe } from "@kiln/billing";
import {
  applicableWindows,
  planPriceChangeDate,
  requireCreatorOwner,
  templateVersion,
  TermsSchema,
  type ApplicableWindow,
  type Jurisdiction,
  type SendDate,
  type Terms,
} from "@kiln/compliance";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type TenantContext } from "@kiln/db";
import { loadNoticeContext, sha256, TEMPLATE_OF } from "./notices";

/**
 * Price changes (issue 5 item 5; research §5 CA-12, §6 NY-3/NY-4, §4.3 V-3, §8.6):
 * a new approved terms version of a live tier with another price → its Stripe Price (billing's
 * `syncTierPrice`) → for each renewing subscription on an older price, a price change at a renewal
 * with a price-change notice inside every window of the member's pack (at the next renewal; at the
 * following one when the next is too close; refused, with the rule ids, when no date fits) → applied
 * just before that period boundary by `applyDuePriceChanges` (the Stripe item's price, no proration,
 * so the renewal invoice charges the new price). A New York member's increase needs their opt-in
 * (the signed link in the notice, or the account action); without it they keep the old price until
 * they cancel. Every step is audited.
 */

/** Jurisdictions where an increase needs the member's affirmative consent (N.Y. GBL § 527-a(1)(b-1), NY-3). */
export const OPT_IN_JURISDICTIONS: readonly Jurisdiction[] = ["US-NY"];
/** How many renewals ahead a change may be pushed before it is refused. */
/** Applied this long before the boundary, so the renewal invoice Stripe creates at it already charges the new price. */
export const APPLY_LEAD_MS = 2 * 3_600_000;

const RENEWING = ["trialing", "active", "past_due"] as const;

export interface PriceChangeOptions {
  /**
   * Where the windows come from: the rule packs (default). Tests of the refusal inject a rule set
   * whose windows cannot overlap, which the shipped packs never produce (their price-change windows
   * CA 7–30, NY 5–30 and Visa ≥ 7 days always intersect).
   */
  windowsOf?: (jurisdiction: Jurisdiction, terms: Terms, at: Date) => ApplicableWindow[];
}

export interface PlannedPriceChange {
  subscriptionId: string;
  memberUserId: string;
  jurisdiction: Jurisdiction;
  effectiveAt: Date;
  plan: Extract<SendDate, { ok: true }>;
  oldAmountMinor: number;
  newAmountMinor: number;
  requiresOptIn: boolean;
}

/**
 * Announces the tier's new approved price to its members (creator owner). Syncs the Stripe Price,
 * plans every affected subscription first and refuses the whole change (CONFLICT, nothing written)
 * when any member's windows cannot be met; otherwise records each price change with its notice.
 * Idempotent: a subscription already scheduled for this price is left as it is.
 */
export async function schedulePriceChange(
  rt: Runtime,
  stripe: Stripe,
  actor: TenantContext,
  tierId: string,
  options: PriceChangeOptions = {},
) {
  const a = requireCreatorOwner(actor);
  const newPrice = await syncTierPrice(rt, stripe, a, tierId);
  const now = rt.clock.now();
  const windowsOf = options.windowsOf ?? ((j, terms, at) => applicableWindows(j, terms, at, "price-change"));

  const planned = await withSystem(rt, "rights-price-change-plan", async (tx) => {
    const [version] = await tx
      .select()
      .from(schema.termsVersions)
      .where(eq(schema.termsVersions.id, newPrice.termsVersionId));
    const terms = TermsSchema.parse(version!.terms);
    const subs = await tx
      .select({ id: schema.subscriptions.id, oldPrice: schema.tierPrices })
      .from(schema.subscriptions)
      .innerJoin(schema.tierPrices, eq(schema.tierPrices.id, schema.subscriptions.tierPriceId))
      .where(
        and(
          eq(schema.subscriptions.tierId, tierId),
          inArray(schema.subscriptions.status, [...RENEWING]),
          eq(schema.subscriptions.cancelAtPeriodEnd, false),
          ne(schema.subscriptions.tierPriceId, newPrice.id),
          sql`not exists (select 1 from price_changes pc where pc.subscription_id = ${schema.subscriptions.id}
                and pc.to_tier_price_id = ${newPrice.id})`,
        ),
      )
      .orderBy(asc(schema.subscriptions.id));
    const out: PlannedPriceChange[] = [];
    const refusals: string[] = [];
    for (const { id, oldPrice } of subs) {
      if (oldPrice.amountMinor === newPrice.amountMinor && oldPrice.currency === newPrice.currency) continue;
      if (oldPrice.currency !== newPrice.currency || oldPrice.interval !== newPrice.interval)
        throw new AppError(
          "CONFLICT",
          "The new terms change the currency or the billing interval: existing members cannot be moved to them; offer a new tier instead",
        );
      const ctx = (await loadNoticeContext(tx, id))!;
      if (!ctx.sub.currentPeriodEnd) continue;
      const result = planPriceChangeDate(windowsOf(ctx.jurisdiction, terms, now), {
        conclusion: ctx.consent.consentedAt,
        nextRenewal: ctx.sub.currentPeriodEnd,
        terms,
        now,
      });
      if (!result.ok) {
        refusals.push(
          `${ctx.jurisdiction} member (subscription ${id}): ${result.message} [${result.ruleIds.join(", ")}]`,
        );
        continue;
      }
      out.push({
        subscriptionId: id,
        memberUserId: ctx.sub.memberUserId,
        jurisdiction: ctx.jurisdiction,
        effectiveAt: result.effectiveAt,
        plan: result.plan,
        oldAmountMinor: oldPrice.amountMinor,
        newAmountMinor: newPrice.amountMinor,
        requiresOptIn: OPT_IN_JURISDICTIONS.includes(ctx.jurisdiction) && newPrice.amountMinor > oldPrice.amountMinor,
      });
    }
    return { out, refusals, oldPriceIds: new Map(subs.map((s) => [s.id, s.oldPrice.id])) };
  });

  if (planned.refusals.length) {
    await withSystem(rt, "rights-price-change-refused", (tx) =>
      appendAudit(tx, now, {
        coopId: newPrice.coopId,
        action: "billing.price_change_refused",
        actorUserId: a.userId,
        subjectType: "subscription_tier",
        subjectId: tierId,
        data: { tierPriceId: newPrice.id, refusals: planned.refusals },
      }),
    );
    throw new AppError(
      "CONFLICT",
      `The price change cannot be announced inside the legal notice windows, so it is refused:\n${planned.refusals.join("\n")}`,
    );
  }

  return withSystem(rt, "rights-price-change-schedule", async (tx) => {
    const scheduled = [];
    for (const p of planned.out) {
      // A newer price replaces an announced one that has not applied yet.
      const superseded = await tx
        .update(schema.priceChanges)
        .set({ status: "cancelled", reason: "superseded by a newer price change", updatedAt: now })
        .where(
          and(eq(schema.priceChanges.subscriptionId, p.subscriptionId), eq(schema.priceChanges.status, "scheduled")),
        )
        .returning({ id: schema.priceChanges.id });
      if (superseded.length)
        await tx
          .update(schema.notices)
          .set({ status: "cancelled", error: "cancelled: superseded by a newer price change", updatedAt: now })
          .where(
            and(
              inArray(
                schema.notices.priceChangeId,
                superseded.map((s) => s.id),
              ),
              eq(schema.notices.status, "scheduled"),
            ),
          );
      const [change] = await tx
        .insert(schema.priceChanges)
        .values({
          coopId: newPrice.coopId,
          creatorId: newPrice.creatorId,
          memberUserId: p.memberUserId,
          subscriptionId: p.subscriptionId,
          tierId,
          termsVersionId: newPrice.termsVersionId,
          fromTierPriceId: planned.oldPriceIds.get(p.subscriptionId)!,
          toTierPriceId: newPrice.id,
          currency: newPrice.currency,
          oldAmountMinor: p.oldAmountMinor,
          newAmountMinor: p.newAmountMinor,
          effectiveAt: p.effectiveAt,
          jurisdiction: p.jurisdiction,
          requiresOptIn: p.requiresOptIn,
        })
        .onConflictDoNothing()
        .returning();
      if (!change) continue;
      const ctx = (await loadNoticeContext(tx, p.subscriptionId))!;
      const [notice] = await tx
        .insert(schema.notices)
        .values({
          coopId: change.coopId,
          creatorId: change.creatorId,
          memberUserId: change.memberUserId,
          subscriptionId: change.subscriptionId,
          kind: "price-change",
          periodKey: change.id,
          eventAt: change.effectiveAt,
          dueAt: p.plan.dueAt,
          windowRuleIds: p.plan.ruleIds,
          windows: p.plan.windows.map((w) => ({
            ruleId: w.ruleId,
            event: w.event,
            eventAt: w.eventAt.toISOString(),
            from: w.from?.toISOString() ?? null,
            to: w.to?.toISOString() ?? null,
          })),
          jurisdiction: p.jurisdiction,
          templateId: TEMPLATE_OF["price-change"],
          templateVersion: templateVersion(ctx.language),
          language: ctx.language,
          priceChangeId: change.id,
        })
        .returning();
      await appendAudit(tx, now, {
        coopId: change.coopId,
        action: "billing.price_change_scheduled",
        actorUserId: a.userId,
        subjectType: "subscription",
        subjectId: change.subscriptionId,
        data: {
          priceChangeId: change.id,
          fromTierPriceId: change.fromTierPriceId,
          toTierPriceId: change.toTierPriceId,
          oldAmountMinor: change.oldAmountMinor,
          newAmountMinor: change.newAmountMinor,
          currency: change.currency,
          effectiveAt: change.effectiveAt.toISOString(),
          noticeDueAt: notice!.dueAt.toISOString(),
          windowRuleIds: notice!.windowRuleIds,
          requiresOptIn: change.requiresOptIn,
        },
      });
      scheduled.push({ priceChange: change, notice: notice! });
    }
    return { tierPrice: newPrice, scheduled };
  });
}

export const AcceptPriceChangeSchema = z.object({
  priceChangeId: z.uuid(),
  token: z.string().min(20).max(200),
});

async function optIn(
  rt: Runtime,
  priceChangeId: string,
  check: (row: typeof schema.priceChanges.$inferSelect) => boolean,
  via: string,
) {
  const now = rt.clock.now();
  return withSystem(rt, "rights-price-change-opt-in", async (tx) => {
    const [row] = await tx
      .select()
      .from(schema.priceChanges)
      .where(eq(schema.priceChanges.id, priceChangeId))
      .for("update");
    // One answer for unknown, foreign and wrong-token requests.
    if (!row || !check(row)) throw new AppError("NOT_FOUND", "This link is not valid");
    if (!row.requiresOptIn || row.optedInAt) return row;
    if (row.status !== "scheduled")
      throw new AppError("CONFLICT", "This price change is no longer open: it was applied, kept or cancelled");
    const [updated] = await tx
      .update(schema.priceChanges)
      .set({ optedInAt: now, updatedAt: now })
      .where(eq(schema.priceChanges.id, row.id))
      .returning();
    await appendAudit(tx, now, {
      coopId: row.coopId,
      action: "billing.price_change_opted_in",
      actorUserId: row.memberUserId,
      subjectType: "subscription",
      subjectId: row.subscriptionId,
      data: { priceChangeId: row.id, newAmountMinor: row.newAmountMinor, currency: row.currency, via },
    });
    return updated!;
  });
}

/** The opt-in link in a New York member's price-change notice (works logged out; token checked by hash). */
export async function acceptPriceChange(rt: Runtime, input: z.input<typeof AcceptPriceChangeSchema>) {
  const parsed = AcceptPriceChangeSchema.safeParse(input);
  if (!parsed.success) throw new AppError("NOT_FOUND", "This link is not valid");
  const { priceChangeId, token } = parsed.data;
  const given = Buffer.from(sha256(token), "hex");
  return optIn(
    rt,
    priceChangeId,
    (row) => row.optInTokenHash !== null && timingSafeEqual(Buffer.from(row.optInTokenHash, "hex"), given),
    "link",
  );
}

/** The same opt-in from the signed-in member's account. */
export async function acceptPriceChangeAsMember(rt: Runtime, actor: TenantContext, priceChangeId: string) {
  if (!actor.userId) throw new AppError("UNAUTHENTICATED", "Sign in to accept the new price");
  if (!z.uuid().safeParse(priceChangeId).success) throw new AppError("NOT_FOUND", "Not found");
  return optIn(rt, priceChangeId, (row) => row.memberUserId === actor.userId, "account");
}

/**
 * The price-change job: each scheduled change whose boundary is within APPLY_LEAD_MS is applied on
 * Stripe (item price, proration none, idempotency key per change) and recorded, or kept at the old
 * price (New York increase without opt-in), or cancelled (the subscription ended or changed tier).
 * A Stripe failure leaves the change scheduled for the next run.
 */
export async function applyDuePriceChanges(rt: Runtime, stripe: Stripe, options: { coopId?: string } = {}) {
  const now = rt.clock.now();
  const due = await withSystem(rt, "rights-price-change-due", (tx) =>
    tx
      .select()
      .from(schema.priceChanges)
      .where(
        and(
          eq(schema.priceChanges.status, "scheduled"),
          lte(schema.priceChanges.effectiveAt, new Date(now.getTime() + APPLY_LEAD_MS)),
          options.coopId ? eq(schema.priceChanges.coopId, options.coopId) : undefined,
        ),
      )
      .orderBy(asc(schema.priceChanges.effectiveAt), asc(schema.priceChanges.id)),
  );
  const result = { applied: [] as string[], kept: [] as string[], cancelled: [] as string[], failed: [] as string[] };
  for (const change of due) {
    try {
      const decision = await withSystem(rt, "rights-price-change-check", async (tx) => {
        const [sub] = await tx
          .select()
          .from(schema.subscriptions)
          .where(eq(schema.subscriptions.id, change.subscriptionId));
        const [to] = await tx.select().from(schema.tierPrices).where(eq(schema.tierPrices.id, change.toTierPriceId));
        const [notice] = await tx
          .select({ status: schema.notices.status })
          .from(schema.notices)
          .where(eq(schema.notices.priceChangeId, change.id));
        const reason = !sub
          ? "the subscription is gone"
          : sub.cancelAtPeriodEnd || !(RENEWING as readonly string[]).includes(sub.status)
            ? `the subscription is ${sub.cancelAtPeriodEnd ? "ending" : sub.status}`
            : sub.tierPriceId !== change.fromTierPriceId || sub.scheduledTierPriceId
              ? "the subscription changed tier or price"
              : // Never a new price without its notice having gone out inside the windows.
                notice?.status !== "sent"
                ? `its notice was not sent (${notice?.status ?? "missing"})`
                : null;
        const close = async (status: "cancelled" | "kept_old_price", why: string) => {
          await tx
            .update(schema.priceChanges)
            .set({ status, reason: why, updatedAt: now })
            .where(and(eq(schema.priceChanges.id, change.id), eq(schema.priceChanges.status, "scheduled")));
          await appendAudit(tx, now, {
            coopId: change.coopId,
            action: status === "cancelled" ? "billing.price_change_cancelled" : "billing.price_change_kept_old_price",
            subjectType: "subscription",
            subjectId: change.subscriptionId,
            data: { priceChangeId: change.id, reason: why },
          });
          return { action: status } as const;
        };
        if (reason) return close("cancelled", reason);
        if (change.requiresOptIn && !change.optedInAt)
          return close(
            "kept_old_price",
            "N.Y. GBL § 527-a(1)(b-1): the member did not agree to the increase; they keep the current price until they cancel",
          );
        return { action: "apply" as const, sub: sub!, to: to! };
      });
      if (decision.action !== "apply") {
        (decision.action === "cancelled" ? result.cancelled : result.kept).push(change.id);
        continue;
      }
      const { sub, to } = decision;
      const remote = await stripe.subscriptions.retrieve(
        sub.stripeSubscriptionId,
        {},
        { stripeAccount: sub.stripeAccountId },
      );
      const item = remote.items.data[0];
      if (!item) throw new Error(`Stripe subscription ${sub.stripeSubscriptionId} has no item`);
      if (item.price.id !== to.stripePriceId)
        await stripe.subscriptions.update(
          sub.stripeSubscriptionId,
          { items: [{ id: item.id, price: to.stripePriceId }], proration_behavior: "none" },
          { stripeAccount: sub.stripeAccountId, idempotencyKey: `kiln-price-change-${change.id}` },
        );
      await withSystem(rt, "rights-price-change-applied", async (tx) => {
        const [applied] = await tx
          .update(schema.priceChanges)
          .set({ status: "applied", appliedAt: now, updatedAt: now })
          .where(and(eq(schema.priceChanges.id, change.id), eq(schema.priceChanges.status, "scheduled")))
          .returning();
        if (!applied) return;
        await tx
          .update(schema.subscriptions)
          .set({ tierPriceId: to.id, updatedAt: now })
          .where(
            and(eq(schema.subscriptions.id, sub.id), eq(schema.subscriptions.tierPriceId, change.fromTierPriceId)),
          );
        await appendAudit(tx, now, {
          coopId: change.coopId,
          action: "billing.price_change_applied",
          subjectType: "subscription",
          subjectId: change.subscriptionId,
          data: {
            priceChangeId: change.id,
            stripePriceId: to.stripePriceId,
            newAmountMinor: change.newAmountMinor,
            currency: change.currency,
            effectiveAt: change.effectiveAt.toISOString(),
            optedInAt: change.optedInAt?.toISOString() ?? null,
          },
        });
      });
      result.applied.push(change.id);
    } catch (error) {
      console.error(
        `[kiln] price change ${change.id} could not be applied`,
        error instanceof Error ? error.message : error,
      );
      result.failed.push(change.id);
    }
  }
  return result;
}
