import type { z } from "zod";
import { AppError } from "@kiln/core";
import type { TenantContext } from "@kiln/db";

/** Validates at the package boundary: BAD_INPUT with each issue under its field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: Record<string, string[]> = {};
  for (const issue of result.error.issues)
    (fields[issue.path.map(String).join(".") || "form"] ??= []).push(issue.message);
  throw new AppError("BAD_INPUT", result.error.issues.map((i) => i.message).join("; "), { fields });
}

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
