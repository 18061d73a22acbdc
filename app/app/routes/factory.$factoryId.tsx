import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireMembership } from "../auth.server";
import { notFound } from "../errors.server";
import { useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Factory · Kiln" }];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const unverifiedFactoryId = params.factoryId;
  const { membership } = await requireMembership(
    context,
    request,
    (m) => m.role === "factory_operator" && m.factory?.id === unverifiedFactoryId,
  );
  return { factory: membership.factory ?? notFound(), coop: membership.coop };
}

export default function FactoryHome() {
  const t = useT();
  const { factory, coop } = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <h1>{t("factory.title", { name: factory.name })}</h1>
      <p className="muted">{t("studio.coop", { coop: coop.name })}</p>
      <h2>{t("factory.windows")}</h2>
      <p className="empty">{t("factory.windowsEmpty")}</p>
    </section>
  );
}
