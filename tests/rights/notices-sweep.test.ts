import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { templateVersion } from "@kiln/compliance";
import { schema, withSystem, withTenant, type TenantContext } from "@kiln/db";
import { runNoticeSweep, sendDueNotices } from "@kiln/rights";
import { getTestRuntime } from "../setup/runtime";
import { planTerms, startNoticeWorld } from "./notice-world";

/**
 * The notice cron job: plans what is missing and sends what is due through the outbox, each notice
 * in one transaction — so repeated or concurrent sweeps never send twice — and re-plans when the
 * subscription changes (cancelled → future reminders cancelled; a new period → the reminder moves).
 */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
const appUrl = "http://kiln.test";
const DAY = 86_400_000;

async function outboxFor(email: string) {
  return withSystem(rt, "t", (tx) =>
    tx
      .select()
      .from(schema.emailOutbox)
      .where(eq(schema.emailOutbox.toAddress, email))
      .orderBy(schema.emailOutbox.createdAt),
  );
}

describe("notice sweep", () => {
  it("sends the acknowledgment once, with the cancel and withdrawal links and the model form, in the member's language", async () => {
    const world = await startNoticeWorld(rt);
    const coopId = world.p.coop.id;
    const { sub, member } = await world.subscribe("DE", planTerms("month", null, "EUR"));
    await runNoticeSweep(rt, { appUrl, coopId });
    // Again, and two at once: still one email.
    await runNoticeSweep(rt, { appUrl, coopId });
    await Promise.all([sendDueNotices(rt, { appUrl, coopId }), sendDueNotices(rt, { appUrl, coopId })]);

    const mails = await outboxFor(member.email);
    expect(mails).toHaveLength(1);
    const [ack] = await world.notices(sub.id);
    expect(ack).toMatchObject({
      kind: "acknowledgment",
      status: "sent",
      templateId: "notice.acknowledgment",
      templateVersion: templateVersion("de"),
      language: "de",
      channel: "email",
      jurisdiction: "DE",
      windowRuleIds: ["X-A1"],
      outboxEmailId: mails[0]!.id,
    });
    expect(ack!.sentAt!.toISOString()).toBe(sub.createdAt.toISOString());
    expect(mails[0]!.locale).toBe("de");
    const body = mails[0]!.textBody;
    expect(body).toContain(`${appUrl}/cancel`);
    expect(body).toContain(`${appUrl}/withdraw`);
    expect(body).toContain("Muster-Widerrufsformular");
    expect(body).toContain("9,00");
    const audit = await withSystem(rt, "t", (tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from audit_log where coop_id = ${coopId} and action = 'rights.notice_sent' and subject_id = ${ack!.id}`,
      ),
    );
    expect(audit[0]!.n).toBe(1);
  });

  it("a notice that cannot go out is marked failed and queues nothing (the transaction is all or nothing)", async () => {
    const world = await startNoticeWorld(rt);
    const coopId = world.p.coop.id;
    const { sub } = await world.subscribe("US-CA", planTerms("month", null, "USD"), { email: "not-an-address" });
    const result = await runNoticeSweep(rt, { appUrl, coopId });
    expect(result.failed).toHaveLength(1);
    const [ack] = await world.notices(sub.id);
    expect(ack).toMatchObject({ status: "failed", sentAt: null, outboxEmailId: null });
    expect(ack!.error).toMatch(/email/i);
    expect(await outboxFor("not-an-address")).toHaveLength(0);
    // Not retried in a loop, and not sent by the next sweep.
    expect((await runNoticeSweep(rt, { appUrl, coopId })).failed).toHaveLength(0);
  });

  it("cancelling cancels the future reminders; renewing again revives them; the clock passing sends nothing cancelled", async () => {
    const world = await startNoticeWorld(rt);
    const coopId = world.p.coop.id;
    const { sub, member } = await world.subscribe("US-NY", planTerms("year", null, "USD"));
    await runNoticeSweep(rt, { appUrl, coopId });
    let rows = await world.notices(sub.id);
    const reminder = rows.find((n) => n.kind === "renewal-reminder")!;
    expect(reminder).toMatchObject({ status: "scheduled", windowRuleIds: ["NY-7"] });
    expect((sub.currentPeriodEnd!.getTime() - reminder.dueAt.getTime()) / DAY).toBe(30);

    await world.update(sub.id, { cancelAtPeriodEnd: true });
    await runNoticeSweep(rt, { appUrl, coopId });
    rows = await world.notices(sub.id);
    expect(rows.find((n) => n.id === reminder.id)).toMatchObject({
      status: "cancelled",
      error: "cancelled: the subscription ends at the end of the period",
    });

    await world.update(sub.id, { cancelAtPeriodEnd: false });
    await runNoticeSweep(rt, { appUrl, coopId });
    expect((await world.notices(sub.id)).find((n) => n.id === reminder.id)).toMatchObject({
      status: "scheduled",
      error: null,
    });

    await world.update(sub.id, { status: "canceled" });
    await runNoticeSweep(rt, { appUrl, coopId });
    rt.clock.set(new Date(reminder.dueAt.getTime() + 3_600_000));
    await runNoticeSweep(rt, { appUrl, coopId });
    rows = await world.notices(sub.id);
    expect(rows.find((n) => n.id === reminder.id)).toMatchObject({
      status: "cancelled",
      error: "cancelled: the subscription was cancelled",
    });
    expect((await outboxFor(member.email)).map((m) => m.template)).toEqual(["notice.acknowledgment"]);
  });

  it("a new period re-plans the reminder; when it is due, it goes out with the renewal date and the price", async () => {
    rt.clock.set(new Date("2026-12-01T10:00:00Z"));
    const world = await startNoticeWorld(rt);
    const coopId = world.p.coop.id;
    const { sub, member } = await world.subscribe("US-CA", planTerms("year", null, "USD"));
    await runNoticeSweep(rt, { appUrl, coopId });
    const before = (await world.notices(sub.id)).find((n) => n.kind === "renewal-reminder")!;
    expect(before.windowRuleIds).toEqual(["CA-10", "CA-11"]);

    const moved = new Date(sub.currentPeriodEnd!.getTime() + 10 * DAY);
    await world.update(sub.id, { currentPeriodEnd: moved });
    await runNoticeSweep(rt, { appUrl, coopId });
    const rows = await world.notices(sub.id);
    expect(rows.find((n) => n.id === before.id)).toMatchObject({
      status: "cancelled",
      error: "cancelled: re-planned: the subscription's period changed",
    });
    const after = rows.find((n) => n.kind === "renewal-reminder" && n.status === "scheduled")!;
    expect(after.eventAt.toISOString()).toBe(moved.toISOString());
    expect(after.dueAt.toISOString()).toBe(new Date(moved.getTime() - 30 * DAY).toISOString());

    rt.clock.set(after.dueAt);
    await runNoticeSweep(rt, { appUrl, coopId });
    const mails = await outboxFor(member.email);
    expect(mails.map((m) => m.template)).toEqual(["notice.acknowledgment", "notice.renewal-reminder"]);
    expect(mails[1]!.textBody).toContain("$90.00");
    expect(mails[1]!.textBody).toContain(`${appUrl}/cancel`);
    const [sent] = await withSystem(rt, "t", (tx) =>
      tx
        .select()
        .from(schema.notices)
        .where(and(eq(schema.notices.id, after.id), eq(schema.notices.status, "sent"))),
    );
    expect(sent!.sentAt!.toISOString()).toBe(after.dueAt.toISOString());
  });

  it("RLS: the member reads their own notices, the creator team its creator's, the co-op's reviewers all; nobody but the system writes", async () => {
    const world = await startNoticeWorld(rt);
    const coopId = world.p.coop.id;
    const mine = await world.subscribe("DE", planTerms("month", null, "EUR"));
    const other = await world.subscribe("DE", planTerms("month", null, "EUR"));
    await runNoticeSweep(rt, { appUrl, coopId });
    const visible = (ctx: TenantContext) =>
      withTenant(rt, ctx, (tx) =>
        tx.select({ sub: schema.notices.subscriptionId }).from(schema.notices).where(eq(schema.notices.coopId, coopId)),
      ).then((rows) => rows.map((r) => r.sub).sort());
    const both = [mine.sub.id, other.sub.id].sort();
    expect(await visible({ userId: mine.member.id })).toEqual([mine.sub.id]);
    expect(
      await visible({ userId: world.p.owner.id, coopId, creatorId: world.p.creator.id, role: "creator_owner" }),
    ).toEqual(both);
    expect(await visible({ userId: world.p.reviewer.id, coopId, role: "compliance_reviewer" })).toEqual(both);
    expect(
      await visible({ userId: world.p.operator.id, coopId, role: "factory_operator", factoryId: world.p.factory.id }),
    ).toEqual([]);
    // A member cannot mark their notice, or schedule one.
    const changed = await withTenant(rt, { userId: mine.member.id }, (tx) =>
      tx
        .update(schema.notices)
        .set({ status: "cancelled" })
        .where(eq(schema.notices.subscriptionId, mine.sub.id))
        .returning(),
    ).catch(() => []);
    expect(changed).toHaveLength(0);
    expect((await world.notices(mine.sub.id))[0]!.status).toBe("sent");
  });
});
