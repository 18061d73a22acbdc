import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { loadRulePacks } from "@kiln/compliance";
import { useLocale, useT } from "../i18n/react";
import { requireReviewerOf } from "../review.server";

export const meta: MetaFunction = () => [{ title: "Rule packs · Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { coop } = await requireReviewerOf(context, request, params.coopSlug);
  const packs = [...loadRulePacks().values()].map((p) => ({
    jurisdiction: p.jurisdiction,
    name: p.name,
    version: p.version,
    description: p.description,
    extends: p.extends ?? [],
    rules: p.rules.map((r) => ({ ...r, fixtures: undefined })),
  }));
  return { coop, packs };
}

export default function RulePacks() {
  const t = useT();
  const locale = useLocale();
  const { coop, packs } = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <p>
        <Link to={`/review/${coop.slug}`}>← {t("review.queue")}</Link>
      </p>
      <h1>{t("review.rulePacks")}</h1>
      {packs.map((p) => (
        <details key={p.jurisdiction}>
          <summary>
            <strong>{p.jurisdiction}</strong> · {p.name} · v{p.version}
            {p.extends.length ? ` · ${t("review.extends", { packs: p.extends.join(", ") })}` : ""}
          </summary>
          <p className="muted">{p.description}</p>
          <ul className="list">
            {p.rules.map((r) => (
              <li key={r.id}>
                <code>{r.id}</code> [{r.confidence}] {r.title} — <small>{r.citation}</small>
                <br />
                <small className="muted">
                  {t("review.effective", { from: r.effectiveFrom, until: r.effectiveUntil ?? "—" })} · {r.severity} ·{" "}
                  {r.check.kind}
                </small>
                <br />
                <small>{r.message[locale]}</small>
              </li>
            ))}
          </ul>
        </details>
      ))}
    </section>
  );
}
