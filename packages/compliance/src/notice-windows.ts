import { conditionHolds } from "./engine";
import { isEffective, rulesFor, type Jurisdiction, type NoticeWindow, type Rule } from "./rule-packs";
import type { Terms } from "./terms";

/**
 * Legal send windows of notices (research §8.6) computed from the rule packs, and the choice of one
 * send date inside all of them. Pure: no database, no clock (every function takes `at`).
 *
 * The windows are rule data (`check.window` of the packs' `template` rules): a rule in force on `at`
 * whose `appliesWhen` holds for the terms contributes its window. Days are whole UTC days (86 400 s).
 *
 * Choosing a date: the intersection of all windows is [lo, hi]. With both ends bounded the date is
 * the middle (rounded towards the later end: an annual CA + NY reminder, 15–45 days each, goes at
 * T−30); with only a latest date it is that date minus `SLACK_DAYS`, so a worker that was down for a
 * few days still sends in time; with only an earliest date it is that date. A date before `earliest`
 * (the contract's conclusion, or "now" for a price change) moves up to `earliest` if that still lies
 * inside; otherwise the plan fails ("too-late"), and it fails ("disjoint") when the windows do not
 * overlap at all — in both cases naming the rule ids.
 */
export const DAY_MS = 86_400_000;
export const SLACK_DAYS = 7;

export type NoticeEvent = NoticeWindow["event"];
/** The notices that have a legal send window (templates in legal/templates: `notice.<kind>.*`). */
export type WindowedNotice = "acknowledgment" | "trial-ending" | "renewal-reminder" | "price-change" | "cooling-off";

export interface ApplicableWindow {
  ruleId: string;
  checklistId: string;
  jurisdiction: Jurisdiction;
  pack: string;
  citation: string;
  severity: Rule["severity"];
  notice: WindowedNotice;
  window: NoticeWindow;
}

/** Every window in force on `at` for a member in `jurisdiction` (parent packs included) whose rule applies to the terms. */
export function applicableWindows(
  jurisdiction: Jurisdiction,
  terms: Terms,
  at: Date,
  notice?: WindowedNotice,
): ApplicableWindow[] {
  const out: ApplicableWindow[] = [];
  for (const { rule, pack } of rulesFor(jurisdiction)) {
    if (rule.check.kind !== "template" || !rule.check.window) continue;
    if (notice && rule.check.notice !== notice) continue;
    if (!isEffective(rule, at)) continue;
    if (rule.appliesWhen && !rule.appliesWhen.every((c) => conditionHolds(terms, c))) continue;
    out.push({
      ruleId: rule.id,
      checklistId: rule.checklistId,
      jurisdiction,
      pack: `${pack.jurisdiction}@${pack.version}`,
      citation: rule.citation,
      severity: rule.severity,
      notice: rule.check.notice as WindowedNotice,
      window: rule.check.window,
    });
  }
  return out.sort((a, b) => a.ruleId.localeCompare(b.ruleId));
}

/** The dates windows are measured from; an unknown date means the window does not (yet) apply. */
export interface EventDates {
  conclusion: Date;
  trialEnd?: Date | null;
  renewal?: Date | null;
  priceChange?: Date | null;
}

/** One window as absolute times: send no earlier than `from` and no later than `to` (null = open). */
export interface DatedWindow {
  ruleId: string;
  event: NoticeEvent;
  eventAt: Date;
  from: Date | null;
  to: Date | null;
  /** Set on the limit a cadence adds (no later than this many months after the previous notice). */
  cadenceMonths?: number;
}

const addDays = (d: Date, days: number) => new Date(d.getTime() + days * DAY_MS);

export function addMonths(date: Date, months: number): Date {
  const d = new Date(date.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/** Adds billing periods (month/year/week) the way Stripe anchors them. */
export function addInterval(date: Date, interval: Terms["interval"], count: number): Date {
  if (interval === "week") return addDays(date, 7 * count);
  return addMonths(date, interval === "year" ? 12 * count : count);
}

/** Months in one billing period (weeks count as a fraction). */
export const intervalMonths = (terms: Pick<Terms, "interval" | "intervalCount">) =>
  terms.interval === "year"
    ? 12 * terms.intervalCount
    : terms.interval === "month"
      ? terms.intervalCount
      : (7 * terms.intervalCount) / 30;

/** The window in absolute time; null when its event has no date here. `noticeDays`: terms.renewal.noticeDays. */
export function dateWindow(w: ApplicableWindow, events: EventDates, noticeDays: number): DatedWindow | null {
  const eventAt =
    w.window.event === "conclusion"
      ? events.conclusion
      : w.window.event === "trial-end"
        ? events.trialEnd
        : w.window.event === "renewal"
          ? events.renewal
          : w.window.event === "cancel-deadline"
            ? events.renewal
              ? addDays(events.renewal, -noticeDays)
              : null
            : events.priceChange;
  if (!eventAt) return null;
  return {
    ruleId: w.ruleId,
    event: w.window.event,
    eventAt,
    from: w.window.fromDays === null ? null : addDays(eventAt, w.window.fromDays),
    to: w.window.toDays === null ? null : addDays(eventAt, w.window.toDays),
  };
}

export type SendDate =
  | { ok: true; dueAt: Date; ruleIds: string[]; windows: DatedWindow[]; from: Date | null; to: Date | null }
  | { ok: false; reason: "disjoint" | "too-late"; ruleIds: string[]; windows: DatedWindow[]; message: string };

const day = (d: Date) => d.toISOString().slice(0, 10);
const describeWindow = (w: DatedWindow) =>
  `${w.ruleId} (${w.from ? day(w.from) : "any time"} – ${w.to ? day(w.to) : "any time"}, ${w.event} ${day(w.eventAt)})`;

/** One send date inside every window and not before `earliest`; deterministic. */
export function chooseSendDate(windows: readonly DatedWindow[], earliest: Date): SendDate {
  const ruleIds = [...new Set(windows.map((w) => w.ruleId))].sort();
  let lo: DatedWindow | null = null;
  let hi: DatedWindow | null = null;
  for (const w of windows) {
    if (w.from && (!lo || w.from > lo.from!)) lo = w;
    if (w.to && (!hi || w.to < hi.to!)) hi = w;
  }
  const from = lo?.from ?? null;
  const to = hi?.to ?? null;
  const list = [...windows];
  if (from && to && from > to)
    return {
      ok: false,
      reason: "disjoint",
      ruleIds: [...new Set([lo!.ruleId, hi!.ruleId])].sort(),
      windows: list,
      message: `No date lies inside every window: ${describeWindow(lo!)} and ${describeWindow(hi!)} do not overlap`,
    };
  if (to && to < earliest)
    return {
      ok: false,
      reason: "too-late",
      ruleIds: [...new Set(windows.filter((w) => w.to && w.to < earliest).map((w) => w.ruleId))].sort(),
      windows: list,
      message: `The latest date ${describeWindow(hi!)} allows is before ${day(earliest)}`,
    };
  let target: Date;
  if (from && to) target = addDays(to, -Math.floor((to.getTime() - from.getTime()) / DAY_MS / 2));
  else if (to) target = addDays(to, -SLACK_DAYS);
  else target = from ?? earliest;
  if (target < earliest) target = earliest;
  return { ok: true, dueAt: target, ruleIds, windows: list, from, to };
}

/**
 * The send date of the notice `notice` for events `events`, from the windows of `jurisdiction` on
 * `at`. `extra` adds windows (the cadence limit of a periodic reminder). Null when no window applies.
 */
export function planNoticeDate(input: {
  jurisdiction: Jurisdiction;
  terms: Terms;
  at: Date;
  notice: WindowedNotice;
  events: EventDates;
  earliest: Date;
  only?: (w: ApplicableWindow) => boolean;
  extra?: DatedWindow[];
}): SendDate | null {
  const dated = applicableWindows(input.jurisdiction, input.terms, input.at, input.notice)
    .filter((w) => !input.only || input.only(w))
    .map((w) => dateWindow(w, input.events, input.terms.renewal.noticeDays))
    .filter((w): w is DatedWindow => w !== null);
  if (dated.length === 0) return null;
  return chooseSendDate([...dated, ...(input.extra ?? [])], input.earliest);
}

/**
 * The reminder before the renewal on `renewal`, if any rule asks for one there. Rules without a
 * cadence (CA-10, NY-7: yearly plans) ask before every renewal. Rules with `everyMonths` (CA-11 every
 * 12 months, UK-S5 every 6) ask before every renewal of a plan whose period is at least that long;
 * for shorter periods only before the renewal whose reminder is the last one that still keeps the
 * gap since `lastReminderAt` (the latest notice that carried the terms) within `everyMonths` — and
 * then the date is also held to that limit. `kind` is "annual-reminder" when only a ≥ 12-month
 * cadence asked (a monthly CA plan), else "renewal-reminder".
 */
export function planRenewalReminder(input: {
  jurisdiction: Jurisdiction;
  terms: Terms;
  at: Date;
  conclusion: Date;
  renewal: Date;
  lastReminderAt: Date;
  earliest: Date;
}): { kind: "renewal-reminder" | "annual-reminder"; plan: SendDate } | null {
  const { terms, renewal } = input;
  const windows = applicableWindows(input.jurisdiction, terms, input.at, "renewal-reminder");
  if (windows.length === 0) return null;
  const months = intervalMonths(terms);
  const following = addInterval(renewal, terms.interval, terms.intervalCount);
  const extra: DatedWindow[] = [];
  const asking = windows.filter((w) => {
    const every = w.window.everyMonths;
    if (every === undefined || months >= every) return true;
    // Would the reminder before the following renewal still come within `every` months of the last one?
    const next = planNoticeDate({
      ...input,
      notice: "renewal-reminder",
      events: { conclusion: input.conclusion, renewal: following },
      only: (x) => x.ruleId === w.ruleId,
    });
    const limit = addMonths(input.lastReminderAt, every);
    if (next?.ok && next.dueAt <= limit) return false;
    extra.push({ ruleId: w.ruleId, event: "renewal", eventAt: renewal, from: null, to: limit, cadenceMonths: every });
    return true;
  });
  if (asking.length === 0) return null;
  const ids = new Set(asking.map((w) => w.ruleId));
  const plan = planNoticeDate({
    ...input,
    notice: "renewal-reminder",
    events: { conclusion: input.conclusion, renewal },
    only: (w) => ids.has(w.ruleId),
    extra,
  })!;
  const cadenceOnly = asking.every((w) => w.window.everyMonths !== undefined && months < w.window.everyMonths);
  const annual = cadenceOnly && asking.every((w) => (w.window.everyMonths ?? 0) >= 12);
  return { kind: annual ? "annual-reminder" : "renewal-reminder", plan };
}

/**
 * Publish-time check (#4, §8.6 made executable): for a member who orders these terms on `at` in
 * `jurisdiction`, can `notice` be sent inside every window that applies? The first trial end,
 * renewal and price change (at the first renewal) of that member are the events; nothing can be
 * sent before the contract is concluded. What this cannot check (the real dates of each member, a
 * worker being down) is asserted for each subscription by @kiln/rights' notice planner instead.
 */
export function checkNoticeSchedule(
  jurisdiction: Jurisdiction,
  terms: Terms,
  at: Date,
  notice: WindowedNotice,
): SendDate | null {
  const conclusion = at;
  const trialEnd = terms.trial ? addDays(conclusion, terms.trial.days) : null;
  const renewal = addInterval(trialEnd ?? conclusion, terms.interval, terms.intervalCount);
  if (notice === "renewal-reminder") {
    const planned = planRenewalReminder({
      jurisdiction,
      terms,
      at,
      conclusion,
      renewal,
      lastReminderAt: trialEnd ?? conclusion,
      earliest: conclusion,
    });
    return planned?.plan ?? null;
  }
  if (notice === "cooling-off") {
    // Two separate notices: when a trial converts and when a yearly renewal starts.
    const plans = [
      { conclusion, trialEnd },
      { conclusion, renewal },
    ].map((events) => planNoticeDate({ jurisdiction, terms, at, notice, events, earliest: conclusion }));
    return plans.find((p) => p && !p.ok) ?? plans.find((p) => p !== null) ?? null;
  }
  return planNoticeDate({
    jurisdiction,
    terms,
    at,
    notice,
    events: { conclusion, trialEnd, renewal, priceChange: renewal },
    earliest: conclusion,
  });
}

/** How many renewals ahead a price change may be pushed before it is refused. */
const MAX_RENEWALS_AHEAD = 3;

/**
 * Price changes apply at a renewal: the first renewal from `nextRenewal` on whose price-change windows
 * can still be met from `now` (a renewal too close moves the change to the following one); disjoint
 * windows refuse it.
 */
export function planPriceChangeDate(
  windows: readonly ApplicableWindow[],
  input: { conclusion: Date; nextRenewal: Date; terms: Terms; now: Date },
):
  | { ok: true; effectiveAt: Date; plan: Extract<SendDate, { ok: true }> }
  | { ok: false; message: string; ruleIds: string[] } {
  let renewal = input.nextRenewal;
  let last: SendDate | null = null;
  for (let i = 0; i <= MAX_RENEWALS_AHEAD; i++) {
    const dated = windows
      .map((w) => dateWindow(w, { conclusion: input.conclusion, priceChange: renewal }, input.terms.renewal.noticeDays))
      .filter((w): w is DatedWindow => w !== null);
    // No price-change window in the member's pack: the notice goes at once, the change at the renewal.
    const plan: SendDate = dated.length
      ? chooseSendDate(dated, input.now)
      : { ok: true, dueAt: input.now, ruleIds: [], windows: [], from: null, to: null };
    if (plan.ok) return { ok: true, effectiveAt: renewal, plan };
    if (plan.reason === "disjoint") return { ok: false, message: plan.message, ruleIds: plan.ruleIds };
    last = plan;
    renewal = addInterval(renewal, input.terms.interval, input.terms.intervalCount);
  }
  return {
    ok: false,
    message: last && !last.ok ? last.message : "no renewal fits",
    ruleIds: last?.ruleIds ?? [],
  };
}
