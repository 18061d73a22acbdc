import type { ReactNode } from "react";
import { renderToString } from "react-dom/server";
import { beforeEach, describe, expect, it, vi } from "vitest";

/**
 * The drop page's gate (issue 8 §2) renders from its loader's data (tests/drops/gating.test.ts checks
 * the loader): a member without a qualifying tier is offered the tiers to subscribe to and gets no
 * claim button; an early-access member sees the button before the drop opens to everyone.
 */
const state: { loader: unknown; locale: "en" | "de" } = vi.hoisted(() => ({ loader: {}, locale: "en" }));
vi.mock("@remix-run/react", () => ({
  useLoaderData: () => state.loader,
  useActionData: () => undefined,
  useRouteLoaderData: () => ({ locale: state.locale }),
  Form: ({ children }: { children: ReactNode }) => <form method="post">{children}</form>,
  Link: ({ to, children, ...rest }: { to: string; children: ReactNode }) => (
    <a href={to} {...rest}>
      {children}
    </a>
  ),
}));

const { default: DropPage } = await import("./s.$creatorSlug.drops.$dropId");

const now = "2026-12-14T10:00:00.000Z";
const base = {
  creator: { id: "c1", slug: "ada", displayName: "Ada Prints" },
  drop: {
    id: "d1",
    title: "Members' restock",
    productId: "p1",
    productTitle: "Night print",
    productTags: ["mono"],
    priceMinor: 3000,
    deliveryMinor: 490,
    currency: "EUR",
    opensAt: "2026-12-14T11:00:00.000Z",
    closesAt: null,
    earlyAccessAt: "2026-12-14T09:30:00.000Z",
    isMemberOnly: true,
    isOpen: false,
    shipBy: null,
  },
  remaining: 12,
  signedIn: true,
  now,
  waitlistPosition: null,
  idempotencyKey: "key-1234567890",
  viewBeaconUrl: null,
};
const tiers = [
  { id: "t-basic", name: "Basic", rank: 1, isEarlyAccess: false, isHeld: false },
  { id: "t-plus", name: "Plus", rank: 2, isEarlyAccess: true, isHeld: false },
];

beforeEach(() => {
  state.locale = "en";
});

describe("drop page gate", () => {
  it("offers the tiers to a member who holds none, without a claim button (en and de)", () => {
    state.loader = {
      ...base,
      drop: { ...base.drop, isOpen: true, opensAt: "2026-12-14T09:00:00.000Z" },
      gate: { tiers, isMemberOnly: true, isEntitled: false, isEarlyAccess: false },
    };
    const html = renderToString(<DropPage />);
    expect(html).toContain('href="/s/ada/tiers/t-basic"');
    expect(html).toContain("Subscribe to Basic");
    expect(html).toContain("Subscribe to Plus (early access)");
    expect(html).not.toContain('name="intent" value="claim"');
    state.locale = "de";
    expect(renderToString(<DropPage />)).toContain("Plus abonnieren (Frühzugang)");
  });

  it("an early-access member gets the claim button before the drop opens; others see when it opens", () => {
    state.loader = {
      ...base,
      gate: {
        tiers: [tiers[0], { ...tiers[1], isHeld: true }],
        isMemberOnly: true,
        isEntitled: true,
        isEarlyAccess: true,
      },
    };
    const early = renderToString(<DropPage />);
    expect(early).toContain('value="claim"');
    expect(early).toContain("data-early-access");
    expect(early).not.toContain("data-gate-offer");
    state.loader = {
      ...base,
      gate: {
        tiers: [{ ...tiers[0], isHeld: true }, tiers[1]],
        isMemberOnly: true,
        isEntitled: true,
        isEarlyAccess: false,
      },
    };
    const basic = renderToString(<DropPage />);
    expect(basic).not.toContain('value="claim"');
    expect(basic).toContain("data-opens-countdown");
  });
});
