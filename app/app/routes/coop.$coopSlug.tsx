import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { ROLE_NAMES } from "@kiln/auth/schemas";
import { requireMembership } from "../auth.server";
import { Invitations } from "../components/invitations";
import { notFound } from "../errors.server";
import { useT } from "../i18n/react";
import { handleInvitationIntent, loadCoopDirectory, loadPendingInvitations } from "../invitations.server";

export const meta: MetaFunction = () => [{ title: "Co-op admin · Kiln" }];

const isAdminOf = (slug: string | undefined) => (m: { role: string; coop: { slug: string } }) =>
  m.role === "coop_admin" && m.coop.slug === slug;

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { user, membership } = await requireMembership(context, request, isAdminOf(params.coopSlug));
  const pending = await loadPendingInvitations(context, { userId: user.id, coopId: membership.coop.id });
  const directory = await loadCoopDirectory(context, user.id, membership);
  return { coop: membership.coop, pending, directory };
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
  const { coop, pending, directory } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  return (
    <>
      <section className="card">
        <h1>{t("coop.title", { name: coop.name })}</h1>
        <p className="muted">{t("coop.timezone", { timezone: coop.timezone })}</p>
        <h2>{t("coop.creators")}</h2>
        {directory.creators.length === 0 ? (
          <p className="empty">{t("coop.creatorsEmpty")}</p>
        ) : (
          <ul className="list">
            {directory.creators.map((c) => (
              <li key={c.id} className="row">
                <span>
                  {c.displayName} · <code>/s/{c.slug}</code>
                </span>
                <small className="muted">{c.isPublished ? t("coop.published") : t("coop.unpublished")}</small>
              </li>
            ))}
          </ul>
        )}
        <h2>{t("coop.factories")}</h2>
        <p>
          <Link to={`/coop/${coop.slug}/capacity`}>{t("capacity.nav")}</Link>
        </p>
        <p>
          <Link to={`/coop/${coop.slug}/billing`}>{t("billingOps.coop.nav")}</Link>
        </p>
        <p>
          <Link to={`/coop/${coop.slug}/personalization`}>{t("models.title")}</Link>
        </p>
        {directory.factories.length === 0 ? (
          <p className="empty">{t("coop.factoriesEmpty")}</p>
        ) : (
          <ul className="list">
            {directory.factories.map((f) => (
              <li key={f.id} className="row">
                <span>
                  {f.name} · {f.location} · {f.capabilities.join(", ")}
                </span>
                <small className="muted">
                  {t("coop.leadTime", { days: f.leadTimeDays })}
                  {f.isBackup ? ` · ${t("coop.backup")}` : ""}
                  {f.isActive ? "" : ` · ${t("coop.paused")}`}
                </small>
              </li>
            ))}
          </ul>
        )}
      </section>
      <Invitations roles={ROLE_NAMES} places={directory} pending={pending} lastResult={lastResult} />
    </>
  );
}
