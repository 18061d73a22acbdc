import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  createWaiver,
  decideTermsVersion,
  decideWaiverRequest,
  diffTermsVersions,
  getTermsVersion,
  listWaiverRequests,
  revokeWaiver,
} from "@kiln/compliance";
import { notFound, replyWithAppError } from "../errors.server";
import { FindingsTable } from "../components/findings-table";
import { useT } from "../i18n/react";
import { requireReviewerOf } from "../review.server";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Terms review · Kiln" }];

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("decide"),
    decision: z.enum(["approve", "reject"]),
    comment: z.string().trim().max(4000).default(""),
  }),
  z.object({
    intent: z.literal("waive"),
    jurisdiction: z.string(),
    ruleId: z.string(),
    reason: z.string().trim().min(10),
    expiresAt: z.coerce.date(),
  }),
  z.object({ intent: z.literal("revoke-waiver"), waiverId: z.uuid() }),
  z.object({
    intent: z.literal("decide-request"),
    requestId: z.uuid(),
    decision: z.enum(["grant", "decline"]),
    comment: z.string().trim().max(2000).default(""),
    expiresAt: z.coerce.date().optional(),
  }),
]);

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { coop, actor } = await requireReviewerOf(context, request, params.coopSlug);
  const detail = await getTermsVersion(context.rt, actor, params.termsVersionId ?? "").catch(() => notFound());
  const previous = detail.versions.find((v) => v.version < detail.version.version);
  const diff = previous
    ? await diffTermsVersions(context.rt, actor, { fromId: previous.id, toId: detail.version.id })
    : null;
  const waiverRequests = await listWaiverRequests(context.rt, actor, { tierId: detail.tier.id });
  return { coop, detail, diff, waiverRequests };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { coop, actor } = await requireReviewerOf(context, request, params.coopSlug);
  const submission = parseWithZod(await request.formData(), { schema: ActionSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const termsVersionId = params.termsVersionId ?? "";
  const v = submission.value;
  const detail = await getTermsVersion(context.rt, actor, termsVersionId).catch(() => notFound());
  try {
    if (v.intent === "decide")
      await decideTermsVersion(context.rt, actor, { termsVersionId, decision: v.decision, comment: v.comment });
    else if (v.intent === "waive")
      await createWaiver(context.rt, actor, { ...v, tierId: detail.tier.id, jurisdiction: v.jurisdiction as never });
    else if (v.intent === "decide-request") await decideWaiverRequest(context.rt, actor, v);
    else await revokeWaiver(context.rt, actor, v.waiverId);
  } catch (error) {
    return replyWithAppError(error, (o) => submission.reply(o));
  }
  return redirectWithToast(context, `/review/${coop.slug}/terms/${termsVersionId}`, {
    kind: "success",
    key: "review.saved",
  });
}

export default function TermsReview() {
  const t = useT();
  const { coop, detail, diff, waiverRequests } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { version, tier, findings, reviews } = detail;
  const shown = findings.filter((f) => f.status !== "skipped");
  return (
    <>
      <section className="card">
        <p>
          <Link to={`/review/${coop.slug}`}>← {t("review.queue")}</Link>
        </p>
        <h1>{t("review.versionTitle", { tier: tier.name, version: version.version })}</h1>
        <p className="muted">
          {t(("review.status." + version.status) as never)} · {tier.jurisdictions.join(", ")} ·{" "}
          <code>{version.contentHash.slice(0, 16)}</code>
        </p>
        {version.rereviewReason ? <p className="error">{version.rereviewReason}</p> : null}
        <h2>{t("review.findings")}</h2>
        <FindingsTable
          findings={shown}
          actions={(f) => (
            <>
              {f.status === "fail" && !f.waiver ? (
                <Form method="post" className="inline">
                  <input type="hidden" name="intent" value="waive" />
                  <input type="hidden" name="jurisdiction" value={f.jurisdiction} />
                  <input type="hidden" name="ruleId" value={f.ruleId} />
                  <input name="reason" placeholder={t("review.waiverReason")} required minLength={10} />
                  <input type="date" name="expiresAt" required />
                  <button type="submit">{t("review.waive")}</button>
                </Form>
              ) : null}
              {f.waiver ? (
                <Form method="post" className="inline">
                  <input type="hidden" name="intent" value="revoke-waiver" />
                  <input type="hidden" name="waiverId" value={f.waiver.id} />
                  <button type="submit">{t("review.revokeWaiver")}</button>
                </Form>
              ) : null}
            </>
          )}
        />
      </section>
      <section className="card" aria-labelledby="waiver-requests-title">
        <h2 id="waiver-requests-title">{t("review.waiverRequests")}</h2>
        {waiverRequests.length === 0 ? (
          <p className="empty">{t("review.waiverRequestsEmpty")}</p>
        ) : (
          <ul className="list" data-testid="waiver-requests">
            {waiverRequests.map((r) => (
              <li key={r.id}>
                <code>
                  {r.jurisdiction} {r.ruleId}
                </code>{" "}
                · {t(`tiers.waiverRequest.${r.status as "open" | "granted" | "declined"}`)} · {r.reason}
                {r.decisionComment ? ` · ${r.decisionComment}` : ""}
                {r.status === "open" ? (
                  <Form method="post" className="inline">
                    <input type="hidden" name="intent" value="decide-request" />
                    <input type="hidden" name="requestId" value={r.id} />
                    <input
                      name="comment"
                      placeholder={t("review.requestComment")}
                      aria-label={t("review.requestComment")}
                    />
                    <input type="date" name="expiresAt" aria-label={t("review.waived", { until: "" })} />
                    <button type="submit" name="decision" value="grant">
                      {t("review.grant")}
                    </button>{" "}
                    <button type="submit" name="decision" value="decline">
                      {t("review.decline")}
                    </button>
                  </Form>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      {diff ? (
        <section className="card">
          <h2>{t("review.diff", { from: diff.from.version, to: diff.to.version })}</h2>
          <p className="muted">{t("review.material", { fields: diff.material.join(", ") || "—" })}</p>
          <div className="diff-columns">
            <pre data-side="before">
              {diff.disclosure
                .filter((c) => c.kind !== "added")
                .map((c, i) => (
                  <span key={i} className={c.kind === "removed" ? "removed" : undefined}>
                    {c.value}
                  </span>
                ))}
            </pre>
            <pre data-side="after">
              {diff.disclosure
                .filter((c) => c.kind !== "removed")
                .map((c, i) => (
                  <span key={i} className={c.kind === "added" ? "added" : undefined}>
                    {c.value}
                  </span>
                ))}
            </pre>
          </div>
        </section>
      ) : null}
      <section className="card">
        <h2>{t("review.decision")}</h2>
        {reviews.length ? (
          <ul className="list">
            {reviews.map((r) => (
              <li key={r.id}>
                {t(`review.decision.${r.decision}` as never)} · {t("review.round", { round: r.round })}{" "}
                {r.comment ? `· ${r.comment}` : ""}
              </li>
            ))}
          </ul>
        ) : null}
        {version.status === "in_review" ? (
          <Form method="post">
            <input type="hidden" name="intent" value="decide" />
            <label className="field">
              {t("review.comment")}
              <textarea name="comment" rows={3} />
            </label>
            {result && "error" in result && result.error ? (
              <p className="error">{Object.values(result.error).flat().join(" ")}</p>
            ) : null}
            <button type="submit" name="decision" value="approve">
              {t("review.approve")}
            </button>{" "}
            <button type="submit" name="decision" value="reject">
              {t("review.reject")}
            </button>
          </Form>
        ) : null}
      </section>
    </>
  );
}
