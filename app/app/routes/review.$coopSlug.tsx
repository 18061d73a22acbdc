import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { listOpenWaiverRequests, listReviewQueue } from "@kiln/compliance";
import { useT } from "../i18n/react";
import { chainStatus, requireReviewerOf } from "../review.server";

export const meta: MetaFunction = () => [{ title: "Compliance review · Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { coop, actor } = await requireReviewerOf(context, request, params.coopSlug);
  const [queue, chain] = await Promise.all([listReviewQueue(context.rt, actor), chainStatus(context, coop.id)]);
  const waiverRequests = await listOpenWaiverRequests(context.rt, actor);
  return { coop, queue, chain, waiverRequests };
}

export default function ReviewerHome() {
  const t = useT();
  const { coop, queue, chain, waiverRequests } = useLoaderData<typeof loader>();
  const base = `/review/${coop.slug}`;
  return (
    <section className="card">
      <h1>{t("review.title", { name: coop.name })}</h1>
      <nav className="row">
        <Link to={`${base}/rules`}>{t("review.rulePacks")}</Link> ·{" "}
        <Link to={`${base}/consents`}>{t("review.consents")}</Link> ·{" "}
        <Link to={`${base}/evidence`}>{t("review.evidence")}</Link>
      </nav>
      <h2>{t("review.chain")}</h2>
      {chain.ok ? (
        <p className="ok" data-testid="chain-status">
          {t("review.chainOk", { entries: chain.entries, checkpoints: chain.checkpoints })}
        </p>
      ) : (
        <p className="error" data-testid="chain-status">
          {t("review.chainBroken", { seq: chain.brokenAt, reason: chain.reason })}
        </p>
      )}
      <h2>{t("review.queue")}</h2>
      {queue.length === 0 ? (
        <p className="empty">{t("review.queueEmpty")}</p>
      ) : (
        <ul className="list">
          {queue.map((q) => (
            <li key={q.id} className="row">
              <Link to={`${base}/terms/${q.id}`}>
                {q.creatorName} · {q.tierName} · v{q.version}
              </Link>
              <small className="muted">
                {q.jurisdictions.join(", ")} · {t("review.failing", { count: q.failing ?? 0 })}
                {q.rereviewReason ? ` · ${t("review.rereview")}` : ""}
              </small>
            </li>
          ))}
        </ul>
      )}
      <h2>{t("review.openWaiverRequests")}</h2>
      {waiverRequests.length === 0 ? (
        <p className="empty">{t("review.waiverRequestsNone")}</p>
      ) : (
        <ul className="list" data-testid="open-waiver-requests">
          {waiverRequests.map((r) => (
            <li key={r.id}>
              <Link to={`${base}/terms/${r.termsVersionId}`}>
                {r.creatorName} · {r.tierName} ·{" "}
                <code>
                  {r.jurisdiction} {r.ruleId}
                </code>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
