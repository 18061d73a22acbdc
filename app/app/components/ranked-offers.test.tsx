import type { ReactNode } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import type { OfferCard, OfferPayload } from "@kiln/personalization/browser";

/**
 * "Recommended for you" as the server renders it (issue 9 §5): the offers in the server's order, which
 * is the whole answer without JavaScript; the on-device re-ranking after hydration is covered by
 * tests/e2e/personalization.spec.ts and the scorer by tests/personalization/parity.test.ts.
 */
const state: { locale: "en" | "de" } = vi.hoisted(() => ({ locale: "en" }));
vi.mock("@remix-run/react", () => ({
  useRouteLoaderData: () => ({ locale: state.locale }),
  Link: ({ to, children }: { to: string; children: ReactNode }) => <a href={to}>{children}</a>,
}));
const { RankedOffers } = await import("./ranked-offers");

const card = (id: string, title: string, extra: Partial<OfferCard> = {}): OfferCard => ({
  offerId: id,
  productId: `p-${id}`,
  dropId: id,
  title,
  productTitle: `${title} product`,
  href: `/s/ada/drops/${id}`,
  priceMinor: 2500,
  currency: "EUR",
  tags: ["pastel"],
  isOpen: true,
  isMemberOnly: false,
  opensAt: "2026-11-30T09:00:00.000Z",
  serverFeatures: [0.1, 0, 0.2, 0, 1, 0.5, 0, 0.4, 0.3, 0, 0, 0.2],
  ...extra,
});
const payload = (extra: Partial<OfferPayload> = {}): OfferPayload => ({
  exposureId: "5d0c7f7e-4a51-4c55-9a3c-1d1f7f6f2b10",
  assignedArm: "device",
  servedArm: "server",
  serverFallback: null,
  modelVersion: "v1",
  modelUrl: "/models/offer-ranker/v1.onnx",
  featureSpec: "offer-features/1",
  offers: [card("b", "Second id first"), card("a", "Upcoming", { isOpen: false, isMemberOnly: true })],
  ...extra,
});

describe("RankedOffers (server render)", () => {
  it("lists the offers in the server's order, marked as ranked by the server", () => {
    const html = renderToString(<RankedOffers payload={payload()} />);
    expect([...html.matchAll(/data-offer-id="([^"]+)"/g)].map((m) => m[1])).toEqual(["b", "a"]);
    expect(html).toContain('data-ranked-by="server"');
    expect(html).toContain('data-assigned-arm="device"');
    expect(html).toContain("Recommended for you");
    expect(html).toContain("Members only");
    expect(html).toContain('href="/s/ada/drops/b"');
    // The page carries the server features for the device, never a device-only history.
    expect(html).not.toMatch(/dwell/i);
  });

  it("speaks German, and says when the order is not personalised", () => {
    state.locale = "de";
    const html = renderToString(<RankedOffers payload={payload({ assignedArm: "holdout", servedArm: "holdout" })} />);
    state.locale = "en";
    expect(html).toContain("Für Sie empfohlen");
    expect(html).toContain("Beliebte und kommende Drops.");
  });

  it("renders nothing without offers", () => {
    expect(renderToString(<RankedOffers payload={payload({ offers: [] })} />)).toBe("");
  });
});
