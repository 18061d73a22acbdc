import { parseWithZod } from "@conform-to/zod/v4";
import { data } from "@remix-run/node";
import type { z } from "zod";
import { getMemberships, tenantContextFor } from "@kiln/auth";
import type { ApiScope } from "@kiln/auth/schemas";
import { AppError } from "@kiln/core";
import { currentPeriod, nextPeriod, PeriodSchema } from "@kiln/capacity";
import { requireApiCaller } from "./api.server";
import type { KilnLoadContext } from "./context.server";
import { isCreatorRole, requireMembership, type Membership } from "./auth.server";
import { replyWithAppError } from "./errors.server";

/** Glue for the capacity screens: guards that yield the tenant context, and one form-intent runner. */

type Guard = Awaited<ReturnType<typeof requireMembership>> & { ctx: ReturnType<typeof tenantContextFor> };

const withCtx = (found: Awaited<ReturnType<typeof requireMembership>>): Guard => ({
  ...found,
  ctx: tenantContextFor(found.user.id, found.membership),
});

export async function requireCoopAdmin(context: KilnLoadContext, request: Request, coopSlug: string | undefined) {
  return withCtx(
    await requireMembership(context, request, (m: Membership) => m.role === "coop_admin" && m.coop.slug === coopSlug),
  );
}

export async function requireCreatorTeam(context: KilnLoadContext, request: Request, creatorSlug: string | undefined) {
  return withCtx(
    await requireMembership(
      context,
      request,
      (m: Membership) => isCreatorRole(m.role) && m.creator?.slug === creatorSlug,
    ),
  );
}

export async function requireFactoryOperator(
  context: KilnLoadContext,
  request: Request,
  unverifiedFactoryId: string | undefined,
) {
  return withCtx(
    await requireMembership(
      context,
      request,
      (m: Membership) => m.role === "factory_operator" && m.factory?.id === unverifiedFactoryId,
    ),
  );
}

/** The window a page shows: `?period=` when valid, else next week in the co-op's zone. */
export function periodFromUrl(request: Request, now: Date, timezone: string): string {
  const asked = PeriodSchema.safeParse(new URL(request.url).searchParams.get("period"));
  return asked.success ? asked.data : nextPeriod(currentPeriod(now, timezone));
}

/**
 * One form intent: parse with the schema (400 with the issues), call the package (its AppError becomes
 * the form's reply), then `success()` (a redirect with a toast).
 */
export async function submitIntent<S extends z.ZodType>(
  formData: FormData,
  schema: S,
  call: (value: z.output<S>) => Promise<unknown>,
  success: (result: unknown) => Response,
) {
  const submission = parseWithZod(formData, { schema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  let result: unknown;
  try {
    result = await call(submission.value);
  } catch (error) {
    return replyWithAppError(error, (o) => submission.reply(o));
  }
  return success(result);
}

/** API: the caller (token or session) with the scope, acting as an admin of the co-op in the URL. */
export async function requireApiCoopAdmin(
  request: Request,
  context: KilnLoadContext,
  coopSlug: string | undefined,
  scope: ApiScope,
) {
  const caller = await requireApiCaller(request, context, scope);
  const membership = (await getMemberships(context.rt, caller.user.id)).find(
    (m) => m.role === "coop_admin" && m.coop.slug === coopSlug,
  );
  if (!membership) throw new AppError("NOT_FOUND", "Not found");
  return tenantContextFor(caller.user.id, membership);
}

/** API: the caller acting for the creator in the URL (owner or staff). */
export async function requireApiCreatorTeam(
  request: Request,
  context: KilnLoadContext,
  creatorSlug: string | undefined,
  scope: ApiScope,
) {
  const caller = await requireApiCaller(request, context, scope);
  const membership = (await getMemberships(context.rt, caller.user.id)).find(
    (m) => isCreatorRole(m.role) && m.creator?.slug === creatorSlug,
  );
  if (!membership) throw new AppError("NOT_FOUND", "Not found");
  return tenantContextFor(caller.user.id, membership);
}

/** `?period=` for API lists: absent means every window; an invalid one is BAD_INPUT. */
export function apiPeriods(request: Request): string[] | undefined {
  const raw = new URL(request.url).searchParams.get("period");
  if (raw === null) return undefined;
  const parsed = PeriodSchema.safeParse(raw);
  if (!parsed.success) throw new AppError("BAD_INPUT", "A production window is an ISO week like 2026-W49");
  return [parsed.data];
}

/** API: the caller acting as an operator of the factory in the URL. */
export async function requireApiFactoryOperator(
  request: Request,
  context: KilnLoadContext,
  unverifiedFactoryId: string | undefined,
  scope: ApiScope,
) {
  const caller = await requireApiCaller(request, context, scope);
  const membership = (await getMemberships(context.rt, caller.user.id)).find(
    (m) => m.role === "factory_operator" && m.factory?.id === unverifiedFactoryId,
  );
  if (!membership) throw new AppError("NOT_FOUND", "Not found");
  return tenantContextFor(caller.user.id, membership);
}
