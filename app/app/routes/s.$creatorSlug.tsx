import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { listStorefrontDrops } from "@kiln/drops";
import { throwAsPage } from "../billing.server";
import { OpensCountdown } from "../components/countdown";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.creator.displayName ?? "Storefront"} · Kiln` },
];

const ParamsSchema = z.object({ creatorSlug: z.string().min(1).max(80) });

/** The visitor storefront: a published creator's upcoming and open drops (public rows only). */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const { creatorSlug } = ParamsSchema.parse(params);
  const storefront = await listStorefrontDrops(context.rt, creatorSlug).catch(throwAsPage);
  // Kiln's clock: the countdowns tick from it.
  return { ...storefront, now: context.rt.clock.now().toISOString() };
}

export default function Storefront() {
  const { creator, drops, now } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  return (
    <section className="card" aria-labelledby="storefront-title">
      <h1 id="storefront-title">{creator.displayName}</h1>
      <h2>{t("storefront.drops")}</h2>
      {drops.length === 0 ? (
        <p className="muted">{t("storefront.noDrops")}</p>
      ) : (
        <ul>
          {drops.map((drop) => (
            <li key={drop.id}>
              <h3>
                <Link to={`/s/${creator.slug}/drops/${drop.id}`}>{drop.title}</Link>
              </h3>
              <p>
                {drop.productTitle} ·{" "}
                {new Intl.NumberFormat(locale, { style: "currency", currency: drop.currency }).format(
                  drop.priceMinor / 100,
                )}
              </p>
              {drop.isMemberOnly ? <p className="badge">{t("storefront.memberOnly")}</p> : null}
              <p>
                {drop.isOpen
                  ? t("storefront.openNow")
                  : t("storefront.opensAt", { when: when.format(new Date(drop.opensAt)) })}
              </p>
              {drop.isOpen ? null : <OpensCountdown opensAt={drop.opensAt} now={now} />}
              {drop.shipBy ? <p className="muted">{t("storefront.shipBy", { date: drop.shipBy })}</p> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
