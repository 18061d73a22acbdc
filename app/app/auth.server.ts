import { redirect } from "@remix-run/node";
import { getMemberships } from "@kiln/auth";
import type { KilnLoadContext } from "./context.server";
import { notFound } from "./errors.server";

/**
 * Guards (Epic's require* naming). A missing session redirects to sign-in; a membership the user
 * does not hold is a 404, exactly like an unknown slug (never 403).
 */

type AuthContext = Pick<KilnLoadContext, "auth" | "rt">;

/** Only relative, same-site paths survive as redirect targets. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = "/home"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  return to;
}

export function requireUser(context: AuthContext, request: Request) {
  if (!context.auth) {
    const url = new URL(request.url);
    const redirectTo = `${url.pathname}${url.search}`;
    throw redirect(`/login?${new URLSearchParams({ redirectTo })}`);
  }
  return context.auth.user;
}

export function requireAnonymous(context: AuthContext) {
  if (context.auth) throw redirect("/home");
}

export type Membership = Awaited<ReturnType<typeof getMemberships>>[number];

export async function requireMemberships(context: AuthContext, request: Request) {
  const user = requireUser(context, request);
  return { user, memberships: await getMemberships(context.rt, user.id) };
}

/** The user's membership matching `match`, or a 404. */
export async function requireMembership(
  context: AuthContext,
  request: Request,
  match: (membership: Membership) => boolean,
) {
  const { user, memberships } = await requireMemberships(context, request);
  const membership = memberships.find(match);
  if (!membership) notFound();
  return { user, membership };
}

export const isCreatorRole = (role: string) => role === "creator_owner" || role === "creator_staff";

/** Where each role's home lives. */
export function homePathOf(membership: Membership): string {
  switch (membership.role) {
    case "coop_admin":
      return `/coop/${membership.coop.slug}`;
    case "compliance_reviewer":
      return `/review/${membership.coop.slug}`;
    case "creator_owner":
    case "creator_staff":
      return membership.creator ? `/studio/${membership.creator.slug}` : "/home";
    case "factory_operator":
      return membership.factory ? `/factory/${membership.factory.id}` : "/home";
    default:
      return "/home";
  }
}
