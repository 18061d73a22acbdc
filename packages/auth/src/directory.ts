import { asc, eq } from "drizzle-orm";
import { schema, withTenant, type Runtime, type TenantContext } from "@kiln/db";

export interface CoopDirectory {
  creators: { id: string; slug: string; displayName: string; isPublished: boolean }[];
  factories: {
    id: string;
    name: string;
    location: string;
    capabilities: string[];
    leadTimeDays: number;
    isBackup: boolean;
    isActive: boolean;
  }[];
}

/**
 * The creators and factories of a co-op, as the given context sees them (RLS decides: a co-op admin
 * sees all of its co-op's, a foreign co-op's are simply absent). Used to offer places for invitations.
 */
export async function getCoopDirectory(rt: Runtime, ctx: TenantContext): Promise<CoopDirectory> {
  const coopId = ctx.coopId;
  if (!coopId) return { creators: [], factories: [] };
  return withTenant(rt, ctx, async (tx) => ({
    creators: await tx
      .select({
        id: schema.creators.id,
        slug: schema.creators.slug,
        displayName: schema.creators.displayName,
        isPublished: schema.creators.isPublished,
      })
      .from(schema.creators)
      .where(eq(schema.creators.coopId, coopId))
      .orderBy(asc(schema.creators.displayName)),
    factories: await tx
      .select({
        id: schema.factories.id,
        name: schema.factories.name,
        location: schema.factories.location,
        capabilities: schema.factories.capabilities,
        leadTimeDays: schema.factories.leadTimeDays,
        isBackup: schema.factories.isBackup,
        isActive: schema.factories.isActive,
      })
      .from(schema.factories)
      .where(eq(schema.factories.coopId, coopId))
      .orderBy(asc(schema.factories.name)),
  }));
}
