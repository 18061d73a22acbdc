import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { isCreatorRole, requireMembership, type Membership } from "../auth.server";
import { Invitations } from "../components/invitations";
import { notFound } from "../errors.server";
import { useT } from "../i18n/react";
import { handleInvitationIntent, loadPendingInvitations } from "../invitations.server";

export const meta: MetaFunction = () => [{ title: "Studio · Kiln" }];

const isTeamOf = (slug: string | undefined) => (m: Membership) => isCreatorRole(m.role) && m.creator?.slug === slug;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { user, membership } = await requireMembership(context, request, isTeamOf(params.creatorSlug));
  const creator = membership.creator ?? notFound();
  const isOwner = membership.role === "creator_owner";
  const pending = isOwner
    ? await loadPendingInvitations(context, { userId: user.id, coopId: membership.coop.id, creatorId: creator.id })
    : [];
  return { creator, coop: membership.coop, isOwner, pending };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, membership } = await requireMembership(context, request, isTeamOf(params.creatorSlug));
  if (membership.role !== "creator_owner") notFound();
  const formData = await request.formData();
  const response = await handleInvitationIntent(request, context, formData, {
    userId: user.id,
    coopId: membership.coop.id,
  });
  return response ?? notFound();
}

export default function StudioHome() {
  const t = useT();
  const { creator, coop, isOwner, pending } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  return (
    <>
      <section className="card">
        <h1>{t("studio.title", { name: creator.displayName })}</h1>
        <p className="muted">{t("studio.coop", { coop: coop.name })}</p>
        <p>
          <Link to={`/studio/${creator.slug}/capacity`}>{t("capacity.nav")}</Link>
        </p>
        <p>
          <Link to={`/studio/${creator.slug}/tiers`}>{t("tiers.nav")}</Link>
        </p>
        <h2>{t("studio.products")}</h2>
        <p className="empty">{t("studio.productsEmpty")}</p>
      </section>
      {isOwner ? (
        <Invitations roles={["creator_staff"]} creatorId={creator.id} pending={pending} lastResult={lastResult} />
      ) : null}
    </>
  );
}
