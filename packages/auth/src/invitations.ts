import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withSystem, type RoleName, type Runtime, type Tx } from "@kiln/db";
import { appLink, sendAccountEmail } from "./emails";
import { InvitationSchema } from "./schemas";
import type { LinkOptions } from "./sign-up";
import { addMs, DAY_MS, generateRandomToken, hashToken } from "./tokens";
import { parseInput } from "./validate";

/**
 * Invitations by email to one role. Co-op admins invite to any role in their co-op; creator owners
 * invite staff to their own creator. Anything else is refused as NOT_FOUND, so a foreign co-op,
 * creator or factory looks exactly like a missing one.
 */

export const INVITATION_LIFETIME_MS = 7 * DAY_MS;

export type InvitationStatus = "pending" | "accepted" | "revoked" | "expired";

export interface InvitationRecord {
  id: string;
  coopId: string;
  creatorId: string | null;
  factoryId: string | null;
  role: RoleName;
  email: string;
  invitedBy: string | null;
  expiresAt: Date;
  acceptedAt: Date | null;
  acceptedBy: string | null;
  revokedAt: Date | null;
  createdAt: Date;
  status: InvitationStatus;
}

const inv = schema.invitations;
const recordColumns = {
  id: inv.id,
  coopId: inv.coopId,
  creatorId: inv.creatorId,
  factoryId: inv.factoryId,
  role: inv.role,
  email: inv.email,
  invitedBy: inv.invitedBy,
  expiresAt: inv.expiresAt,
  acceptedAt: inv.acceptedAt,
  acceptedBy: inv.acceptedBy,
  revokedAt: inv.revokedAt,
  createdAt: inv.createdAt,
};
type InvitationRow = Omit<InvitationRecord, "status">;

function toRecord(row: InvitationRow, now: Date): InvitationRecord {
  const status: InvitationStatus = row.acceptedAt
    ? "accepted"
    : row.revokedAt
      ? "revoked"
      : row.expiresAt.getTime() <= now.getTime()
        ? "expired"
        : "pending";
  return { ...row, status };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const notFound = () => new AppError("NOT_FOUND", "Not found");

/** The roles a user holds in one co-op. */
async function rolesIn(tx: Tx, userId: string, coopId: string) {
  const ra = schema.roleAssignments;
  return tx
    .select({ role: ra.role, creatorId: ra.creatorId })
    .from(ra)
    .where(and(eq(ra.userId, userId), eq(ra.coopId, coopId)));
}

/** May `userId` invite to (or manage invitations for) this role and place? */
async function canManage(
  tx: Tx,
  userId: string,
  target: { coopId: string; role: RoleName; creatorId: string | null },
): Promise<boolean> {
  const roles = await rolesIn(tx, userId, target.coopId);
  if (roles.some((r) => r.role === "coop_admin")) return true;
  return (
    target.role === "creator_staff" &&
    target.creatorId !== null &&
    roles.some((r) => r.role === "creator_owner" && r.creatorId === target.creatorId)
  );
}

/** The name of the place an invitation is for (for the email), or undefined when it is not in the co-op. */
async function placeName(
  tx: Tx,
  coopId: string,
  creatorId: string | undefined,
  factoryId: string | undefined,
): Promise<string | undefined> {
  const [coop] = await tx.select({ name: schema.coops.name }).from(schema.coops).where(eq(schema.coops.id, coopId));
  if (!coop) return undefined;
  if (creatorId) {
    const [creator] = await tx
      .select({ name: schema.creators.displayName })
      .from(schema.creators)
      .where(and(eq(schema.creators.id, creatorId), eq(schema.creators.coopId, coopId)));
    return creator ? `${creator.name} (${coop.name})` : undefined;
  }
  if (factoryId) {
    const [factory] = await tx
      .select({ name: schema.factories.name })
      .from(schema.factories)
      .where(and(eq(schema.factories.id, factoryId), eq(schema.factories.coopId, coopId)));
    return factory ? `${factory.name} (${coop.name})` : undefined;
  }
  return coop.name;
}

export interface CreateInvitationInput {
  inviterUserId: string;
  /** From the URL or form: checked here against the inviter's roles. */
  coopId: string;
  role: unknown;
  email: unknown;
  creatorId?: unknown;
  factoryId?: unknown;
}

/**
 * Invites an email address to a role and sends the link (7 days, single use). A pending invitation
 * for the same address, role and place is replaced.
 */
export async function createInvitation(
  rt: Runtime,
  input: CreateInvitationInput,
  options: LinkOptions,
): Promise<InvitationRecord> {
  const data = parseInput(InvitationSchema, {
    email: input.email,
    role: input.role,
    creatorId: input.creatorId === "" ? undefined : input.creatorId,
    factoryId: input.factoryId === "" ? undefined : input.factoryId,
  });
  if (!UUID.test(input.coopId)) throw notFound();
  const { coopId, inviterUserId } = input;
  const token = generateRandomToken(32);
  const now = rt.clock.now();
  return withSystem(rt, "create-invitation", async (tx) => {
    const allowed = await canManage(tx, inviterUserId, { coopId, role: data.role, creatorId: data.creatorId ?? null });
    if (!allowed) throw notFound();
    const place = await placeName(tx, coopId, data.creatorId, data.factoryId);
    if (!place) throw notFound();
    // Replace an open invitation to the same role and place.
    await tx
      .update(inv)
      .set({ revokedAt: now })
      .where(
        and(
          eq(inv.coopId, coopId),
          eq(inv.email, data.email),
          eq(inv.role, data.role),
          sql`${inv.creatorId} is not distinct from ${data.creatorId ?? null}`,
          sql`${inv.factoryId} is not distinct from ${data.factoryId ?? null}`,
          isNull(inv.acceptedAt),
          isNull(inv.revokedAt),
        ),
      );
    const [row] = await tx
      .insert(inv)
      .values({
        coopId,
        creatorId: data.creatorId ?? null,
        factoryId: data.factoryId ?? null,
        role: data.role,
        email: data.email,
        tokenHash: hashToken(token),
        invitedBy: inviterUserId,
        expiresAt: addMs(now, INVITATION_LIFETIME_MS),
      })
      .returning(recordColumns);
    const [inviter] = await tx
      .select({ name: schema.users.displayName, locale: schema.users.locale })
      .from(schema.users)
      .where(eq(schema.users.id, inviterUserId));
    // The invitee has no locale yet (maybe no account): use theirs if they have one, else the inviter's.
    const [invitee] = await tx
      .select({ locale: schema.users.locale })
      .from(schema.users)
      .where(eq(schema.users.email, data.email));
    await sendAccountEmail(
      tx,
      "invitation",
      { email: data.email, locale: invitee?.locale ?? inviter?.locale },
      {
        inviter: inviter?.name ?? "Kiln",
        role: data.role,
        place,
        link: appLink(options.appUrl, "/invitations/accept", token),
      },
      coopId,
    );
    await appendAudit(tx, now, {
      coopId,
      action: "invitation.created",
      actorUserId: inviterUserId,
      subjectType: "invitation",
      subjectId: row!.id,
      data: { role: data.role, creatorId: data.creatorId ?? null, factoryId: data.factoryId ?? null },
      personalData: { email: data.email },
    });
    return toRecord(row!, now);
  });
}

/** What an invitation link is for (for the accept page), or GONE when it cannot be accepted. */
export async function findInvitationByToken(
  rt: Runtime,
  token: string,
): Promise<InvitationRecord & { coopName: string; creatorName: string | null; factoryName: string | null }> {
  if (typeof token !== "string" || token.length === 0 || token.length > 200) throw invitationGone();
  const now = rt.clock.now();
  return withSystem(rt, "find-invitation", async (tx) => {
    const [row] = await tx
      .select({
        ...recordColumns,
        coopName: schema.coops.name,
        creatorName: schema.creators.displayName,
        factoryName: schema.factories.name,
      })
      .from(inv)
      .innerJoin(schema.coops, eq(schema.coops.id, inv.coopId))
      .leftJoin(schema.creators, eq(schema.creators.id, inv.creatorId))
      .leftJoin(schema.factories, eq(schema.factories.id, inv.factoryId))
      .where(eq(inv.tokenHash, hashToken(token)));
    if (!row) throw invitationGone();
    const record = toRecord(row, now);
    if (record.status === "revoked" || record.status === "expired") throw invitationGone();
    return { ...record, coopName: row.coopName, creatorName: row.creatorName, factoryName: row.factoryName };
  });
}

const invitationGone = () => new AppError("GONE", "This invitation has expired or was withdrawn");

/**
 * Accepts an invitation for the signed-in user, whose email must be the invited one. Grants the
 * role (idempotent: accepting twice, or holding the role already, is fine).
 */
export async function acceptInvitation(
  rt: Runtime,
  input: { token: string; userId: string },
): Promise<{ coopId: string; role: RoleName; creatorId: string | null; factoryId: string | null }> {
  if (typeof input.token !== "string" || input.token.length === 0 || input.token.length > 200) throw invitationGone();
  const now = rt.clock.now();
  return withSystem(rt, "accept-invitation", async (tx) => {
    const [row] = await tx
      .select(recordColumns)
      .from(inv)
      .where(eq(inv.tokenHash, hashToken(input.token)))
      .for("update");
    if (!row) throw invitationGone();
    const result = { coopId: row.coopId, role: row.role, creatorId: row.creatorId, factoryId: row.factoryId };
    if (row.acceptedAt) {
      if (row.acceptedBy === input.userId) return result;
      throw invitationGone();
    }
    if (row.revokedAt || row.expiresAt.getTime() <= now.getTime()) throw invitationGone();
    const [user] = await tx
      .select({ email: schema.users.email })
      .from(schema.users)
      .where(eq(schema.users.id, input.userId));
    if (!user) throw new AppError("UNAUTHENTICATED", "Please sign in again");
    if (user.email !== row.email) {
      throw new AppError(
        "BAD_INPUT",
        `This invitation was sent to ${row.email}. Sign in with that address to accept it.`,
        { fields: { token: [`This invitation was sent to ${row.email}. Sign in with that address to accept it.`] } },
      );
    }
    const granted = await tx
      .insert(schema.roleAssignments)
      .values({
        userId: input.userId,
        coopId: row.coopId,
        role: row.role,
        creatorId: row.creatorId,
        factoryId: row.factoryId,
      })
      .onConflictDoNothing()
      .returning({ id: schema.roleAssignments.id });
    await tx
      .update(inv)
      .set({ acceptedAt: now, acceptedBy: input.userId })
      .where(and(eq(inv.id, row.id), isNull(inv.acceptedAt)));
    if (granted.length > 0) {
      await appendAudit(tx, now, {
        coopId: row.coopId,
        action: "role.granted",
        actorUserId: input.userId,
        subjectType: "user",
        subjectId: input.userId,
        data: {
          role: row.role,
          creatorId: row.creatorId,
          factoryId: row.factoryId,
          invitationId: row.id,
          invitedBy: row.invitedBy,
        },
        subjectUserId: input.userId,
      });
    }
    return result;
  });
}

/**
 * Invitations the user may manage in a co-op: all of them for a co-op admin (of one creator when
 * `creatorId` is given), the staff invitations of their creator for a creator owner. Newest first.
 */
export async function listInvitations(
  rt: Runtime,
  ctx: { userId: string; coopId: string; creatorId?: string | null },
): Promise<InvitationRecord[]> {
  if (!UUID.test(ctx.coopId) || (ctx.creatorId && !UUID.test(ctx.creatorId))) throw notFound();
  const now = rt.clock.now();
  return withSystem(rt, "list-invitations", async (tx) => {
    const roles = await rolesIn(tx, ctx.userId, ctx.coopId);
    const isAdmin = roles.some((r) => r.role === "coop_admin");
    const isOwner = !!ctx.creatorId && roles.some((r) => r.role === "creator_owner" && r.creatorId === ctx.creatorId);
    if (!isAdmin && !isOwner) throw notFound();
    const rows = await tx
      .select(recordColumns)
      .from(inv)
      .where(
        and(
          eq(inv.coopId, ctx.coopId),
          ctx.creatorId ? eq(inv.creatorId, ctx.creatorId) : undefined,
          isAdmin ? undefined : eq(inv.role, "creator_staff"),
        ),
      )
      .orderBy(desc(inv.createdAt), desc(inv.id));
    return rows.map((row) => toRecord(row, now));
  });
}

/** Withdraws a pending invitation. Already revoked: no change. Accepted: CONFLICT. Not yours to manage: NOT_FOUND. */
export async function revokeInvitation(
  rt: Runtime,
  input: { userId: string; invitationId: string },
): Promise<InvitationRecord> {
  if (!UUID.test(input.invitationId)) throw notFound();
  const now = rt.clock.now();
  return withSystem(rt, "revoke-invitation", async (tx) => {
    const [row] = await tx.select(recordColumns).from(inv).where(eq(inv.id, input.invitationId)).for("update");
    if (!row || !(await canManage(tx, input.userId, row))) throw notFound();
    if (row.acceptedAt) throw new AppError("CONFLICT", "This invitation was already accepted");
    if (row.revokedAt) return toRecord(row, now);
    const [updated] = await tx
      .update(inv)
      .set({ revokedAt: now })
      .where(and(eq(inv.id, row.id), isNull(inv.acceptedAt)))
      .returning(recordColumns);
    await appendAudit(tx, now, {
      coopId: row.coopId,
      action: "invitation.revoked",
      actorUserId: input.userId,
      subjectType: "invitation",
      subjectId: row.id,
      data: { role: row.role, creatorId: row.creatorId, factoryId: row.factoryId },
    });
    return toRecord(updated!, now);
  });
}
