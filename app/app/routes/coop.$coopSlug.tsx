import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { COOP_ROLES } from "@kiln/auth/schemas";
import { requireMembership } from "../auth.server";
import { Invitations } from "../components/invitations";
import { notFound } from "../errors.server";
import { useT } from "../i18n/react";
import { handleInvitationIntent, loadPendingInvitations } from "../invitations.server";

export const meta: MetaFunction = () => [{ title: "Co-op admin · Kiln" }];

const isAdminOf = (slug: string | undefined) => (m: { role: string; coop: { slug: string } }) =>
  m.role === "coop_admin" && m.coop.slug === slug;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { user, membership } = await requireMembership(context, request, isAdminOf(params.coopSlug));
  const pending = await loadPendingInvitations(context, { userId: user.id, coopId: membership.coop.id });
  return { coop: membership.coop, pending };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, membership } = await requireMembership(context, request, isAdminOf(params.coopSlug));
  const formData = await request.formData();
  const response = await handleInvitationIntent(request, context, formData, {
    userId: user.id,
    coopId: membership.coop.id,
  });
  return response ?? notFound();
}

export default function CoopAdminHome() {
  const t = useT();
  const { coop, pending } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  return (
    <>
      <section className="card">
        <h1>{t("coop.title", { name: coop.name })}</h1>
        <p className="muted">{t("coop.timezone", { timezone: coop.timezone })}</p>
        <h2>{t("coop.factories")}</h2>
        <p className="empty">{t("coop.factoriesEmpty")}</p>
      </section>
      <Invitations roles={COOP_ROLES} pending={pending} lastResult={lastResult} />
    </>
  );
}
