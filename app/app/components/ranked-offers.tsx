import { Link } from "@remix-run/react";
import { useEffect, useState } from "react";
import { formatMoney } from "@kiln/compliance/disclosure";
import { scoreOffers, type FallbackReason, type OfferCard, type OfferPayload } from "@kiln/personalization/browser";
import { readDeviceHistory } from "@kiln/personalization/device-history";
import { useLocale, useT } from "../i18n/react";

/**
 * "Recommended for you" (issue 9 §5): the offers in the server's order as rendered (the whole answer
 * without JavaScript), re-ranked on this device when the member's arm is "device" and the device can.
 * The device's browsing history is read here and used here only; what goes back to Kiln is which arm
 * served the list (and why the device could not), never features or history.
 */
export function RankedOffers({ payload }: { payload: OfferPayload }) {
  const t = useT();
  const locale = useLocale();
  const [ranking, setRanking] = useState<{ exposureId: string | null; offers: OfferCard[]; by: "device" | "server" }>({
    exposureId: payload.exposureId,
    offers: payload.offers,
    by: "server",
  });
  // A new payload (revalidation, another member) starts again from the server's order.
  if (ranking.exposureId !== payload.exposureId) {
    setRanking({ exposureId: payload.exposureId, offers: payload.offers, by: "server" });
  }

  const { assignedArm, exposureId, modelUrl, offers } = payload;
  useEffect(() => {
    if (assignedArm !== "device" || !exposureId || !modelUrl || offers.length === 0) return;
    let current = true;
    void scoreOffers(offers, readDeviceHistory(), { modelUrl }).then((result) => {
      if (!current) return;
      if (result.servedArm === "device") setRanking({ exposureId, offers: result.offers, by: "device" });
      reportServedArm(exposureId, result.servedArm, result.servedArm === "server" ? result.fallbackReason : null);
    });
    return () => {
      current = false;
    };
  }, [assignedArm, exposureId, modelUrl, offers]);

  if (offers.length === 0) return null;
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const lead =
    ranking.by === "device"
      ? t("offers.leadDevice")
      : payload.servedArm === "server"
        ? t("offers.lead")
        : t("offers.leadGeneral");
  return (
    <section
      aria-labelledby="offers-title"
      data-ranked-offers=""
      data-assigned-arm={payload.assignedArm ?? undefined}
      data-model-version={payload.modelVersion ?? undefined}
      data-exposure-id={payload.exposureId ?? undefined}
      data-ranked-by={ranking.by}
    >
      <h2 id="offers-title">{t("offers.title")}</h2>
      <p className="muted">{lead}</p>
      <ol>
        {ranking.offers.map((offer) => (
          <li key={offer.offerId} data-offer-id={offer.offerId}>
            <Link to={offer.href}>{offer.title}</Link> · {offer.productTitle} ·{" "}
            {formatMoney(offer.priceMinor, offer.currency, locale)}
            {offer.isMemberOnly ? <span className="badge"> {t("offers.memberOnly")}</span> : null}
            <span className="muted">
              {" · "}
              {offer.isOpen ? t("offers.openNow") : t("offers.opensAt", { when: when.format(new Date(offer.opensAt)) })}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The served-arm beacon: the arm and the fallback reason, nothing else. */
function reportServedArm(exposureId: string, servedArm: "device" | "server", fallbackReason: FallbackReason | null) {
  void fetch(`/api/v1/personalization/exposures/${encodeURIComponent(exposureId)}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    keepalive: true,
    body: JSON.stringify(fallbackReason ? { servedArm, fallbackReason } : { servedArm }),
  }).catch(() => undefined);
}
