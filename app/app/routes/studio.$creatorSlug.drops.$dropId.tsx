import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { getStudioDrop, setDropPublished } from "@kiln/drops";
import { throwAsPage } from "../billing.server";
import { requireCreatorTeam, submitIntent } from "../capacity.server";
import { FormErrors, type FormResult } from "../components/capacity";
import { PublishButton, useLiveRefresh } from "../components/studio-drops";
import { notFound } from "../errors.server";
import { useLocale, useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.drop.title ?? "Drop"} · Studio · Kiln` },
];

const PublishSchema = z.object({
  dropId: z.uuid({ error: "Drop not found" }),
  isPublished: z.enum(["true", "false"]).transform((v) => v === "true"),
});

/** One drop: live sell-through (reserved / confirmed / left), its claims and its waitlist. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const found = await getStudioDrop(context.rt, ctx, params.dropId ?? "").catch(throwAsPage);
  return { creator: membership.creator ?? notFound(), ...found };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const formData = await request.formData();
  if (formData.get("intent") !== "publish" || formData.get("dropId") !== params.dropId) return notFound();
  return submitIntent(
    formData,
    PublishSchema,
    (v) => setDropPublished(context.rt, ctx, v.dropId, v.isPublished),
    () =>
      redirectWithToast(context, new URL(request.url).pathname, { kind: "success", key: "studioDrops.publishChanged" }),
  );
}

export default function StudioDrop() {
  const { creator, drop, claims, waitlist } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  const t = useT();
  const locale = useLocale();
  useLiveRefresh();
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  const time = (iso: string | Date) => `${when.format(new Date(iso))} UTC`;
  return (
    <>
      <section className="card" aria-labelledby="drop-title">
        <p>
          <Link to={`/studio/${creator.slug}/drops`}>← {t("studioDrops.calendar")}</Link>
        </p>
        <h1 id="drop-title">{drop.title}</h1>
        <p className="muted">
          {drop.productTitle} · {drop.capability} {drop.period}
          {drop.shipBy ? ` · ${t("storefront.shipBy", { date: drop.shipBy })}` : ""}
        </p>
        <p data-phase={drop.phase}>
          {t(`studioDrops.phase.${drop.phase}`)} · {t("studioDrops.opens")}: {time(drop.opensAt)}
          {drop.closesAt ? ` · ${t("studioDrops.closes")}: ${time(drop.closesAt)}` : ""}
        </p>
        <p>
          {drop.tierNames.length
            ? t("studioDrops.gatedTo", { tiers: drop.tierNames.join(", ") })
            : t("studioDrops.anyMember")}
          {drop.earlyAccessAt
            ? ` · ${t("studioDrops.earlyAccess", {
                tiers: drop.earlyAccessTierNames.join(", "),
                when: time(drop.earlyAccessAt),
              })}`
            : ""}
        </p>
        <p className="muted">{t("studioDrops.limits", { limit: drop.perMemberLimit, minutes: drop.holdMinutes })}</p>
        <FormErrors result={result} intent="publish" />
        <p>{t(drop.isPublished ? "studioDrops.published" : "studioDrops.draft")}</p>
        <PublishButton dropId={drop.id} isPublished={drop.isPublished} />
      </section>
      <section className="card" aria-labelledby="sell-through-title">
        <h2 id="sell-through-title">{t("studioDrops.sellThrough")}</h2>
        <dl className="sell-through" data-sell-through="">
          <dt>{t("studioDrops.quantity")}</dt>
          <dd data-quantity={drop.quantity}>{drop.quantity}</dd>
          <dt>{t("studioDrops.confirmed")}</dt>
          <dd data-confirmed={drop.confirmed}>{drop.confirmed}</dd>
          <dt>{t("studioDrops.reserved")}</dt>
          <dd data-reserved={drop.reserved}>{drop.reserved}</dd>
          <dt>{t("studioDrops.remaining")}</dt>
          <dd data-remaining={drop.remaining}>{drop.remaining}</dd>
          <dt>{t("studioDrops.waiting")}</dt>
          <dd data-waiting={drop.waiting}>{drop.waiting}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="claims-title">
        <h2 id="claims-title">{t("studioDrops.claims")}</h2>
        {claims.length === 0 ? (
          <p className="empty">{t("studioDrops.noClaims")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("studioDrops.member")}</th>
                <th scope="col">{t("studioDrops.quantity")}</th>
                <th scope="col">{t("studioDrops.status")}</th>
                <th scope="col">{t("studioDrops.claimedAt")}</th>
                <th scope="col">{t("studioDrops.holdUntil")}</th>
              </tr>
            </thead>
            <tbody>
              {claims.map((c) => (
                <tr key={c.id} data-claim={c.id} data-status={c.status}>
                  <td>{c.member}</td>
                  <td>{c.quantity}</td>
                  <td>{t(`studioDrops.claim.${c.status as "reserved" | "confirmed" | "expired" | "cancelled"}`)}</td>
                  <td>{time(c.createdAt)}</td>
                  <td>{c.status === "reserved" ? time(c.expiresAt) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="waitlist-title">
        <h2 id="waitlist-title">{t("studioDrops.waitlist")}</h2>
        {waitlist.length === 0 ? (
          <p className="empty">{t("studioDrops.noWaitlist")}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t("studioDrops.member")}</th>
                <th scope="col">{t("studioDrops.status")}</th>
                <th scope="col">{t("studioDrops.joinedAt")}</th>
              </tr>
            </thead>
            <tbody>
              {waitlist.map((w) => (
                <tr key={w.id} data-waitlist-entry={w.id} data-status={w.status}>
                  <td>{w.member}</td>
                  <td>{t(`studioDrops.wait.${w.status as "waiting" | "offered" | "lapsed" | "left"}`)}</td>
                  <td>{time(w.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
