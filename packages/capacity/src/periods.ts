/**
 * Production windows are ISO weeks ("2026-W49") in the co-op's time zone. Dates are plain calendar
 * dates ("2026-12-01"); arithmetic on them runs in UTC so no zone or DST shift can move a day.
 */

const PERIOD = /^(\d{4})-W(\d{2})$/;
const DAY = 86_400_000;

export const isPeriod = (value: string) => {
  const m = PERIOD.exec(value);
  if (!m) return false;
  const week = Number(m[2]);
  return week >= 1 && week <= weeksInYear(Number(m[1]));
};

const utc = (date: string) => new Date(`${date}T00:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);

export const addDays = (date: string, days: number) => iso(new Date(utc(date).getTime() + days * DAY));

/** The calendar date of an instant in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** The ISO week a calendar date belongs to. */
export function periodOfDate(date: string): string {
  const d = utc(date);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(d.getTime() + (3 - weekday) * DAY);
  const year = thursday.getUTCFullYear();
  const firstThursday = utc(`${year}-01-04`);
  const firstMonday = firstThursday.getTime() - ((firstThursday.getUTCDay() + 6) % 7) * DAY;
  const week = Math.floor((thursday.getTime() - firstMonday) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

function weeksInYear(year: number): number {
  return periodOfDate(`${year}-12-28`).endsWith("53") ? 53 : 52;
}

/** Monday of an ISO week. */
export function periodStart(period: string): string {
  const m = PERIOD.exec(period);
  if (!m) throw new Error(`Not an ISO week: ${period}`);
  const jan4 = utc(`${m[1]}-01-04`);
  const mondayWeek1 = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * DAY;
  return iso(new Date(mondayWeek1 + (Number(m[2]) - 1) * 7 * DAY));
}

/** Sunday of an ISO week. */
export const periodEnd = (period: string) => addDays(periodStart(period), 6);

export const nextPeriod = (period: string) => periodOfDate(addDays(periodStart(period), 7));

/** The ISO week it is now in the co-op's time zone. */
export const currentPeriod = (now: Date, timeZone: string) => periodOfDate(localDate(now, timeZone));

/** A window whose week has ended (in the co-op's time zone) is in the past. */
export const isPastPeriod = (period: string, now: Date, timeZone: string) =>
  periodEnd(period) < localDate(now, timeZone);

/**
 * The ISO weeks of a calendar quarter ("2026-Q4"): every week whose Monday falls in the quarter's
 * months, so consecutive quarters share no week and miss none.
 */
export function periodsOfQuarter(quarter: string): string[] {
  const m = /^(\d{4})-Q([1-4])$/.exec(quarter);
  if (!m) throw new Error(`Not a quarter: ${quarter}`);
  const year = Number(m[1]);
  const firstMonth = (Number(m[2]) - 1) * 3;
  const start = iso(new Date(Date.UTC(year, firstMonth, 1)));
  const end = iso(new Date(Date.UTC(year, firstMonth + 3, 1)));
  const weeks: string[] = [];
  let monday = start;
  while ((utc(monday).getUTCDay() + 6) % 7 !== 0) monday = addDays(monday, 1);
  for (; monday < end; monday = addDays(monday, 7)) weeks.push(periodOfDate(monday));
  return weeks;
}

/** The quarter a period's Monday falls in. */
export function quarterOfPeriod(period: string): string {
  const start = periodStart(period);
  return `${start.slice(0, 4)}-Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1}`;
}
