import type { ReactNode } from "react";
import { renderToString } from "react-dom/server";
import { beforeEach, describe, expect, it, vi } from "vitest";

/**
 * The billing operations screens render (en and de) from their loaders' data: Remix's hooks are
 * stubbed with that data, so this checks the markup the pages produce, not the loaders (see
 * tests/billing/reports.test.ts for those).
 */
const state: { loader: unknown; locale: "en" | "de" } = vi.hoisted(() => ({ loader: {}, locale: "en" }));
vi.mock("@remix-run/react", () => ({
  useLoaderData: () => state.loader,
  useActionData: () => undefined,
  useRouteLoaderData: () => ({ locale: state.locale }),
  Form: ({ children, ...props }: { children: ReactNode }) => <form {...props}>{children}</form>,
  Link: ({ to, children }: { to: string; children: ReactNode }) => <a href={to}>{children}</a>,
}));

const { default: StudioBilling } = await import("../routes/studio.$creatorSlug.billing");
const { default: CoopBilling } = await import("../routes/coop.$coopSlug.billing");

const studio = {
  creator: { slug: "ada", displayName: "Ada Prints" },
  isOwner: true,
  connect: { status: "enabled", chargesEnabled: true, payoutsEnabled: true, detailsSubmitted: true },
  subscribers: [
    {
      id: "s1",
      memberName: "Mia",
      tierName: "Zine Club",
      status: "active",
      cancelAtPeriodEnd: false,
      currentPeriodEnd: "2026-12-29T10:00:00.000Z",
      finalAction: null,
      price: { amountMinor: 900, currency: "eur" },
      dispute: { status: "needs_response", reason: "fraudulent", amount: { amountMinor: 900, currency: "eur" } },
    },
  ],
  disputes: [
    {
      id: "d1",
      target: "order",
      stripeDisputeId: "dp_1",
      status: "needs_response",
      reason: "fraudulent",
      amount: { amountMinor: 900, currency: "eur" },
      open: true,
      createdAt: "2026-11-29T10:00:00.000Z",
    },
  ],
  mrr: [{ amountMinor: 900, currency: "eur" }],
  churn: { periodDays: 30, canceled: 1, activeNow: 3, rateBps: 2500 },
  refunds: [
    {
      id: "re_1",
      amount: { amountMinor: 100, currency: "eur" },
      status: "succeeded",
      created: 1_764_410_400,
      charge: "ch_1",
    },
  ],
  balance: { available: [{ amountMinor: 700, currency: "eur" }], pending: [] },
};

const coop = {
  coop: { slug: "north", name: "North Co-op" },
  settings: { applicationFeeBps: 500, graceDays: 7, finalAction: "cancel" },
  deadLetters: [
    {
      stripeEventId: "evt_1",
      type: "customer.subscription.updated",
      account: "acct_1",
      attempts: 5,
      lastError: "Error: worker crashed",
      receivedAt: "2026-11-29T10:00:00.000Z",
      deadLetteredAt: "2026-11-29T10:05:00.000Z",
    },
  ],
  reconciliations: [
    {
      id: "r1",
      trigger: "manual",
      checked: 12,
      repaired: 1,
      differences: [
        {
          kind: "missed_event",
          account: "acct_1",
          object: "customer.subscription.updated evt_2",
          kiln: null,
          stripe: "processed",
          repaired: true,
        },
      ],
      error: null,
      startedAt: "2026-11-29T10:00:00.000Z",
    },
  ],
};

beforeEach(() => {
  state.locale = "en";
});

describe("billing operations screens", () => {
  it("creator billing: subscribers with the dispute flag, MRR, churn, refunds, balance — in English and German", () => {
    state.loader = studio;
    const en = renderToString(<StudioBilling />);
    expect(en).toContain("Billing of Ada Prints");
    expect(en).toContain('data-disputed="yes"');
    expect(en).toContain("Disputed (needs_response)");
    expect(en).toContain("€9.00");
    expect(en).toContain("25.0 %");
    expect(en).toContain("Available: €7.00");
    expect(en).toMatch(/drop order · (<!-- -->)?€9.00 · fraudulent/);
    state.locale = "de";
    const de = renderToString(<StudioBilling />);
    expect(de).toContain("Abrechnung von Ada Prints");
    expect(de).toContain("Rückbuchung (needs_response)");
    expect(de).toContain("9,00");
    expect(de).toContain("Drop-Bestellung");
  });

  it("co-op billing: fee form, dead letter with a retry button, reconciliation report — in English and German", () => {
    state.loader = coop;
    const en = renderToString(<CoopBilling />);
    expect(en).toContain('name="applicationFeeBps"');
    expect(en).toContain('value="500"');
    expect(en).toContain('data-dead-letter="evt_1"');
    expect(en).toContain(">Retry<");
    expect(en).toContain("12 checked, 1 repaired");
    state.locale = "de";
    const de = renderToString(<CoopBilling />);
    expect(de).toContain("Erneut versuchen");
    expect(de).toContain("12 geprüft, 1 repariert");
  });
});
