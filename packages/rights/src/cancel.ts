import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { cancelSubscriptionOnStripe, type CancelWhen, type Stripe } from "@kiln/billing";
import { formatDate, renderNotice, type Locale } from "@kiln/compliance";
import { schema, withSystem, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";
import { startOfLocalDay } from "./deadline";
import { badInput } from "./errors";
import { receiptHash, receiptToken } from "./receipt";
import { rightsText } from "./texts";

/**
 * The cancel button (§ 312k BGB; checklist X-X1…X-X7): ONE page, reachable logged out from every
 * page where signing up is possible, asking only for the type of termination (+ reason when
 * extraordinary), identity (name + e-mail), the contract, the end date and the e-mail for the
 * confirmation. Every declaration received is recorded, whatever it matches; the answer is the same
 * whether or not the e-mail or contract exist, and the confirmation goes only to the address on
 * file of a matching member. The name is recorded, not matched (people write their names in many ways).
 */

/** Statuses that can still be ended (a canceled subscription is over). */
const CANCELLABLE = ["incomplete", "trialing", "active", "past_due", "paused", "unpaid"] as const;

const optionalText = (max: number, message: string) =>
  z
    .string()
    .trim()
    .max(max, message)
    .optional()
    .transform((v) => (v ? v : undefined));

export const CancelFormSchema = z
  .object({
    type: z.enum(["ordinary", "extraordinary"], "Choose ordinary or extraordinary termination"),
    reason: optionalText(2000, "Use at most 2000 characters for the reason"),
    name: z.string().trim().min(1, "Enter your name").max(200, "Use at most 200 characters for your name"),
    email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address, like name@example.com").max(254)),
    /** A contract number (Kiln's subscription id or Stripe's sub_…); empty = all my contracts (with the creator). */
    contract: optionalText(100, "Use at most 100 characters for the contract number"),
    end_date: z
      .union([z.literal(""), z.iso.date("Enter the end date as a date, like 2026-12-31")])
      .optional()
      .transform((v) => (v ? v : undefined)),
    /** Hidden: the storefront the member came from (/cancel?creator=slug). */
    creator: optionalText(100, "Unknown creator"),
    /** Hidden: one key per form shown, so a double submit is one declaration. */
    submission: z.string().regex(/^[A-Za-z0-9_-]{16,100}$/, "The form expired: reload the page and submit again"),
    locale: z.enum(["en", "de"]).default("en"),
  })
  .refine((v) => v.type === "ordinary" || !!v.reason, {
    path: ["reason"],
    message: "Give the reason for an extraordinary termination",
  });
export type CancelFormInput = z.input<typeof CancelFormSchema>;

/** What the success page shows: identical for a matched and an unmatched declaration. */
export interface DeclarationReceipt {
  declarationId: string;
  receivedAt: Date;
  statement: string;
  receiptToken: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function cancelStatement(
  input: z.output<typeof CancelFormSchema>,
  locale: Locale,
  receivedAt: Date,
  creatorName: string | null,
) {
  const t = (k: Parameters<typeof rightsText>[1], v?: Record<string, string>) => rightsText(locale, k, v);
  const contract =
    input.contract ?? (creatorName ? t("allContractsWith", { creator: creatorName }) : t("allContracts"));
  return [
    t("cancelTitle"),
    `${t("type")}: ${t(input.type)}`,
    ...(input.reason ? [`${t("reason")}: ${input.reason}`] : []),
    `${t("name")}: ${input.name}`,
    `${t("email")}: ${input.email}`,
    `${t("contract")}: ${contract}`,
    `${t("endDate")}: ${input.end_date ?? t("earliest")}`,
    `${t("received")}: ${receivedAt.toISOString()}`,
  ].join("\n");
}

type Matched = {
  sub: typeof schema.subscriptions.$inferSelect;
  email: string;
  tierName: string;
  creatorName: string;
  timezone: string;
};

async function findContracts(tx: Tx, input: z.output<typeof CancelFormSchema>, creatorId: string | null) {
  const ref = input.contract;
  if (ref && !UUID.test(ref) && !/^sub_[A-Za-z0-9]+$/.test(ref)) return [];
  const rows = await tx
    .select({
      sub: schema.subscriptions,
      email: schema.users.email,
      tierName: schema.subscriptionTiers.name,
      creatorName: schema.creators.displayName,
      timezone: schema.coops.timezone,
    })
    .from(schema.subscriptions)
    .innerJoin(schema.users, eq(schema.users.id, schema.subscriptions.memberUserId))
    .innerJoin(schema.subscriptionTiers, eq(schema.subscriptionTiers.id, schema.subscriptions.tierId))
    .innerJoin(schema.creators, eq(schema.creators.id, schema.subscriptions.creatorId))
    .innerJoin(schema.coops, eq(schema.coops.id, schema.subscriptions.coopId))
    .where(
      and(
        eq(schema.users.email, input.email),
        inArray(schema.subscriptions.status, [...CANCELLABLE]),
        creatorId ? eq(schema.subscriptions.creatorId, creatorId) : undefined,
        ref
          ? UUID.test(ref)
            ? eq(schema.subscriptions.id, ref.toLowerCase())
            : eq(schema.subscriptions.stripeSubscriptionId, ref)
          : undefined,
      ),
    );
  return rows satisfies Matched[];
}

/** When a matched contract ends, and how Stripe is told (DE-9: no date → the earliest possible). */
function endOf(m: Matched, input: z.output<typeof CancelFormSchema>, now: Date): { endsAt: Date; when: CancelWhen } {
  const requested = input.end_date
    ? (() => {
        const [y, mo, d] = input.end_date.split("-").map(Number);
        // The whole requested day counts: the contract ends at 24:00 of it in the co-op's zone.
        return startOfLocalDay({ y: y!, m: mo!, d: d! + 1 }, m.timezone);
      })()
    : null;
  if (input.type === "extraordinary") {
    return requested && requested > now
      ? { endsAt: requested, when: { mode: "at", at: requested } }
      : { endsAt: now, when: { mode: "now" } };
  }
  const earliest = m.sub.currentPeriodEnd ?? now;
  if (requested && requested > earliest) return { endsAt: requested, when: { mode: "at", at: requested } };
  return { endsAt: earliest, when: { mode: "period_end" } };
}

export interface SubmitOptions {
  /** Server secret for the receipt link's MAC (the app passes its cookie secret). */
  receiptKey: string;
  /** The signed-in member, if any (recorded as the actor). */
  actor?: TenantContext;
}

/**
 * Records a cancellation declaration and queues the confirmation (in one transaction), then ends the
 * matched contracts on Stripe. Returns the same kind of receipt whatever matched. A second submit of
 * the same form (same `submission`) returns the first declaration and changes nothing.
 */
export async function submitCancellation(
  rt: Runtime,
  stripe: Stripe,
  raw: CancelFormInput,
  options: SubmitOptions,
): Promise<DeclarationReceipt> {
  const recorded = await recordCancellation(rt, raw, options);
  await applyCancellation(rt, stripe, recorded.declarationId);
  return recorded;
}

/** Step 1 of submitCancellation: parse, match, record, audit, queue the confirmation e-mail. */
export async function recordCancellation(
  rt: Runtime,
  raw: CancelFormInput,
  options: SubmitOptions,
): Promise<DeclarationReceipt> {
  const parsed = CancelFormSchema.safeParse(raw);
  if (!parsed.success) throw badInput(parsed.error);
  const input = parsed.data;
  const locale = input.locale;
  return withSystem(rt, "rights-cancellation", async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`kiln-cancel:${input.submission}`}, 0))`);
    const [previous] = await tx
      .select()
      .from(schema.cancellations)
      .where(eq(schema.cancellations.submissionKey, input.submission))
      .limit(1);
    if (previous)
      return {
        declarationId: previous.declarationId,
        receivedAt: previous.receivedAt,
        statement: previous.statement,
        receiptToken: receiptToken(options.receiptKey, "cancellation", previous.declarationId),
      };

    const receivedAt = rt.clock.now();
    const [creator] = input.creator
      ? await tx.select().from(schema.creators).where(eq(schema.creators.slug, input.creator))
      : [];
    const matched = await findContracts(tx, input, creator?.id ?? null);
    const statement = cancelStatement(input, locale, receivedAt, creator?.displayName ?? null);
    const declarationId = randomUUID();
    const token = receiptToken(options.receiptKey, "cancellation", declarationId);
    const base = {
      declarationId,
      submissionKey: input.submission,
      kind: input.type,
      reason: input.reason ?? null,
      name: input.name,
      email: input.email,
      contractRef: input.contract ?? null,
      creatorSlug: input.creator ?? null,
      requestedEndDate: input.end_date ?? null,
      statement,
      locale,
      receivedAt,
      receiptHash: receiptHash(token),
    };
    const actorUserId = options.actor?.userId ?? null;

    if (matched.length === 0) {
      // Recorded all the same; audited in the creator's co-op when the form came from a storefront.
      const [row] = await tx
        .insert(schema.cancellations)
        .values({ ...base, coopId: creator?.coopId ?? null, creatorId: creator?.id ?? null })
        .returning();
      if (creator)
        await appendAudit(tx, receivedAt, {
          coopId: creator.coopId,
          action: "rights.cancellation_unmatched",
          actorUserId,
          subjectType: "cancellation",
          subjectId: row!.id,
          data: { declarationId, kind: input.type },
          personalData: { name: input.name, email: input.email, contract: input.contract ?? null },
        });
      return { declarationId, receivedAt, statement, receiptToken: token };
    }

    for (const m of matched) {
      const { endsAt } = endOf(m, input, receivedAt);
      const [row] = await tx
        .insert(schema.cancellations)
        .values({
          ...base,
          coopId: m.sub.coopId,
          creatorId: m.sub.creatorId,
          memberUserId: m.sub.memberUserId,
          subscriptionId: m.sub.id,
          endsAt,
          confirmationSentAt: receivedAt,
        })
        .returning();
      const notice = renderNotice(locale, "cancellation", {
        tier: m.tierName,
        receivedAt: `${receivedAt.toISOString()} (UTC)`,
        statement: `\n${statement}\n`,
        endDate: formatDate(endsAt, locale),
        trader: m.creatorName,
      });
      // To the address on file, never the one typed (they are equal here, but the rule is the rule).
      await enqueueEmail(tx, {
        to: m.email,
        subject: notice.subject,
        text: notice.body,
        template: "rights-cancellation",
        locale,
        coopId: m.sub.coopId,
      });
      await appendAudit(tx, receivedAt, {
        coopId: m.sub.coopId,
        action: "rights.cancellation_received",
        actorUserId,
        subjectType: "subscription",
        subjectId: m.sub.id,
        subjectUserId: m.sub.memberUserId,
        data: { cancellationId: row!.id, declarationId, kind: input.type, endsAt: endsAt.toISOString() },
        personalData: { name: input.name, email: input.email, reason: input.reason ?? null },
      });
    }
    return { declarationId, receivedAt, statement, receiptToken: token };
  });
}

/**
 * Step 2: ends each matched contract of a declaration on Stripe (through billing) and marks the row.
 * Safe to repeat: rows already applied are skipped, and billing treats an ended subscription as done.
 * `applyPendingCancellations` retries rows a crash left behind.
 */
export async function applyCancellation(rt: Runtime, stripe: Stripe, declarationId: string): Promise<number> {
  const rows = await withSystem(rt, "rights-cancellation-apply", (tx) =>
    tx
      .select({ c: schema.cancellations, sub: schema.subscriptions })
      .from(schema.cancellations)
      .innerJoin(schema.subscriptions, eq(schema.subscriptions.id, schema.cancellations.subscriptionId))
      .where(and(eq(schema.cancellations.declarationId, declarationId), isNull(schema.cancellations.stripeAppliedAt))),
  );
  let applied = 0;
  for (const { c, sub } of rows) {
    const endsAt = c.endsAt ?? c.receivedAt;
    const when: CancelWhen =
      c.kind === "extraordinary" && endsAt <= c.receivedAt
        ? { mode: "now" }
        : c.kind === "ordinary" && (!sub.currentPeriodEnd || endsAt <= sub.currentPeriodEnd)
          ? { mode: "period_end" }
          : { mode: "at", at: endsAt };
    const after = await cancelSubscriptionOnStripe(rt, stripe, sub.id, when);
    await withSystem(rt, "rights-cancellation-apply", async (tx) => {
      const [marked] = await tx
        .update(schema.cancellations)
        .set({ stripeAppliedAt: sql`kiln_now()` })
        .where(and(eq(schema.cancellations.id, c.id), isNull(schema.cancellations.stripeAppliedAt)))
        .returning();
      if (!marked) return;
      applied++;
      await appendAudit(tx, rt.clock.now(), {
        coopId: sub.coopId,
        action: "rights.cancellation_applied",
        subjectType: "subscription",
        subjectId: sub.id,
        data: {
          cancellationId: c.id,
          mode: when.mode,
          status: after.status,
          cancelAtPeriodEnd: after.cancelAtPeriodEnd,
        },
      });
    });
  }
  return applied;
}

/** Retries the Stripe step of declarations recorded but not applied (a crash, Stripe down). */
export async function applyPendingCancellations(rt: Runtime, stripe: Stripe): Promise<number> {
  const pending = await withSystem(rt, "rights-cancellation-sweep", (tx) =>
    tx
      .selectDistinct({ id: schema.cancellations.declarationId })
      .from(schema.cancellations)
      .where(and(isNull(schema.cancellations.stripeAppliedAt), isNotNull(schema.cancellations.subscriptionId))),
  );
  let n = 0;
  for (const p of pending) n += await applyCancellation(rt, stripe, p.id);
  return n;
}

/**
 * What the cancel page shows before anything is typed: the storefront's creator (public: slug and
 * name) when the member came from one, and — only for a signed-in member and only their own
 * subscription — the name, e-mail and contract filled in, so cancelling from the account takes two
 * actions (the account's "Cancel" and "Cancel now").
 */
export async function cancelPageContext(
  rt: Runtime,
  input: { creatorSlug?: string | null; subscriptionId?: string | null; actor?: TenantContext },
) {
  return withSystem(rt, "rights-cancel-page", async (tx) => {
    const slug = input.creatorSlug && /^[a-z0-9-]{1,100}$/.test(input.creatorSlug) ? input.creatorSlug : null;
    const [creator] = slug
      ? await tx
          .select({ id: schema.creators.id, slug: schema.creators.slug, displayName: schema.creators.displayName })
          .from(schema.creators)
          .where(eq(schema.creators.slug, slug))
      : [];
    let prefill: { name: string; email: string; contract?: string } | null = null;
    const userId = input.actor?.userId;
    if (userId) {
      const [user] = await tx.select().from(schema.users).where(eq(schema.users.id, userId));
      if (user) prefill = { name: user.displayName, email: user.email };
      if (user && input.subscriptionId && UUID.test(input.subscriptionId)) {
        const [own] = await tx
          .select({ id: schema.subscriptions.id })
          .from(schema.subscriptions)
          .where(and(eq(schema.subscriptions.id, input.subscriptionId), eq(schema.subscriptions.memberUserId, userId)));
        if (own) prefill = { name: user.displayName, email: user.email, contract: own.id };
      }
    }
    return { creator: creator ? { slug: creator.slug, displayName: creator.displayName } : null, prefill };
  });
}
