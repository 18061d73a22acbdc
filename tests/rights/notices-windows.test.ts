import { describe, expect, it } from "vitest";
import {
  applicableWindows,
  checkNoticeSchedule,
  chooseSendDate,
  dateWindow,
  evaluateTerms,
  planNoticeDate,
  planPriceChangeDate,
  planRenewalReminder,
  sampleTermsData,
  type Terms,
} from "@kiln/compliance";
import { renderOrderPage } from "../../app/app/compliance.server";

/**
 * The §8.6 timing matrix as executable rules (issue 4 / issue 6 item 3): the windows come from
 * legal/packs (`check.window`), one send date is chosen inside all of them, and the engine fails a
 * rule whose window no schedule can meet for the tier's terms. Test names carry the rule ids.
 */
const DAY = 86_400_000;
const at = new Date("2026-11-30T12:00:00Z");
const after2027 = new Date("2027-05-01T12:00:00Z");
const days = (from: Date, to: Date) => Math.round((to.getTime() - from.getTime()) / DAY);

function terms(patch: Partial<Terms> = {}): Terms {
  return { ...sampleTermsData(), ...patch };
}
const yearly = terms({ interval: "year", price: { amountMinor: 9000, currency: "USD", taxInclusive: false } });
const monthly = terms({ price: { amountMinor: 900, currency: "USD", taxInclusive: false } });

describe("choosing one date inside every window", () => {
  it("CA-10 + NY-7 (+ CA-11): an annual reminder for a member under both goes at T−30 (research §8.6 example)", () => {
    const renewal = new Date("2027-11-30T12:00:00Z");
    const windows = [
      ...applicableWindows("US-CA", yearly, at, "renewal-reminder"),
      ...applicableWindows("US-NY", yearly, at, "renewal-reminder"),
    ];
    expect(windows.map((w) => w.ruleId).sort()).toEqual(["CA-10", "CA-11", "NY-7"]);
    const dated = windows.map((w) => dateWindow(w, { conclusion: at, renewal }, 0)!);
    const plan = chooseSendDate(dated, at);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(days(plan.dueAt, renewal)).toBe(30);
    for (const w of dated) {
      if (w.from) expect(plan.dueAt >= w.from, w.ruleId).toBe(true);
      if (w.to) expect(plan.dueAt <= w.to, w.ruleId).toBe(true);
    }
  });

  it("NY-7 counts back from the cancellation deadline (renewal − notice days)", () => {
    const renewal = new Date("2027-11-30T12:00:00Z");
    const withNotice = { ...yearly, renewal: { ...yearly.renewal, noticeDays: 10 } };
    const plan = planNoticeDate({
      jurisdiction: "US-NY",
      terms: withNotice,
      at,
      notice: "renewal-reminder",
      events: { conclusion: at, renewal },
      earliest: at,
    });
    expect(plan?.ok && days(plan.dueAt, renewal)).toBe(40);
  });

  it("CA-9 + V-3.trial-ending: a 60-day trial's reminder goes 14 days before it ends (inside 3–21 and ≥ 7)", () => {
    const trial = { ...yearly, trial: { days: 60, priceMinor: 0 } };
    const trialEnd = new Date(at.getTime() + 60 * DAY);
    const plan = planNoticeDate({
      jurisdiction: "US-CA",
      terms: trial,
      at,
      notice: "trial-ending",
      events: { conclusion: at, trialEnd },
      earliest: at,
    });
    expect(plan?.ok && plan.ruleIds).toEqual(["CA-9", "V-3.trial-ending"]);
    expect(plan?.ok && days(plan.dueAt, trialEnd)).toBe(14);
  });

  it("CA-12 + NY-4 + V-3.price-change: windows 7–30, 5–30 and ≥ 7 days meet; the date moves up to now when late", () => {
    const change = new Date(at.getTime() + 10 * DAY);
    const ca = applicableWindows("US-CA", monthly, at, "price-change").map((w) =>
      dateWindow(w, { conclusion: at, priceChange: change }, 0)!,
    );
    const ny = applicableWindows("US-NY", monthly, at, "price-change").map((w) =>
      dateWindow(w, { conclusion: at, priceChange: change }, 0)!,
    );
    expect(ca.map((w) => w.ruleId)).toEqual(["CA-12", "V-3.price-change"]);
    expect(ny.map((w) => w.ruleId)).toEqual(["NY-4", "V-3.price-change"]);
    const plan = chooseSendDate([...ca, ...ny], at);
    // Intersection is 30–7 days before: its middle (18 days before, i.e. 8 days ago) is past, so: now.
    expect(plan.ok && plan.dueAt.toISOString()).toBe(at.toISOString());
    expect(plan.ok && [plan.from && days(plan.from, change), plan.to && days(plan.to, change)]).toEqual([30, 7]);
    // Far enough ahead, the middle of the intersection: 18 days before.
    const later = new Date(at.getTime() + 40 * DAY);
    const all = [
      ...applicableWindows("US-CA", monthly, at, "price-change"),
      ...applicableWindows("US-NY", monthly, at, "price-change"),
    ];
    const mid = chooseSendDate(
      all.map((w) => dateWindow(w, { conclusion: at, priceChange: later }, 0)!),
      at,
    );
    expect(mid.ok && days(mid.dueAt, later)).toBe(18);
  });

  it("refuses disjoint windows and names both rules", () => {
    const change = new Date(at.getTime() + 100 * DAY);
    const plan = chooseSendDate(
      [
        {
          ruleId: "CA-12",
          event: "price-change",
          eventAt: change,
          from: new Date(change.getTime() - 30 * DAY),
          to: new Date(change.getTime() - 7 * DAY),
        },
        {
          ruleId: "TEST-60",
          event: "price-change",
          eventAt: change,
          from: new Date(change.getTime() - 90 * DAY),
          to: new Date(change.getTime() - 60 * DAY),
        },
      ],
      at,
    );
    expect(plan).toMatchObject({ ok: false, reason: "disjoint", ruleIds: ["CA-12", "TEST-60"] });
  });

  it("CA-12: a change whose next renewal is too close applies at the following renewal", () => {
    const nextRenewal = new Date(at.getTime() + 5 * DAY);
    const r = planPriceChangeDate(applicableWindows("US-CA", monthly, at, "price-change"), {
      conclusion: new Date("2026-01-01T00:00:00Z"),
      nextRenewal,
      terms: monthly,
      now: at,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.effectiveAt.toISOString()).toBe("2027-01-05T12:00:00.000Z");
    expect(r.plan.ruleIds).toEqual(["CA-12", "V-3.price-change"]);
    expect(days(r.plan.dueAt, r.effectiveAt)).toBeGreaterThanOrEqual(7);
    expect(days(r.plan.dueAt, r.effectiveAt)).toBeLessThanOrEqual(30);
  });

  it("CA-11: a monthly plan gets an annual reminder before the 12th renewal, and the next one 12 months later", () => {
    const conclusion = new Date("2026-01-15T00:00:00Z");
    const ask = (renewal: string, last: Date) =>
      planRenewalReminder({
        jurisdiction: "US-CA",
        terms: monthly,
        at,
        conclusion,
        renewal: new Date(renewal),
        lastReminderAt: last,
        earliest: conclusion,
      });
    expect(ask("2026-12-15T00:00:00Z", conclusion)).toBeNull();
    const first = ask("2027-01-15T00:00:00Z", conclusion);
    expect(first?.kind).toBe("annual-reminder");
    expect(first?.plan.ok && first.plan.ruleIds).toEqual(["CA-11"]);
    const sent = first!.plan.ok ? first!.plan.dueAt : conclusion;
    expect(sent <= new Date("2027-01-15T00:00:00Z")).toBe(true);
    expect(ask("2027-12-15T00:00:00Z", sent)).toBeNull();
    const second = ask("2028-01-15T00:00:00Z", sent);
    expect(second?.plan.ok && days(sent, second.plan.dueAt)).toBeLessThanOrEqual(366);
  });

  it("UK-S5: from commencement, a monthly plan gets a reminder every six months (none before it)", () => {
    const conclusion = new Date("2027-05-01T00:00:00Z");
    expect(
      planRenewalReminder({
        jurisdiction: "UK",
        terms: monthly,
        at,
        conclusion,
        renewal: new Date("2027-11-01T00:00:00Z"),
        lastReminderAt: conclusion,
        earliest: conclusion,
      }),
    ).toBeNull();
    const due = planRenewalReminder({
      jurisdiction: "UK",
      terms: monthly,
      at: after2027,
      conclusion,
      renewal: new Date("2027-11-01T00:00:00Z"),
      lastReminderAt: conclusion,
      earliest: conclusion,
    });
    expect(due?.kind).toBe("renewal-reminder");
    expect(due?.plan.ok && due.plan.ruleIds).toEqual(["UK-S5"]);
  });
});

describe("the engine checks that a schedule can meet each window (publish-time)", () => {
  const order = (t: Terms, jurisdiction: "US" | "US-CA" | "US-NY" | "UK", when = at) =>
    evaluateTerms({
      terms: t,
      jurisdictions: [jurisdiction],
      locale: "en",
      at: when,
      pages: { order: renderOrderPage(t, "en", when) },
    });
  const finding = (e: ReturnType<typeof order>, id: string) => e.findings.find((f) => f.ruleId === id)!;

  it("V-3.trial-ending: a 5-day trial leaves no day ≥ 7 days before the first charge → warning", () => {
    const short = { ...monthly, trial: { days: 5, priceMinor: 0 } };
    const f = finding(order(short, "US"), "V-3.trial-ending");
    expect(f.status).toBe("warn");
    expect(f.detail).toContain("V-3.trial-ending");
    expect(checkNoticeSchedule("US", short, at, "trial-ending")).toMatchObject({ ok: false, reason: "too-late" });
    const long = { ...monthly, trial: { days: 14, priceMinor: 0 } };
    expect(finding(order(long, "US"), "V-3.trial-ending").status).toBe("pass");
  });

  it("NY-7: 360 days' notice on a yearly plan puts the whole window before the contract → fail", () => {
    const late = { ...yearly, renewal: { ...yearly.renewal, noticeDays: 360 } };
    const f = finding(order(late, "US-NY"), "NY-7");
    expect(f.status).toBe("fail");
    expect(f.detail).toContain("NY-7");
    expect(finding(order(yearly, "US-NY"), "NY-7").status).toBe("pass");
  });

  it("UK-S5.trial-ending: from commencement, a 2-day trial cannot get its reminder 3–28 days before → fail", () => {
    const short = { ...monthly, trial: { days: 2, priceMinor: 0 } };
    expect(finding(order(short, "UK", after2027), "UK-S5.trial-ending").status).toBe("fail");
    expect(finding(order(short, "UK", at), "UK-S5.trial-ending").status).toBe("skipped");
  });

  it("CA-10 passes with the send date stated in its detail", () => {
    const f = finding(order(yearly, "US-CA"), "CA-10");
    expect(f.status).toBe("pass");
    expect(f.detail).toMatch(/gets it on 2027-\d\d-\d\d \(CA-10, CA-11\)/);
  });
});
