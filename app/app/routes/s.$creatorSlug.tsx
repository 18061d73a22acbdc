import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { listStorefrontDrops } from "@kiln/drops";
import { rankOffersForMember } from "@kiln/personalization";
import { throwAsPage } from "../billing.server";
import { OpensCountdown } from "../components/countdown";
import { RankedOffers } from "../components/ranked-offers";
import { useLocale, useT } from "../i18n/react";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.creator.displayName ?? "Storefront"} · Kiln` },
];

const ParamsSchema = z.object({ creatorSlug: z.string().min(1).max(80) });

/**
 * The visitor storefront: a published creator's upcoming and open drops (public rows only), and for a
 * signed-in member the offers ranked for them (issue 9): in the server's order here, re-ranked on the
 * device by <RankedOffers> when the member's arm says so.
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const { creatorSlug } = ParamsSchema.parse(params);
  const storefront = await listStorefrontDrops(context.rt, creatorSlug).catch(throwAsPage);
  const now = context.rt.clock.now();
  const memberId = context.auth?.user.id ?? null;
  // Recommendations never take the storefront down: without them the drops list is the page.
  const offers = memberId
    ? await rankOffersForMember(context.rt, { creatorSlug, memberId, now }).catch((error: unknown) => {
        console.error("[kiln] storefront offers failed; showing the drops only", error);
        return null;
      })
    : null;
  // Kiln's clock: the countdowns tick from it.
  return { ...storefront, offers, now: now.toISOString() };
}

export default function Storefront() {
  const { creator, drops, offers, now } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  return (
    <section className="card" aria-labelledby="storefront-title">
      <h1 id="storefront-title">{creator.displayName}</h1>
      {offers ? <RankedOffers payload={offers} /> : null}
      <section aria-labelledby="storefront-drops">
        <h2 id="storefront-drops">{t("storefront.drops")}</h2>
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
    </section>
  );
}
