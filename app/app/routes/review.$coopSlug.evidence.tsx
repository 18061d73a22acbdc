import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { findEvidenceSubjects } from "@kiln/rights";
import { useT } from "../i18n/react";
import { requireReviewerOf } from "../review.server";

export const meta: MetaFunction = () => [{ title: "Evidence packs · Kiln" }];

const blankToUndefined = (v: unknown) => (v === "" || v === null ? undefined : v);
const QuerySchema = z.object({
  memberEmail: z.preprocess(blankToUndefined, z.email().optional()),
  tierId: z.preprocess(blankToUndefined, z.uuid().optional()),
});

/** The reviewer's evidence export: find a member by email or pick a tier, then download JSON or PDF. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { coop, actor } = await requireReviewerOf(context, request, params.coopSlug);
  const parsed = QuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  const found = await findEvidenceSubjects(context.rt, actor, parsed.success ? parsed.data : {});
  return { coop, ...found, query: parsed.success ? parsed.data : {}, invalid: !parsed.success };
}

export function downloadHref(coopSlug: string, scope: Record<string, string>, format: "json" | "pdf") {
  return `/review/${coopSlug}/evidence/download?${new URLSearchParams({ ...scope, format })}`;
}

export default function EvidenceSearch() {
  const t = useT();
  const { coop, tiers, tier, member, subscriptions, searched, query, invalid } = useLoaderData<typeof loader>();
  const base = `/review/${coop.slug}`;
  const scope: Record<string, string> | null = member ? { memberUserId: member.id } : tier ? { tierId: tier.id } : null;
  return (
    <section className="card">
      <p>
        <Link to={base}>← {t("review.queue")}</Link>
      </p>
      <h1>{t("evidence.title")}</h1>
      <p className="muted">{t("evidence.intro")}</p>
      <Form method="get" className="row">
        <input
          name="memberEmail"
          type="email"
          defaultValue={query.memberEmail ?? ""}
          placeholder={t("review.memberEmail")}
          aria-label={t("review.memberEmail")}
        />
        <select name="tierId" defaultValue={query.tierId ?? ""} aria-label={t("evidence.tier")}>
          <option value="">{t("evidence.pickTier")}</option>
          {tiers.map((x) => (
            <option key={x.id} value={x.id}>
              {x.creatorName} · {x.name}
            </option>
          ))}
        </select>
        <button type="submit">{t("evidence.find")}</button>
      </Form>
      {invalid ? <p className="error">{t("evidence.badQuery")}</p> : null}
      {searched && query.memberEmail && !member ? (
        <p className="empty" data-testid="evidence-none">
          {t("evidence.noMember")}
        </p>
      ) : null}
      {scope ? (
        <div data-testid="evidence-result">
          <h2>
            {member ? t("evidence.forMember", { email: member.email }) : t("evidence.forTier", { name: tier!.name })}
          </h2>
          <p className="row">
            <a className="button" href={downloadHref(coop.slug, scope, "json")} download>
              {t("evidence.downloadJson")}
            </a>
            <a className="button" href={downloadHref(coop.slug, scope, "pdf")} download>
              {t("evidence.downloadPdf")}
            </a>
          </p>
          {member ? (
            <>
              <h3>{t("evidence.subscriptions")}</h3>
              {subscriptions.length === 0 ? (
                <p className="empty">{t("evidence.noSubscriptions")}</p>
              ) : (
                <ul className="list">
                  {subscriptions.map((s) => (
                    <li key={s.id}>
                      <Link to={`${base}/subscriptions/${s.id}`}>
                        {s.tierName} · {s.status} · <code>{new Date(s.createdAt).toISOString().slice(0, 10)}</code>
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
