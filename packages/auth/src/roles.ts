import { asc, eq } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withSystem, type RoleName, type Runtime, type TenantContext, type Tx } from "@kiln/db";

/** One role a user holds, with the places it applies to. Every user is also a member (not listed). */
export interface Membership {
  role: RoleName;
  coop: { id: string; slug: string; name: string; timezone: string };
  creator?: { id: string; slug: string; displayName: string };
  factory?: { id: string; name: string };
}

export async function selectMemberships(tx: Tx, userId: string): Promise<Membership[]> {
  const ra = schema.roleAssignments;
  const rows = await tx
    .select({
      role: ra.role,
      coop: { id: schema.coops.id, slug: schema.coops.slug, name: schema.coops.name, timezone: schema.coops.timezone },
      creator: { id: schema.creators.id, slug: schema.creators.slug, displayName: schema.creators.displayName },
      factory: { id: schema.factories.id, name: schema.factories.name },
    })
    .from(ra)
    .innerJoin(schema.coops, eq(schema.coops.id, ra.coopId))
    .leftJoin(schema.creators, eq(schema.creators.id, ra.creatorId))
    .leftJoin(schema.factories, eq(schema.factories.id, ra.factoryId))
    .where(eq(ra.userId, userId))
    .orderBy(asc(schema.coops.name), asc(ra.role), asc(ra.createdAt));
  return rows.map((r) => ({
    role: r.role,
    coop: r.coop,
    ...(r.creator ? { creator: r.creator } : {}),
    ...(r.factory ? { factory: r.factory } : {}),
  }));
}

/**
 * The roles a user holds. Read in the system context: the co-ops, creators and factories they name
 * are not readable in a member's own context.
 */
export async function getMemberships(rt: Runtime, userId: string): Promise<Membership[]> {
  return withSystem(rt, "memberships", (tx) => selectMemberships(tx, userId));
}

/**
 * The context withTenant needs to act in a membership: co-op roles name the co-op, creator roles
 * also the creator; a factory operator acts at co-op level with role "factory_operator" and names
 * their factory (kiln.factory_id), which the capacity tables' policies filter on.
 */
export function tenantContextFor(userId: string, membership: Membership): Required<TenantContext> {
  return {
    userId,
    coopId: membership.coop.id,
    creatorId: membership.creator?.id ?? null,
    role: membership.role,
    factoryId: membership.role === "factory_operator" ? (membership.factory?.id ?? null) : null,
  };
}

/** The first membership matching, or NOT_FOUND (a place you hold no role in looks like no place). */
export function requireMembership(
  memberships: readonly Membership[],
  predicate: (membership: Membership) => boolean,
): Membership {
  const found = memberships.find(predicate);
  if (!found) throw new AppError("NOT_FOUND", "Not found");
  return found;
}

/** Helpers for requireMembership predicates. */
export const isCoopAdminOf = (coopId: string) => (m: Membership) => m.role === "coop_admin" && m.coop.id === coopId;
export const isCreatorOwnerOf = (creatorId: string) => (m: Membership) =>
  m.role === "creator_owner" && m.creator?.id === creatorId;
export const isCreatorTeamOf = (creatorId: string) => (m: Membership) =>
  (m.role === "creator_owner" || m.role === "creator_staff") && m.creator?.id === creatorId;
