import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { createTier, CreateTierSchema, JURISDICTIONS, listTiers } from "@kiln/compliance";
import { requireCreatorTeam, submitIntent } from "../capacity.server";
import { FormErrors, type FormResult } from "../components/capacity";
import { notFound } from "../errors.server";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Tiers · Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const tiers = await listTiers(context.rt, ctx);
  return {
    creator: membership.creator ?? notFound(),
    isOwner: membership.role === "creator_owner",
    tiers,
    jurisdictions: [...JURISDICTIONS],
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  if (membership.role !== "creator_owner") notFound();
  return submitIntent(
    await request.formData(),
    CreateTierSchema,
    (v) => createTier(context.rt, ctx, v),
    (tier) =>
      redirectWithToast(context, `/studio/${params.creatorSlug}/tiers/${(tier as { id: string }).id}`, {
        kind: "success",
        key: "tiers.created",
      }),
  );
}

export default function StudioTiers() {
  const t = useT();
  const { creator, isOwner, tiers, jurisdictions } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  return (
    <>
      <section className="card">
        <p>
          <Link to={`/studio/${creator.slug}`}>← {t("tiers.backToStudio")}</Link>
        </p>
        <h1>{t("tiers.title", { name: creator.displayName })}</h1>
        <p className="muted">{t("tiers.lead")}</p>
        {tiers.length === 0 ? (
          <p className="empty">{t("tiers.empty")}</p>
        ) : (
          <ul className="list">
            {tiers.map((tier) => (
              <li key={tier.id}>
                <Link to={`/studio/${creator.slug}/tiers/${tier.id}`}>{tier.name}</Link> ·{" "}
                {t(`tiers.status.${tier.status as "draft" | "live" | "retired"}`)} · {tier.jurisdictions.join(", ")}
                {tier.latest
                  ? ` · ${t("tiers.versionStatus", {
                      version: tier.latest.version,
                      status: t(`review.status.${tier.latest.status}`),
                    })}`
                  : ` · ${t("tiers.noTerms")}`}
              </li>
            ))}
          </ul>
        )}
      </section>
      {isOwner ? (
        <section className="card" aria-labelledby="new-tier-title">
          <h2 id="new-tier-title">{t("tiers.new")}</h2>
          <Form method="post">
            <input type="hidden" name="intent" value="create" />
            <div className="field">
              <label htmlFor="tier-name">{t("tiers.name")}</label>
              <input id="tier-name" name="name" required minLength={2} maxLength={100} />
            </div>
            <fieldset className="field">
              <legend>{t("tiers.jurisdictions")}</legend>
              {jurisdictions.map((j) => (
                <label key={j} className="inline">
                  <input type="checkbox" name="jurisdictions" value={j} /> {j}
                </label>
              ))}
            </fieldset>
            <FormErrors result={result} intent="create" />
            <button type="submit">{t("tiers.create")}</button>
          </Form>
        </section>
      ) : null}
    </>
  );
}
