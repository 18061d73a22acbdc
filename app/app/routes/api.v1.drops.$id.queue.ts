import { AppError } from "@kiln/core";
import { pollQueue } from "@kiln/drops";
import { apiHandler, methodNotAllowed, requireApiCaller, UuidParam } from "../api.server";

export const action = methodNotAllowed("GET");

/**
 * GET /api/v1/drops/{id}/queue: enters the caller into a hot drop's waiting room (idempotent) and
 * answers their place — `waiting` (position once the room is sealed at opening, ETA in seconds),
 * `admitted` (a fresh single-use admission token for POST /drops/{id}/claims), `claimed` or
 * `sold_out` (answered from memory once known) — with `pollAfterSeconds`. Per-member and per-IP limits:
 * 429 with Retry-After. Never cached (per-member content).
 */
export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "drops:read");
  const dropId = UuidParam.safeParse(params.id);
  if (!dropId.success) throw new AppError("NOT_FOUND", "Drop not found");
  const status = await pollQueue(context.rt, { userId: caller.user.id }, dropId.data, { ip: context.clientIp || null });
  return Response.json({ queue: status }, { headers: { "Cache-Control": "no-store" } });
});
