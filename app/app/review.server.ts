import { tenantContextFor } from "@kiln/auth";
import { verifyChain } from "@kiln/audit";
import { AppError } from "@kiln/core";
import type { KilnLoadContext } from "./context.server";
import { requireMembership } from "./auth.server";
import type { ApiCaller } from "./api.server";
import { getMemberships } from "@kiln/auth";

/**
 * Glue for the compliance reviewer's workspace and API: the reviewer's tenant context for a co-op
 * slug (a co-op you do not review is a 404), and the audit chain's verification status.
 */
type Ctx = Pick<KilnLoadContext, "auth" | "rt">;

export async function requireReviewerOf(context: Ctx, request: Request, coopSlug: string | undefined) {
  const { user, membership } = await requireMembership(
    context,
    request,
    (m) => m.role === "compliance_reviewer" && m.coop.slug === coopSlug,
  );
  return { user, coop: membership.coop, actor: tenantContextFor(user.id, membership) };
}

/** For the API: the caller must review the co-op named in the path. */
export async function reviewerActorForApi(context: Ctx, caller: ApiCaller, coopSlug: string | undefined) {
  const memberships = await getMemberships(context.rt, caller.user.id);
  const membership = memberships.find((m) => m.role === "compliance_reviewer" && m.coop.slug === coopSlug);
  if (!membership) throw new AppError("NOT_FOUND", "Not found");
  return tenantContextFor(caller.user.id, membership);
}

export async function chainStatus(context: Pick<KilnLoadContext, "rt" | "config">, coopId: string) {
  const result = await verifyChain(context.rt, coopId, {
    checkpointDir: context.config.checkpointDir,
    key: context.config.auditCheckpointKey,
  });
  return result.ok
    ? { ok: true as const, entries: result.entries, checkpoints: result.checkpoints, headSeq: result.head?.seq ?? 0 }
    : { ok: false as const, brokenAt: result.brokenAt, problem: result.problem, reason: result.reason };
}
