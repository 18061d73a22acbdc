import { and, asc, eq, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError, isAppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { checkGate, claimInTx, entitledTiers, type MemberContext } from "./claims";
import { notifyMember } from "./notify";

/**
 * Waitlists (issue 8 §5). A member joins a sold-out drop's waitlist (only if they could claim it:
 * same gate); when a unit comes back — a hold expired or was let go — the hold-expiry job offers it to
 * the first member waiting, as a claim with the drop's own hold, and tells them through the outbox.
 * An offer that cannot be made (limit reached, no longer entitled, drop closed) lapses and the next
 * member is tried; an offered claim that expires releases its unit to the next in line the same way.
 */

export type WaitlistEntry = typeof schema.dropWaitlist.$inferSelect;

/** Joins a sold-out drop's waitlist; joining twice returns the same entry. CONFLICT while units remain. */
export async function joinWaitlist(rt: Runtime, member: MemberContext, dropId: string): Promise<WaitlistEntry> {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to join the waitlist");
  return withSystem(rt, "drops-waitlist-join", async (tx) => {
    const [found] = await tx
      .select({ drop: schema.drops })
      .from(schema.drops)
      .innerJoin(schema.creators, eq(schema.creators.id, schema.drops.creatorId))
      .where(
        and(eq(schema.drops.id, dropId), eq(schema.drops.isPublished, true), eq(schema.creators.isPublished, true)),
      );
    if (!found) throw new AppError("NOT_FOUND", "Drop not found");
    const drop = found.drop;
    const now = rt.clock.now();
    checkGate(drop, await entitledTiers(tx, member.userId, [...drop.tierIds, ...drop.earlyAccessTierIds], now), now);
    const [left] = await tx.execute<{ remaining: number }>(
      sql`select coalesce(sum(remaining), 0)::int as remaining from drop_stock where drop_id = ${drop.id}`,
    );
    const [existing] = await tx
      .select()
      .from(schema.dropWaitlist)
      .where(
        and(
          eq(schema.dropWaitlist.dropId, drop.id),
          eq(schema.dropWaitlist.memberUserId, member.userId),
          eq(schema.dropWaitlist.status, "waiting"),
        ),
      );
    if (existing) return existing;
    if ((left?.remaining ?? 0) > 0) throw new AppError("CONFLICT", "Units are still available: claim one");
    const [row] = await tx
      .insert(schema.dropWaitlist)
      .values({ coopId: drop.coopId, creatorId: drop.creatorId, dropId: drop.id, memberUserId: member.userId })
      .onConflictDoNothing()
      .returning();
    if (row) return row;
    // A concurrent join of the same member won: return theirs.
    const [theirs] = await tx
      .select()
      .from(schema.dropWaitlist)
      .where(
        and(
          eq(schema.dropWaitlist.dropId, drop.id),
          eq(schema.dropWaitlist.memberUserId, member.userId),
          eq(schema.dropWaitlist.status, "waiting"),
        ),
      );
    return theirs!;
  });
}

/** The member's place in the drop's waitlist (1 = next), or null when not waiting. */
export async function waitlistPosition(rt: Runtime, member: MemberContext, dropId: string): Promise<number | null> {
  return withSystem(rt, "drops-waitlist-position", async (tx) => {
    const [row] = await tx.execute<{ position: number }>(sql`
      with mine as (
        select created_at, id from drop_waitlist
        where drop_id = ${dropId} and member_user_id = ${member.userId} and status = 'waiting')
      select count(*)::int as position from drop_waitlist w, mine
      where w.drop_id = ${dropId} and w.status = 'waiting' and (w.created_at, w.id) <= (mine.created_at, mine.id)`);
    return row && row.position > 0 ? row.position : null;
  });
}

/** Leaves the waitlist (a no-op when not waiting). */
export async function leaveWaitlist(rt: Runtime, member: MemberContext, dropId: string): Promise<void> {
  await withSystem(rt, "drops-waitlist-leave", (tx) =>
    tx
      .update(schema.dropWaitlist)
      .set({ status: "left", updatedAt: sql`kiln_now()` })
      .where(
        and(
          eq(schema.dropWaitlist.dropId, dropId),
          eq(schema.dropWaitlist.memberUserId, member.userId),
          eq(schema.dropWaitlist.status, "waiting"),
        ),
      ),
  );
}

type OfferOutcome = "offered" | "lapsed" | "none";

/**
 * Offers units that came back to the first members waiting (the hold-expiry job). Each offer is its
 * own transaction: the entry is locked, the claim made with the ordinary claim path (gate, member
 * limit, stock) inside a savepoint, the entry marked and the member told. `appUrl` makes the link in
 * the notice absolute.
 */
export async function offerWaitlist(rt: Runtime, options: { dropIds?: string[]; appUrl?: string } = {}) {
  if (options.dropIds && options.dropIds.length === 0) return { offered: 0, lapsed: 0 };
  const candidates = await withSystem(rt, "drops-waitlist-candidates", (tx) =>
    tx.execute<{ drop_id: string }>(sql`
      select distinct w.drop_id from drop_waitlist w
      where w.status = 'waiting'
        and exists (select 1 from drop_stock s where s.drop_id = w.drop_id and s.remaining > 0)
        ${
          options.dropIds
            ? sql`and w.drop_id in (${sql.join(
                options.dropIds.map((id) => sql`${id}`),
                sql`, `,
              )})`
            : sql``
        }`),
  );
  let offered = 0;
  let lapsed = 0;
  for (const { drop_id: dropId } of candidates) {
    for (let round = 0; round < 1000; round++) {
      const outcome = await withSystem(rt, "drops-waitlist-offer", (tx) => offerNext(tx, rt, dropId, options.appUrl));
      if (outcome === "none") break;
      if (outcome === "offered") offered++;
      else lapsed++;
    }
  }
  return { offered, lapsed };
}

async function offerNext(tx: Tx, rt: Runtime, dropId: string, appUrl: string | undefined): Promise<OfferOutcome> {
  const [entry] = await tx
    .select()
    .from(schema.dropWaitlist)
    .where(and(eq(schema.dropWaitlist.dropId, dropId), eq(schema.dropWaitlist.status, "waiting")))
    .orderBy(asc(schema.dropWaitlist.createdAt), asc(schema.dropWaitlist.id))
    .limit(1)
    .for("update", { skipLocked: true });
  if (!entry) return "none";
  const now = rt.clock.now();
  let claim;
  try {
    claim = await tx.transaction((sp) =>
      claimInTx(sp, now, entry.memberUserId, { dropId, quantity: 1, idempotencyKey: `waitlist-${entry.id}` }),
    );
  } catch (error) {
    if (!isAppError(error)) throw error;
    if (error.code === "SOLD_OUT") return "none";
    await tx
      .update(schema.dropWaitlist)
      .set({ status: "lapsed", updatedAt: sql`kiln_now()` })
      .where(eq(schema.dropWaitlist.id, entry.id));
    return "lapsed";
  }
  await tx
    .update(schema.dropWaitlist)
    .set({ status: "offered", claimId: claim.id, offeredAt: sql`kiln_now()`, updatedAt: sql`kiln_now()` })
    .where(eq(schema.dropWaitlist.id, entry.id));
  const [info] = await tx
    .select({ title: schema.drops.title, slug: schema.creators.slug, locale: schema.users.locale })
    .from(schema.drops)
    .innerJoin(schema.creators, eq(schema.creators.id, schema.drops.creatorId))
    .innerJoin(schema.users, eq(schema.users.id, entry.memberUserId))
    .where(eq(schema.drops.id, dropId));
  const locale = info?.locale === "de" ? "de" : "en";
  const link = `${appUrl ?? ""}/s/${info?.slug ?? ""}/drops/claims/${claim.id}`;
  const until = new Intl.DateTimeFormat(locale === "de" ? "de-DE" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(claim.expiresAt);
  await notifyMember(tx, entry.memberUserId, entry.coopId, locale, {
    template: "drops-waitlist-offer",
    subject:
      locale === "de" ? `Ein Stück von ${info?.title} ist für Sie reserviert` : `A unit of ${info?.title} is yours`,
    text:
      locale === "de"
        ? `Ein Stück von ${info?.title} ist wieder frei und für Sie bis ${until} (UTC) reserviert. Bestellen: ${link}`
        : `A unit of ${info?.title} came back and is held for you until ${until} (UTC). Order it here: ${link}`,
  });
  await appendAudit(tx, now, {
    coopId: entry.coopId,
    action: "drops.waitlist.offered",
    subjectType: "drop_claim",
    subjectId: claim.id,
    data: { dropId, waitlistEntryId: entry.id, memberUserId: entry.memberUserId },
  });
  return "offered";
}
