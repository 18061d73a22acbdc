const DAY = 86_400;

/** Adds a price's billing interval in UTC calendar terms (a month from Jan 31 is Feb 28/29, like Stripe). */
export function addInterval(ts: number, interval: "day" | "week" | "month" | "year", count: number): number {
  if (interval === "day") return ts + count * DAY;
  if (interval === "week") return ts + count * 7 * DAY;
  const d = new Date(ts * 1000);
  const months = interval === "month" ? count : count * 12;
  const day = d.getUTCDate();
  const target = new Date(d.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return Math.floor(target.getTime() / 1000);
}

export const DAYS = (n: number) => n * DAY;

/** Invoice payment retries: days after the first failed attempt (Stripe's Smart Retries, simplified). */
export const RETRY_SCHEDULE_DAYS = [1, 3, 5];
/** Notices sent ahead of time. */
export const TRIAL_WILL_END_DAYS = 3;
export const UPCOMING_INVOICE_DAYS = 3;
/** An incomplete subscription whose first invoice stays unpaid this long becomes `incomplete_expired`. */
export const INCOMPLETE_EXPIRY_SECONDS = 23 * 3600;
