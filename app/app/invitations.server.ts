import { parseWithZod } from "@conform-to/zod/v4";
import { data } from "@remix-run/node";
import { z } from "zod";
import {
  createInvitation,
  getCoopDirectory,
  listInvitations,
  revokeInvitation,
  tenantContextFor,
  type Membership,
} from "@kiln/auth";
import { InvitationSchema } from "@kiln/auth/schemas";
import type { KilnLoadContext } from "./context.server";
import { replyWithAppError } from "./errors.server";
import { redirectWithToast } from "./toast.server";

/** Shared by the role homes that may invite (co-op admin, creator owner). */

export const RevokeInvitationSchema = z.object({ invitationId: z.uuid({ error: "Unknown invitation" }) });

export async function loadPendingInvitations(
  context: KilnLoadContext,
  scope: { userId: string; coopId: string; creatorId?: string | null },
) {
  const all = await listInvitations(context.rt, scope);
  return all
    .filter((i) => i.status === "pending")
    .map((i) => ({ id: i.id, email: i.email, role: i.role, expiresAt: i.expiresAt.toISOString() }));
}

/** The co-op's creators and factories as the membership's context sees them (places to invite to). */
export function loadCoopDirectory(context: KilnLoadContext, userId: string, membership: Membership) {
  return getCoopDirectory(context.rt, tenantContextFor(userId, membership));
}

/** The `invite` and `revoke-invitation` intents; `null` when the intent is something else. */
export async function handleInvitationIntent(
  request: Request,
  context: KilnLoadContext,
  formData: FormData,
  scope: { userId: string; coopId: string },
) {
  const intent = formData.get("intent");
  const path = new URL(request.url).pathname;
  if (intent === "invite") {
    const submission = parseWithZod(formData, { schema: InvitationSchema });
    if (submission.status !== "success") return data(submission.reply(), { status: 400 });
    try {
      await createInvitation(
        context.rt,
        { inviterUserId: scope.userId, coopId: scope.coopId, ...submission.value },
        { appUrl: context.config.appUrl },
      );
    } catch (error) {
      return replyWithAppError(error, (o) => submission.reply(o));
    }
    context.notifyOutbox();
    return redirectWithToast(context, path, {
      kind: "success",
      key: "invite.sent",
      params: { email: submission.value.email },
    });
  }
  if (intent === "revoke-invitation") {
    const submission = parseWithZod(formData, { schema: RevokeInvitationSchema });
    if (submission.status !== "success") return data(submission.reply(), { status: 400 });
    try {
      await revokeInvitation(context.rt, { userId: scope.userId, invitationId: submission.value.invitationId });
    } catch (error) {
      return replyWithAppError(error, (o) => submission.reply(o));
    }
    return redirectWithToast(context, path, { kind: "success", key: "invite.revoked" });
  }
  return null;
}
