import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError, parseInput } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import { isPastPeriod } from "./periods";
import { coopTimezone } from "./pool";
import { CapacityRequestSchema, type CapacityRequestFields } from "./schemas";

/**
 * Creators' capacity requests. A creator team acts for its own creator (the context names it);
 * RLS shows a creator only their own requests and the co-op's admins all of them.
 *
 * Products will declare their capability and the capacity units one item uses when drops arrive
 * (issue 8); until then a request names the capability directly.
 */

function requireCreatorTeam(ctx: TenantContext) {
  if ((ctx.role !== "creator_owner" && ctx.role !== "creator_staff") || !ctx.coopId || !ctx.creatorId || !ctx.userId)
    throw new AppError("NOT_FOUND", "Not found");
  return { coopId: ctx.coopId, creatorId: ctx.creatorId, userId: ctx.userId };
}

const requestColumns = {
  id: schema.capacityRequests.id,
  creatorId: schema.capacityRequests.creatorId,
  creatorName: schema.creators.displayName,
  capability: schema.capacityRequests.capability,
  period: schema.capacityRequests.period,
  units: schema.capacityRequests.units,
  minBatch: schema.capacityRequests.minBatch,
  preferredFactoryIds: schema.capacityRequests.preferredFactoryIds,
  latestShipDate: schema.capacityRequests.latestShipDate,
  status: schema.capacityRequests.status,
  createdAt: schema.capacityRequests.createdAt,
};
export interface CapacityRequest {
  id: string;
  creatorId: string;
  creatorName: string;
  capability: string;
  period: string;
  units: number;
  minBatch: number;
  preferredFactoryIds: string[];
  latestShipDate: string | null;
  status: string;
  createdAt: Date;
}

export async function createCapacityRequest(
  rt: Runtime,
  ctx: TenantContext,
  input: CapacityRequestFields,
): Promise<CapacityRequest> {
  const scope = requireCreatorTeam(ctx);
  const value = parseInput(CapacityRequestSchema, input);
  return withTenant(rt, ctx, async (tx) => {
    if (isPastPeriod(value.period, rt.clock.now(), await coopTimezone(tx, scope.coopId)))
      throw new AppError("BAD_INPUT", "This production window is in the past", {
        fields: { period: ["This production window is in the past"] },
      });
    const factories = await tx
      .select({ id: schema.factories.id, capabilities: schema.factories.capabilities })
      .from(schema.factories)
      .where(eq(schema.factories.coopId, scope.coopId));
    if (!factories.some((f) => f.capabilities.includes(value.capability)))
      throw new AppError("BAD_INPUT", "No factory of the co-op has this capability", {
        fields: { capability: ["No factory of the co-op has this capability"] },
      });
    const known = new Set(factories.map((f) => f.id));
    if (value.preferredFactoryIds.some((id) => !known.has(id)))
      throw new AppError("BAD_INPUT", "Unknown factory", { fields: { preferredFactoryIds: ["Unknown factory"] } });
    const [row] = await tx
      .insert(schema.capacityRequests)
      .values({
        coopId: scope.coopId,
        creatorId: scope.creatorId,
        capability: value.capability,
        period: value.period,
        units: value.units,
        minBatch: value.minBatch,
        preferredFactoryIds: [...new Set(value.preferredFactoryIds)],
        latestShipDate: value.latestShipDate ?? null,
        createdByUserId: scope.userId,
      })
      .returning({ id: schema.capacityRequests.id });
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.request.created",
      subjectType: "capacity_request",
      subjectId: row!.id,
      data: {
        creatorId: scope.creatorId,
        capability: value.capability,
        period: value.period,
        units: value.units,
        minBatch: value.minBatch,
      },
    });
    const [full] = await tx
      .select(requestColumns)
      .from(schema.capacityRequests)
      .innerJoin(schema.creators, eq(schema.creators.id, schema.capacityRequests.creatorId))
      .where(eq(schema.capacityRequests.id, row!.id));
    return full!;
  });
}

/** A creator withdraws an open request (RLS: only their own; anyone else's is NOT_FOUND). */
export async function withdrawCapacityRequest(rt: Runtime, ctx: TenantContext, unverifiedRequestId: string) {
  const scope = requireCreatorTeam(ctx);
  await withTenant(rt, ctx, async (tx) => {
    const [row] = await tx
      .update(schema.capacityRequests)
      .set({ status: "withdrawn", updatedAt: sql`kiln_now()` })
      .where(
        and(
          eq(schema.capacityRequests.id, unverifiedRequestId),
          eq(schema.capacityRequests.creatorId, scope.creatorId),
        ),
      )
      .returning({ id: schema.capacityRequests.id });
    if (!row) throw new AppError("NOT_FOUND", "Not found");
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "capacity.request.withdrawn",
      subjectType: "capacity_request",
      subjectId: row.id,
    });
  });
}

/** Requests the context may see: a creator's own, or (admins) the co-op's; newest window first. */
export async function listCapacityRequests(
  rt: Runtime,
  ctx: TenantContext,
  filter: { periods?: string[]; status?: "open" | "withdrawn" } = {},
): Promise<CapacityRequest[]> {
  if (!ctx.coopId) return [];
  const coopId = ctx.coopId;
  return withTenant(rt, ctx, (tx) =>
    tx
      .select(requestColumns)
      .from(schema.capacityRequests)
      .innerJoin(schema.creators, eq(schema.creators.id, schema.capacityRequests.creatorId))
      .where(
        and(
          eq(schema.capacityRequests.coopId, coopId),
          filter.periods ? inArray(schema.capacityRequests.period, filter.periods) : undefined,
          filter.status ? eq(schema.capacityRequests.status, filter.status) : undefined,
        ),
      )
      .orderBy(
        desc(schema.capacityRequests.period),
        asc(schema.capacityRequests.createdAt),
        asc(schema.capacityRequests.id),
      ),
  );
}
