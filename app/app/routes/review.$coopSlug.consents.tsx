import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { searchConsents } from "@kiln/compliance";
import { useT } from "../i18n/react";
import { requireReviewerOf } from "../review.server";

export const meta: MetaFunction = () => [{ title: "Consents · Kiln" }];

const blankToUndefined = (v: unknown) => (v === "" || v === null ? undefined : v);
const QuerySchema = z.object({
  memberUserId: z.preprocess(blankToUndefined, z.uuid().optional()),
  memberEmail: z.preprocess(blankToUndefined, z.email().optional()),
  tierId: z.preprocess(blankToUndefined, z.uuid().optional()),
  from: z.preprocess(blankToUndefined, z.coerce.date().optional()),
  to: z.preprocess(blankToUndefined, z.coerce.date().optional()),
});

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { coop, actor } = await requireReviewerOf(context, request, params.coopSlug);
  const parsed = QuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  const query = parsed.success ? parsed.data : {};
  const consents = await searchConsents(context.rt, actor, query);
  return { coop, consents, invalid: !parsed.success };
}

export default function ConsentSearch() {
  const t = useT();
  const { coop, consents, invalid } = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <p>
        <Link to={`/review/${coop.slug}`}>← {t("review.queue")}</Link>
      </p>
      <h1>{t("review.consents")}</h1>
      <Form method="get" className="row">
        <input
          name="memberEmail"
          type="email"
          placeholder={t("review.memberEmail")}
          aria-label={t("review.memberEmail")}
        />
        <input name="memberUserId" placeholder={t("review.memberId")} />
        <input name="tierId" placeholder={t("review.tierId")} />
        <input type="date" name="from" aria-label={t("review.from")} />
        <input type="date" name="to" aria-label={t("review.to")} />
        <button type="submit">{t("review.search")}</button>
      </Form>
      {invalid ? <p className="error">{t("review.badQuery")}</p> : null}
      {consents.length === 0 ? (
        <p className="empty">{t("review.consentsEmpty")}</p>
      ) : (
        <ul className="list">
          {consents.map((c) => (
            <li key={c.id}>
              <code>{new Date(c.consentedAt).toISOString()}</code> · {c.jurisdiction} · <code>{c.memberUserId}</code> ·
              “{c.buttonLabel}” · <code>{c.disclosureHash.slice(0, 12)}</code>
              {c.personalDataErasedAt ? ` · ${t("review.erased")}` : ""}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
