import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { applicableWindows, type Jurisdiction } from "@kiln/compliance";
import { schema, withSystem } from "@kiln/db";
import { runNoticeSweep, type NoticeRow } from "@kiln/rights";
import { getTestRuntime } from "../setup/runtime";
import { planTerms, startNoticeWorld } from "./notice-world";

/**
 * Issue 6 acceptance: "For members in CA, NY, DE, UK and a yearly and a monthly plan, every notice's
 * send date lies inside all applicable windows; a test lists them against the rule ids."
 *
 * Eight members subscribe on 2027-04-10 (after the assumed UK DMCC commencement, so the UK 2027 rules
 * are on): a yearly plan with a 60-day trial and a monthly plan, in each of US-CA, US-NY, DE and UK.
 * The clock then walks 15 months, stopping at every due notice and every period end; at each stop
 * the cron sweep runs (plan + send) and due periods renew as Stripe would. Every notice sent is
 * listed with its rule ids and checked against every window recorded with it — and those windows are
 * checked against the rule packs.
 */
const rt = await getTestRuntime("2027-04-10T09:00:00Z");
const appUrl = "http://kiln.test";
const DAY = 86_400_000;

const CASES: Array<{ jurisdiction: Jurisdiction; plan: "yearly" | "monthly"; currency: "USD" | "EUR" | "GBP" }> = [
  { jurisdiction: "US-CA", plan: "yearly", currency: "USD" },
  { jurisdiction: "US-CA", plan: "monthly", currency: "USD" },
  { jurisdiction: "US-NY", plan: "yearly", currency: "USD" },
  { jurisdiction: "US-NY", plan: "monthly", currency: "USD" },
  { jurisdiction: "DE", plan: "yearly", currency: "EUR" },
  { jurisdiction: "DE", plan: "monthly", currency: "EUR" },
  { jurisdiction: "UK", plan: "yearly", currency: "GBP" },
  { jurisdiction: "UK", plan: "monthly", currency: "GBP" },
];

/** What the §8.6 matrix asks of each case, as (kind → rule ids) in the order they are sent. */
const EXPECTED: Record<string, string[]> = {
  "US-CA yearly": ["acknowledgment X-A1", "trial-ending CA-9,V-3.trial-ending", "renewal-reminder CA-10,CA-11"],
  "US-CA monthly": ["acknowledgment X-A1", "annual-reminder CA-11"],
  "US-NY yearly": ["acknowledgment X-A1", "trial-ending V-3.trial-ending", "renewal-reminder NY-7"],
  "US-NY monthly": ["acknowledgment X-A1"],
  "DE yearly": ["acknowledgment X-A1", "trial-ending V-3.trial-ending"],
  "DE monthly": ["acknowledgment X-A1"],
  "UK yearly": [
    "acknowledgment X-A1",
    "trial-ending UK-S5.trial-ending,V-3.trial-ending",
    "cooling-off UK-S10.trial-end",
    "renewal-reminder UK-S5",
    "cooling-off UK-S10",
  ],
  "UK monthly": ["acknowledgment X-A1", "renewal-reminder UK-S5", "renewal-reminder UK-S5"],
};

const day = (d: Date | string | null) => (d ? new Date(d).toISOString().slice(0, 16).replace("T", " ") : "—");

describe("notice send dates against the §8.6 windows (CA, NY, DE, UK × yearly, monthly)", () => {
  it("every notice sent lies inside all its windows, which are the packs' windows for that member", async () => {
    const world = await startNoticeWorld(rt);
    const subs = [];
    for (const c of CASES) {
      const terms = planTerms(c.plan === "yearly" ? "year" : "month", c.plan === "yearly" ? 60 : null, c.currency);
      subs.push({ ...c, ...(await world.subscribe(c.jurisdiction, terms)) });
    }
    const start = rt.clock.now();
    const horizon = new Date(start.getTime() + 15 * 31 * DAY);
    const coopId = world.p.coop.id;
    // Walk the clock: to the next due notice or period end, whichever comes first.
    for (let step = 0; step < 400; step++) {
      await world.renewDue();
      await runNoticeSweep(rt, { appUrl, coopId });
      const [next] = await withSystem(rt, "t", (tx) =>
        tx.execute<{ at: string | null }>(sql`select least(
            (select min(due_at) from notices where coop_id = ${coopId} and status = 'scheduled'),
            (select min(current_period_end) from subscriptions where coop_id = ${coopId} and status in ('trialing', 'active'))
          ) as at`),
      );
      if (!next?.at) break;
      const at = new Date(next.at);
      if (at > horizon) break;
      rt.clock.set(at > rt.clock.now() ? at : rt.clock.now());
    }

    const table: string[] = [];
    for (const s of subs) {
      const rows: NoticeRow[] = (await world.notices(s.sub.id)).filter((n) => n.status === "sent");
      const label = `${s.jurisdiction} ${s.plan}`;
      for (const n of rows) {
        const sentAt = n.sentAt!;
        // 1. Inside every window recorded with it.
        for (const w of n.windows) {
          if (w.from) expect(sentAt >= new Date(w.from), `${label} ${n.kind} ${w.ruleId} from`).toBe(true);
          if (w.to) expect(sentAt <= new Date(w.to), `${label} ${n.kind} ${w.ruleId} to`).toBe(true);
        }
        expect([...new Set(n.windows.map((w) => w.ruleId))].sort()).toEqual([...n.windowRuleIds].sort());
        // 2. Those windows are the packs' windows for this member's jurisdiction and notice.
        const notice = n.kind === "annual-reminder" ? "renewal-reminder" : n.kind;
        const pack = applicableWindows(s.jurisdiction, s.terms, sentAt, notice);
        for (const w of n.windows.filter((x) => !x.cadenceMonths)) {
          const rule = pack.find((p) => p.ruleId === w.ruleId);
          expect(rule, `${label} ${n.kind}: ${w.ruleId} is a window of the ${s.jurisdiction} pack`).toBeDefined();
          const eventAt = new Date(w.eventAt).getTime();
          if (rule!.window.fromDays !== null)
            expect(new Date(w.from!).getTime()).toBe(eventAt + rule!.window.fromDays * DAY);
          if (rule!.window.toDays !== null) expect(new Date(w.to!).getTime()).toBe(eventAt + rule!.window.toDays * DAY);
        }
        for (const w of n.windows.filter((x) => x.cadenceMonths)) {
          const rule = applicableWindows(s.jurisdiction, s.terms, sentAt, "renewal-reminder").find(
            (r) => r.ruleId === w.ruleId,
          );
          expect(w.cadenceMonths).toBe(rule!.window.everyMonths);
        }
        expect(n.outboxEmailId).not.toBeNull();
        expect(n.language).toBe(s.jurisdiction === "DE" ? "de" : "en");
        table.push(
          `${label.padEnd(14)} ${n.kind.padEnd(17)} event ${day(n.eventAt)}  sent ${day(sentAt)}  ` +
            `rules ${n.windowRuleIds.join(", ").padEnd(30)} windows ${n.windows.map((w) => `${w.ruleId} [${day(w.from)} … ${day(w.to)}]`).join("; ")}`,
        );
      }
      expect(
        rows.map((n) => `${n.kind} ${[...n.windowRuleIds].sort().join(",")}`),
        label,
      ).toEqual(EXPECTED[label]);
    }
    console.info(`notices sent, with the windows they satisfy:\n${table.join("\n")}`);

    // The annual CA and NY reminders went 30 days before the renewal (CA) / cancellation deadline (NY).
    for (const j of ["US-CA", "US-NY"]) {
      const s = subs.find((x) => x.jurisdiction === j && x.plan === "yearly")!;
      const reminder = (await world.notices(s.sub.id)).find((n) => n.kind === "renewal-reminder")!;
      expect((reminder.eventAt.getTime() - reminder.sentAt!.getTime()) / DAY).toBe(30);
    }
    // Every outbox email of these notices exists once.
    const emails = await withSystem(rt, "t", (tx) =>
      tx
        .select({ id: schema.emailOutbox.id })
        .from(schema.emailOutbox)
        .where(and(eq(schema.emailOutbox.coopId, coopId), sql`${schema.emailOutbox.template} like 'notice.%'`)),
    );
    const sent = (await Promise.all(subs.map((s) => world.notices(s.sub.id))))
      .flat()
      .filter((n) => n.status === "sent");
    expect(emails).toHaveLength(sent.length);
  }, 240_000);
});
