import { AppError } from "@kiln/core";
import type { TenantContext } from "@kiln/db";

export { parseInput } from "@kiln/core";

export interface CreatorScope {
  userId: string;
  coopId: string;
  creatorId: string;
}

/** The creator team acting for its own creator; anything else is NOT_FOUND. */
export function requireCreatorScope(ctx: TenantContext): CreatorScope {
  const isTeam = ctx.role === "creator_owner" || ctx.role === "creator_staff";
  if (!isTeam || !ctx.userId || !ctx.coopId || !ctx.creatorId) throw new AppError("NOT_FOUND", "Not found");
  return { userId: ctx.userId, coopId: ctx.coopId, creatorId: ctx.creatorId };
}
