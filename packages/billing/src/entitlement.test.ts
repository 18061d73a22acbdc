import { describe, expect, it } from "vitest";
import { isEntitled, type EntitlementState } from "./entitlement";

const now = new Date("2026-12-01T12:00:00Z");
const day = 86_400_000;
const state = (over: Partial<EntitlementState>): EntitlementState => ({
  status: "active",
  pastDueSince: null,
  currentPeriodEnd: new Date(now.getTime() + 10 * day),
  cancelAtPeriodEnd: false,
  ...over,
});

describe("isEntitled", () => {
  it("grants active and trialing, never paused, incomplete, canceled or unpaid", () => {
    expect(isEntitled(state({ status: "active" }), now)).toBe(true);
    expect(isEntitled(state({ status: "trialing" }), now)).toBe(true);
    for (const status of ["paused", "incomplete", "incomplete_expired", "canceled", "unpaid"] as const)
      expect(isEntitled(state({ status }), now), status).toBe(false);
  });

  it("grants past_due only within the configured grace period from the first failure", () => {
    const since = new Date(now.getTime() - 2 * day);
    expect(isEntitled(state({ status: "past_due", pastDueSince: since }), now, 3)).toBe(true);
    expect(isEntitled(state({ status: "past_due", pastDueSince: since }), now, 2)).toBe(false);
    expect(isEntitled(state({ status: "past_due", pastDueSince: null }), now, 30)).toBe(false);
  });

  it("ends a subscription set to cancel at period end exactly at that instant", () => {
    const end = new Date(now.getTime() + 1000);
    const s = state({ cancelAtPeriodEnd: true, currentPeriodEnd: end });
    expect(isEntitled(s, new Date(end.getTime() - 1))).toBe(true);
    expect(isEntitled(s, end)).toBe(false);
    expect(isEntitled({ ...s, cancelAtPeriodEnd: false }, end)).toBe(true);
  });
});
