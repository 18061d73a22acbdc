import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import {
  findReceipt,
  isWithinWithdrawalPeriod,
  performRefund,
  serviceRefund,
  submitWithdrawal,
  withdrawalDeadline,
} from "@kiln/rights";
import { startBillingWorld } from "../billing/world";
import { getTestRuntime } from "../setup/runtime";
import { auditActions, outboxFor, RECEIPT_KEY, submissionKey, subscribedMember } from "./helpers";

/**
 * The withdrawal function (issue 6 item 2; CRD arts 9–14, 11a; checklist X-W2…X-W5): the deadline
 * engine per contract type, the logged-out form on day 14 and day 15 (TestClock), the effect on a
 * service subscription (cancelled now on Stripe, refund full or pro rata, once).
 */
const T0 = "2026-11-30T10:00:00Z"; // a Monday; day 14 (14 Dec) is a Monday too
const rt = await getTestRuntime(T0);
let world: Awaited<ReturnType<typeof startBillingWorld>>;
const DAY = 86_400_000;

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

const BERLIN = { timeZone: "Europe/Berlin", informationGiven: true };

describe("deadline engine (X-W4)", () => {
  it("service: conclusion + 14 days, all of day 14 in the co-op's zone, not day 15", () => {
    const d = withdrawalDeadline({ kind: "service", concludedAt: new Date("2026-11-30T10:00:00Z") }, BERLIN);
    expect(d).toMatchObject({ startDate: "2026-11-30", lastDay: "2026-12-14", extended: false });
    // 24:00 of 14 December in Berlin (CET, UTC+1) = 23:00 UTC.
    expect(d.endsAt!.toISOString()).toBe("2026-12-14T23:00:00.000Z");
    expect(isWithinWithdrawalPeriod(d, new Date("2026-12-14T22:59:59Z"))).toBe(true);
    expect(isWithinWithdrawalPeriod(d, new Date("2026-12-14T23:00:00Z"))).toBe(false);
  });
  it("late in the evening the local date counts, not the UTC date", () => {
    // 23:30 in Berlin on 30 Nov is still 30 Nov there (22:30 UTC).
    const d = withdrawalDeadline({ kind: "service", concludedAt: new Date("2026-11-30T22:30:00Z") }, BERLIN);
    expect(d.startDate).toBe("2026-11-30");
    // 00:30 in Berlin on 1 Dec (23:30 UTC on 30 Nov) starts a day later.
    const e = withdrawalDeadline({ kind: "service", concludedAt: new Date("2026-11-30T23:30:00Z") }, BERLIN);
    expect(e.startDate).toBe("2026-12-01");
    expect(e.lastDay).toBe("2026-12-15");
  });
  it("a day 14 on a weekend runs to the end of the Monday", () => {
    const d = withdrawalDeadline({ kind: "service", concludedAt: new Date("2026-12-05T10:00:00Z") }, BERLIN);
    expect(d.lastDay).toBe("2026-12-21"); // 19 Dec is a Saturday
  });
  it("goods: delivery + 14; several goods: the last delivery; regular deliveries: the first", () => {
    const deliveries = [new Date("2026-12-01T09:00:00Z"), new Date("2026-12-08T09:00:00Z")];
    expect(withdrawalDeadline({ kind: "goods", deliveredAt: [deliveries[0]!] }, BERLIN).lastDay).toBe("2026-12-15");
    expect(withdrawalDeadline({ kind: "goods", deliveredAt: deliveries }, BERLIN).lastDay).toBe("2026-12-22");
    expect(withdrawalDeadline({ kind: "regular", deliveredAt: deliveries }, BERLIN).lastDay).toBe("2026-12-15");
    const notYet = withdrawalDeadline({ kind: "goods", deliveredAt: [] }, BERLIN);
    expect(notYet.endsAt).toBeNull();
    expect(isWithinWithdrawalPeriod(notYet, new Date("2030-01-01T00:00:00Z"))).toBe(true);
  });
  it("missing withdrawal information extends the period by 12 months (art 10)", () => {
    const d = withdrawalDeadline(
      { kind: "service", concludedAt: new Date("2026-11-30T10:00:00Z") },
      { timeZone: "Europe/Berlin", informationGiven: false },
    );
    expect(d).toMatchObject({ lastDay: "2027-12-14", extended: true });
  });
  it("refund: full without an express start; pro rata by days provided with one", () => {
    const period = { periodStart: new Date("2026-11-30T10:00:00Z"), periodEnd: new Date("2026-12-30T10:00:00Z") };
    const withdrawnAt = new Date("2026-12-10T10:00:00Z");
    expect(serviceRefund({ paidMinor: 900, expressStart: false, withdrawnAt, ...period })).toMatchObject({
      amountMinor: 900,
      basis: "full",
    });
    // 10 of 30 days provided: 300 kept, 600 refunded.
    expect(serviceRefund({ paidMinor: 900, expressStart: true, withdrawnAt, ...period })).toMatchObject({
      amountMinor: 600,
      basis: "pro_rata",
      daysProvided: 10,
      daysInPeriod: 30,
    });
    // A started day counts as provided: 10 days and a minute → 11 days → 900 − 330.
    expect(
      serviceRefund({
        paidMinor: 900,
        expressStart: true,
        withdrawnAt: new Date(withdrawnAt.getTime() + 60_000),
        ...period,
      }).amountMinor,
    ).toBe(570);
  });
});

const withdrawalsOf = (subscriptionId: string) =>
  withSystem(rt, "test", (tx) =>
    tx.select().from(schema.withdrawals).where(eq(schema.withdrawals.subscriptionId, subscriptionId)),
  );
const refundsOf = (subscriptionId: string) =>
  withSystem(rt, "test", (tx) =>
    tx.select().from(schema.refunds).where(eq(schema.refunds.subscriptionId, subscriptionId)),
  );

describe("withdrawal function, logged out", () => {
  it("an EU member withdraws on day 14 (accepted, refunded pro rata) and another cannot on day 15", async () => {
    rt.clock.set(new Date(T0));
    const early = await subscribedMember(rt, world, { expressStart: true });
    const late = await subscribedMember(rt, world, { expressStart: true });

    // Day 14, 20:00 in Berlin.
    rt.clock.set(new Date("2026-12-14T19:00:00Z"));
    const ok = await submitWithdrawal(
      rt,
      world.stripe,
      {
        name: "Mia",
        order: early.subscription.id,
        email: early.member.email,
        submission: submissionKey(),
        locale: "de",
      },
      { receiptKey: RECEIPT_KEY },
    );
    expect(ok.status).toBe("received");
    const [w] = await withdrawalsOf(early.subscription.id);
    expect(w).toMatchObject({ outcome: "accepted", contractKind: "service", extended: false });
    expect(w!.deadlineAt!.toISOString()).toBe("2026-12-14T23:00:00.000Z");

    // Acknowledgment at once, to the address on file, with the statement and date and time (X-W3).
    const ack = (await outboxFor(rt, [early.member.email])).find((m) => m.template === "rights-withdrawal");
    expect(ack!.textBody).toContain("Hiermit widerrufe ich meinen Vertrag.");
    expect(ack!.textBody).toContain("2026-12-14T19:00:00.000Z");

    // Stripe: cancelled now; Kiln's row too.
    const sub = await world.stripe.subscriptions.retrieve(
      early.subscription.stripeSubscriptionId,
      {},
      { stripeAccount: early.account },
    );
    expect(sub.status).toBe("canceled");

    // Refund: 900 paid for 30 days, 15 started days provided (express start) → 450 refunded, due by +14 days.
    const [refund] = await refundsOf(early.subscription.id);
    expect(refund).toMatchObject({
      paidMinor: 900,
      amountMinor: 450,
      currency: "eur",
      basis: "pro_rata",
      status: "refunded",
    });
    expect(refund!.dueBy.toISOString()).toBe("2026-12-28T19:00:00.000Z");
    const stripeRefunds = await world.stripe.refunds.list(
      { payment_intent: refund!.stripePaymentIntentId! },
      { stripeAccount: early.account },
    );
    expect(stripeRefunds.data.map((r) => r.amount)).toEqual([450]);
    expect(await auditActions(rt, early.p.coop.id)).toEqual(
      expect.arrayContaining(["rights.withdrawal_received", "rights.refund_due", "rights.refund_paid"]),
    );

    // Day 15, 00:30 in Berlin: the period is over. The member who proved number + e-mail is told so.
    rt.clock.set(new Date("2026-12-14T23:30:00Z"));
    const refused = await submitWithdrawal(
      rt,
      world.stripe,
      { name: "Max", order: late.subscription.id, email: late.member.email, submission: submissionKey(), locale: "en" },
      { receiptKey: RECEIPT_KEY },
    );
    expect(refused).toMatchObject({ status: "out_of_window", lastDay: "2026-12-14" });
    const [lw] = await withdrawalsOf(late.subscription.id);
    expect(lw!.outcome).toBe("out_of_window");
    expect(await refundsOf(late.subscription.id)).toEqual([]);
    const lateSub = await world.stripe.subscriptions.retrieve(
      late.subscription.stripeSubscriptionId,
      {},
      { stripeAccount: late.account },
    );
    expect(lateSub.status).toBe("active");
    expect((await outboxFor(rt, [late.member.email])).filter((m) => m.template === "rights-withdrawal")).toEqual([]);
  });

  it("without an express-start request the refund is full", async () => {
    rt.clock.set(new Date(T0));
    const m = await subscribedMember(rt, world, { expressStart: false });
    rt.clock.set(new Date(Date.parse(T0) + 3 * DAY));
    await submitWithdrawal(
      rt,
      world.stripe,
      { name: "M", order: m.subscription.stripeSubscriptionId, email: m.member.email, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    const [refund] = await refundsOf(m.subscription.id);
    expect(refund).toMatchObject({ paidMinor: 900, amountMinor: 900, basis: "full", status: "refunded" });
  });

  it("double submits and second statements: one withdrawal effect, one refund", async () => {
    rt.clock.set(new Date(T0));
    const m = await subscribedMember(rt, world);
    rt.clock.set(new Date(Date.parse(T0) + 2 * DAY));
    const form = { name: "M", order: m.subscription.id, email: m.member.email, submission: submissionKey() };
    const [a, b] = await Promise.all([
      submitWithdrawal(rt, world.stripe, form, { receiptKey: RECEIPT_KEY }),
      submitWithdrawal(rt, world.stripe, form, { receiptKey: RECEIPT_KEY }),
    ]);
    expect(b.withdrawalId).toBe(a.withdrawalId);
    // A new statement (another form) for the same contract is recorded as a duplicate, nothing more.
    const again = await submitWithdrawal(
      rt,
      world.stripe,
      { ...form, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    expect(again.status).toBe("received");
    expect((await withdrawalsOf(m.subscription.id)).map((w) => w.outcome).sort()).toEqual(["accepted", "duplicate"]);
    const refunds = await refundsOf(m.subscription.id);
    expect(refunds).toHaveLength(1);
    // Retrying the refund itself is a no-op (the row is refunded; Stripe's idempotency key is the row id).
    const retried = await performRefund(rt, world.stripe, refunds[0]!.id);
    expect(retried.stripeRefundId).toBe(refunds[0]!.stripeRefundId);
    const stripeRefunds = await world.stripe.refunds.list(
      { payment_intent: refunds[0]!.stripePaymentIntentId! },
      { stripeAccount: m.account },
    );
    expect(stripeRefunds.data).toHaveLength(1);
    expect((await outboxFor(rt, [m.member.email])).filter((x) => x.template === "rights-withdrawal")).toHaveLength(1);
  });

  it("an unknown number or e-mail gets the same answer as an accepted one, and no e-mail", async () => {
    rt.clock.set(new Date(T0));
    const m = await subscribedMember(rt, world);
    const stranger = `nobody-${Date.now()}@example.test`;
    const answer = await submitWithdrawal(
      rt,
      world.stripe,
      { name: "X", order: m.subscription.id, email: stranger, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    expect(answer.status).toBe("received");
    expect(answer).not.toHaveProperty("lastDay");
    expect(await outboxFor(rt, [stranger, m.member.email])).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ template: "rights-withdrawal" })]),
    );
    expect(await withdrawalsOf(m.subscription.id)).toEqual([]);
    const found = await findReceipt(rt, "withdrawal", answer.receiptToken);
    expect(found?.statement).toContain("I hereby withdraw from my contract.");
  });

  it("bad input is refused with a clear message and nothing is written", async () => {
    const count = async () =>
      (await withSystem(rt, "test", (tx) => tx.select({ id: schema.withdrawals.id }).from(schema.withdrawals))).length;
    const before = await count();
    await expect(
      submitWithdrawal(
        rt,
        world.stripe,
        { name: "M", order: "", email: "m@example.test", submission: submissionKey() },
        { receiptKey: RECEIPT_KEY },
      ),
    ).rejects.toMatchObject({ code: "BAD_INPUT", fields: { order: ["Enter your order or contract number"] } });
    await expect(
      submitWithdrawal(
        rt,
        world.stripe,
        { name: "M", order: "abc", email: "m@example.test", submission: "short" },
        { receiptKey: RECEIPT_KEY },
      ),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    expect(await count()).toBe(before);
  });
});
