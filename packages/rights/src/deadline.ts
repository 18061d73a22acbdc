/**
 * The withdrawal deadline engine (checklist X-W4; CRD arts 9, 10; consumer-law-2026.md §2.4 EU-W2, EU-W7).
 *
 * How days are counted (Regulation 1182/71, which recital 41 CRD applies to the withdrawal period):
 * - The day of the starting event (conclusion of a service contract, delivery of goods) is NOT
 *   counted; day 1 is the next calendar day, day 14 is the event's date + 14 days.
 * - Days are calendar days in the co-op's time zone (`coops.timezone`, an IANA name such as
 *   Europe/Berlin): the period covers all of day 14 until 24:00 there. `endsAt` is the exclusive
 *   instant 00:00 of day 15 in that zone; a statement received at `endsAt` or later is late.
 *   (A statement is timely when *sent* before expiry, art 11(2); the form sends it at receipt.)
 * - When day 14 is a Saturday or Sunday the period runs to the end of the following Monday
 *   (art 3(4) of the Regulation). Public holidays are NOT modelled — the error is on the member's
 *   side only for a holiday falling on day 14 (documented limitation; extend the list per country).
 * - Start: service → conclusion; goods → delivery; several goods in one order → the LAST delivery;
 *   regular deliveries of goods → the FIRST delivery (art 9(2)(b)(i)–(iii)).
 * - Withdrawal information not given (art 10(1)): the period ends 12 months after the end of the
 *   initial period (same day-counting, `extended` true).
 */
export type WithdrawalStart =
  | { kind: "service"; concludedAt: Date }
  | { kind: "goods"; deliveredAt: readonly Date[] }
  | { kind: "regular"; deliveredAt: readonly Date[] };

export interface WithdrawalDeadline {
  kind: WithdrawalStart["kind"];
  /** The starting event's local date (YYYY-MM-DD), or null when nothing was delivered yet. */
  startDate: string | null;
  /** The last day on which a withdrawal is timely (local date), after any extension. */
  lastDay: string | null;
  /** Exclusive end instant (00:00 after `lastDay` in the time zone); null = period not started yet. */
  endsAt: Date | null;
  extended: boolean;
}

export const WITHDRAWAL_DAYS = 14;

type Ymd = { y: number; m: number; d: number };

function localDate(at: Date, timeZone: string): Ymd {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(at)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day) };
}

const ymd = (v: Ymd) => `${v.y}-${String(v.m).padStart(2, "0")}-${String(v.d).padStart(2, "0")}`;

function addDays(v: Ymd, days: number): Ymd {
  const t = new Date(Date.UTC(v.y, v.m - 1, v.d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

function addMonths(v: Ymd, months: number): Ymd {
  const last = new Date(Date.UTC(v.y, v.m - 1 + months + 1, 0)).getUTCDate();
  const t = new Date(Date.UTC(v.y, v.m - 1 + months, Math.min(v.d, last)));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
}

/** Offset of the zone from UTC at an instant, in milliseconds. */
function offsetAt(at: Date, timeZone: string): number {
  const p = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  })
    .formatToParts(at)
    .reduce<Record<string, number>>(
      (acc, x) => (x.type === "literal" ? acc : { ...acc, [x.type]: Number(x.value) }),
      {},
    );
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant of 00:00 local time on a date in the zone. */
export function startOfLocalDay(v: Ymd, timeZone: string): Date {
  const guess = Date.UTC(v.y, v.m - 1, v.d);
  let at = guess - offsetAt(new Date(guess), timeZone);
  at = guess - offsetAt(new Date(at), timeZone);
  return new Date(at);
}

/** Saturday or Sunday → the following Monday (Regulation 1182/71 art 3(4)). */
function toWorkingDay(v: Ymd): Ymd {
  const dow = new Date(Date.UTC(v.y, v.m - 1, v.d)).getUTCDay();
  return dow === 6 ? addDays(v, 2) : dow === 0 ? addDays(v, 1) : v;
}

export function withdrawalDeadline(
  start: WithdrawalStart,
  options: { timeZone: string; informationGiven: boolean },
): WithdrawalDeadline {
  let event: Date | null;
  if (start.kind === "service") event = start.concludedAt;
  else {
    const times = start.deliveredAt.map((d) => d.getTime());
    event = times.length === 0 ? null : new Date(start.kind === "goods" ? Math.max(...times) : Math.min(...times));
  }
  if (!event) return { kind: start.kind, startDate: null, lastDay: null, endsAt: null, extended: false };
  const startDay = localDate(event, options.timeZone);
  let last = toWorkingDay(addDays(startDay, WITHDRAWAL_DAYS));
  if (!options.informationGiven) last = toWorkingDay(addMonths(last, 12));
  return {
    kind: start.kind,
    startDate: ymd(startDay),
    lastDay: ymd(last),
    endsAt: startOfLocalDay(addDays(last, 1), options.timeZone),
    extended: !options.informationGiven,
  };
}

/** Whether a statement received at `at` is within the period (a period not started yet is open). */
export function isWithinWithdrawalPeriod(deadline: WithdrawalDeadline, at: Date): boolean {
  return deadline.endsAt === null || at.getTime() < deadline.endsAt.getTime();
}

/**
 * What a service withdrawn from must refund (CRD art 14(3)): everything, unless the member asked for
 * the service to start during the withdrawal period — then the share of the paid period not yet
 * provided. The share provided is counted in whole started days and rounded down in the member's
 * favour: refund = paid − floor(paid × daysProvided / daysInPeriod).
 */
export function serviceRefund(input: {
  paidMinor: number;
  expressStart: boolean;
  periodStart: Date;
  periodEnd: Date;
  withdrawnAt: Date;
}): { amountMinor: number; basis: "full" | "pro_rata"; daysProvided: number; daysInPeriod: number } {
  const DAY = 86_400_000;
  const daysInPeriod = Math.max(1, Math.round((input.periodEnd.getTime() - input.periodStart.getTime()) / DAY));
  if (!input.expressStart || input.paidMinor === 0)
    return { amountMinor: input.paidMinor, basis: "full", daysProvided: 0, daysInPeriod };
  const elapsed = Math.max(0, input.withdrawnAt.getTime() - input.periodStart.getTime());
  const daysProvided = Math.min(daysInPeriod, Math.ceil(elapsed / DAY));
  const charged = Math.floor((input.paidMinor * daysProvided) / daysInPeriod);
  return { amountMinor: input.paidMinor - charged, basis: "pro_rata", daysProvided, daysInPeriod };
}
