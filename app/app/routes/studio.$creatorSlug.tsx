import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { createOnboardingLink, getConnectStatus } from "@kiln/billing";
import { isCreatorRole, requireMembership, type Membership } from "../auth.server";
import { billingFormError, requireBilling } from "../billing.server";
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
  const connect = await getConnectStatus(context.rt, {
    userId: user.id,
    coopId: membership.coop.id,
    creatorId: creator.id,
    role: membership.role,
  });
  return { creator, coop: membership.coop, isOwner, pending, connect };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, membership } = await requireMembership(context, request, isTeamOf(params.creatorSlug));
  if (membership.role !== "creator_owner") notFound();
  const formData = await request.formData();
  if (formData.get("intent") === "connect") {
    // Stripe Connect onboarding (owner only): Stripe's hosted form, then back to this page.
    const back = `${context.config.appUrl}/studio/${params.creatorSlug}`;
    const ctx = {
      userId: user.id,
      coopId: membership.coop.id,
      creatorId: membership.creator!.id,
      role: membership.role,
    };
    try {
      const link = await createOnboardingLink(context.rt, requireBilling(context).stripe, ctx, {
        returnUrl: back,
        refreshUrl: back,
      });
      return redirect(link.url);
    } catch (error) {
      return billingFormError(error);
    }
  }
  const response = await handleInvitationIntent(request, context, formData, {
    userId: user.id,
    coopId: membership.coop.id,
  });
  return response ?? notFound();
}

export default function StudioHome() {
  const t = useT();
  const { creator, coop, isOwner, pending, connect } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const connectError = result && "formError" in result ? result.formError : null;
  const lastResult = result && "formError" in result ? undefined : result;
  return (
    <>
      <section className="card">
        <h1>{t("studio.title", { name: creator.displayName })}</h1>
        <p className="muted">{t("studio.coop", { coop: coop.name })}</p>
        <p>
          <Link to={`/studio/${creator.slug}/capacity`}>{t("capacity.nav")}</Link>
        </p>
        <p>
          <Link to={`/studio/${creator.slug}/billing`}>{t("billingOps.studio.nav")}</Link>
        </p>
        <p>
          <Link to={`/studio/${creator.slug}/tiers`}>{t("tiers.nav")}</Link>
        </p>
        <p>
          <Link to={`/studio/${creator.slug}/rights`}>{t("rights.studioTitle")}</Link>
        </p>
        <p>
          <Link to={`/studio/${creator.slug}/orders`}>{t("orders.link")}</Link>
        </p>
        <p>
          <Link to={`/studio/${creator.slug}/personalization`}>{t("uplift.nav")}</Link>
        </p>
        <ConnectStatus status={connect?.status ?? null} isOwner={isOwner} error={connectError} />
        <h2>{t("studio.products")}</h2>
        <p>
          <Link to={`/studio/${creator.slug}/drops`}>{t("studioDrops.calendar")}</Link>
        </p>
      </section>
      {isOwner ? (
        <Invitations roles={["creator_staff"]} creatorId={creator.id} pending={pending} lastResult={lastResult} />
      ) : null}
    </>
  );
}

/** Stripe Connect: whether the creator can take payments, and the owner's onboarding button. */
function ConnectStatus({
  status,
  isOwner,
  error,
}: {
  status: "pending" | "enabled" | "restricted" | null;
  isOwner: boolean;
  error: string | null;
}) {
  const t = useT();
  return (
    <div className="connect-status" data-connect-status={status ?? "none"}>
      <h2>{t("connect.title")}</h2>
      <p>{t(status ? `connect.status.${status}` : "connect.status.none")}</p>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {isOwner && status !== "enabled" ? (
        <Form method="post">
          <input type="hidden" name="intent" value="connect" />
          <button type="submit">{t(status ? "connect.continue" : "connect.start")}</button>
        </Form>
      ) : null}
    </div>
  );
}
