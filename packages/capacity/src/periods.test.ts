import { describe, expect, it } from "vitest";
import {
  currentPeriod,
  isPastPeriod,
  isPeriod,
  nextPeriod,
  periodOfDate,
  periodStart,
  periodsOfQuarter,
} from "./periods";

describe("ISO weeks in the co-op's time zone", () => {
  it("knows ISO week numbering at year boundaries", () => {
    expect(periodOfDate("2026-12-31")).toBe("2026-W53");
    expect(periodOfDate("2027-01-03")).toBe("2026-W53");
    expect(periodOfDate("2027-01-04")).toBe("2027-W01");
    expect(periodOfDate("2024-12-30")).toBe("2025-W01");
    expect(periodStart("2026-W49")).toBe("2026-11-30");
    expect(nextPeriod("2026-W53")).toBe("2027-W01");
    expect(isPeriod("2026-W53")).toBe(true);
    expect(isPeriod("2025-W53")).toBe(false);
    expect(isPeriod("2026-W5")).toBe(false);
  });

  it("computes the current week in the co-op's zone, not the server's", () => {
    // Sunday 23:30 UTC is already Monday in Berlin, still Sunday in Los Angeles.
    const instant = new Date("2026-11-29T23:30:00Z");
    expect(currentPeriod(instant, "Europe/Berlin")).toBe("2026-W49");
    expect(currentPeriod(instant, "America/Los_Angeles")).toBe("2026-W48");
    expect(isPastPeriod("2026-W48", instant, "Europe/Berlin")).toBe(true);
    expect(isPastPeriod("2026-W48", instant, "America/Los_Angeles")).toBe(false);
  });

  it("lists the weeks of a quarter without gaps or overlaps", () => {
    const q4 = periodsOfQuarter("2026-Q4");
    // 1 October 2026 is a Thursday: W40 began in September (Q3), so Q4 starts with W41.
    expect(q4[0]).toBe("2026-W41");
    expect(q4.at(-1)).toBe("2026-W53");
    expect(periodsOfQuarter("2027-Q1")[0]).toBe("2027-W01");
    // A week belongs to the quarter of its Monday: 2026-W01 began on 29 December 2025.
    expect(periodsOfQuarter("2025-Q4").at(-1)).toBe("2026-W01");
    const weeks = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"].flatMap(periodsOfQuarter);
    for (let i = 1; i < weeks.length; i++) expect(weeks[i]).toBe(nextPeriod(weeks[i - 1]!));
  });
});
