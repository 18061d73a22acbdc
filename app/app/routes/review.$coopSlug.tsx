import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireMembership } from "../auth.server";
import { useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Compliance review · Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership } = await requireMembership(
    context,
    request,
    (m) => m.role === "compliance_reviewer" && m.coop.slug === params.coopSlug,
  );
  return { coop: membership.coop };
}

export default function ReviewerHome() {
  const t = useT();
  const { coop } = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <h1>{t("review.title", { name: coop.name })}</h1>
      <h2>{t("review.queue")}</h2>
      <p className="empty">{t("review.queueEmpty")}</p>
    </section>
  );
}
