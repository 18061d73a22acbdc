import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { createSubscription, monthlyAmount, type Stripe } from "@kiln/billing";
import { withSystem } from "@kiln/db";
import { createCoopWithPeople, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import * as coopBilling from "../../app/app/routes/coop.$coopSlug.billing";
import * as studioBilling from "../../app/app/routes/studio.$creatorSlug.billing";
import { getTestRuntime } from "../setup/runtime";
import { startBillingWorld } from "./world";

/**
 * The billing operations screens (issue 5 §8): the creator's billing (subscribers and states, disputes,
 * MRR, churn, refunds, balance) and the co-op admin's (fee, dead letters with retry, reconciliation).
 * Wrong role or another co-op → 404; bad fee input → a message and nothing changed.
 */
const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;
let services: ReturnType<typeof testServices> & { billing: { stripe: Stripe; onWebhookStored: () => void } };

beforeAll(async () => {
  world = await startBillingWorld(rt);
  services = { ...testServices(rt), billing: { stripe: world.stripe, onWebhookStored: () => undefined } };
});
afterAll(async () => {
  await world?.stop();
});

const sessionOf = async (email: string) =>
  (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "t" })).token;

async function subscribedWorld() {
  const live = await world.liveTier();
  const session = await world.saveCard(live.p.member.id, live.tier.id);
  const { subscription } = await createSubscription(
    rt,
    world.stripe,
    { userId: live.p.member.id },
    {
      tierId: live.tier.id,
      checkoutSessionId: session,
      termsVersionId: live.version.id,
      consent: world.consentFor(live.terms),
    },
  );
  await world.drain();
  return { ...live, sub: subscription };
}

const call = async (
  route: { loader?: unknown; action?: unknown },
  kind: "loader" | "action",
  url: string,
  params: Record<string, string>,
  token: string,
  form?: Record<string, string>,
) =>
  settle(async () =>
    (route[kind] as (a: unknown) => unknown)(
      await argsFor(services, testRequest(url, { sessionToken: token, ...(form ? { form } : {}) }), params),
    ),
  );

describe("monthlyAmount", () => {
  it("counts a yearly price as a twelfth, a monthly one whole", () => {
    expect(monthlyAmount({ amountMinor: 900, interval: "month", intervalCount: 1 })).toBe(900);
    expect(monthlyAmount({ amountMinor: 12_000, interval: "year", intervalCount: 1 })).toBe(1000);
    expect(monthlyAmount({ amountMinor: 1000, interval: "month", intervalCount: 3 })).toBe(333);
  });
});

describe("studio/:creatorSlug/billing", () => {
  it("shows subscribers with states and a dispute flag, MRR, churn, refunds and the balance", async () => {
    const { p, account, sub } = await subscribedWorld();
    const charges = await world.stripe.charges.list({ customer: sub.stripeCustomerId }, { stripeAccount: account });
    const charge = charges.data.find((c) => c.captured)!;
    await world.stripe.refunds.create({ charge: charge.id, amount: 100 }, { stripeAccount: account });
    await world.emulator.control.openDispute(charge.id, { account, reason: "fraudulent", amount: 800 });
    await world.drain();

    const slug = p.creator.slug;
    const owner = await sessionOf(p.owner.email);
    const page = await call(studioBilling, "loader", `/studio/${slug}/billing`, { creatorSlug: slug }, owner);
    expect(page.status).toBe(200);
    const body = page.body as Awaited<ReturnType<typeof studioBilling.loader>>;
    expect(body.connect).toMatchObject({ status: "enabled" });
    expect(body.subscribers).toEqual([
      expect.objectContaining({
        id: sub.id,
        memberName: "Member",
        status: "active",
        price: { amountMinor: 900, currency: "eur" },
        dispute: { status: "needs_response", reason: "fraudulent", amount: { amountMinor: 800, currency: "eur" } },
      }),
    ]);
    expect(body.mrr).toEqual([{ amountMinor: 900, currency: "eur" }]);
    expect(body.churn).toMatchObject({ periodDays: 30, canceled: 0, activeNow: 1, rateBps: 0 });
    expect(body.refunds?.map((r) => r.amount)).toEqual([{ amountMinor: 100, currency: "eur" }]);
    expect(body.disputes).toHaveLength(1);
    expect(body.balance).not.toBeNull();

    // A cancellation shows as churn within the period and leaves MRR.
    await world.stripe.subscriptions.cancel(sub.stripeSubscriptionId, {}, { stripeAccount: account });
    await world.drain();
    const after = (await call(studioBilling, "loader", `/studio/${slug}/billing?days=7`, { creatorSlug: slug }, owner))
      .body as Awaited<ReturnType<typeof studioBilling.loader>>;
    expect(after.mrr).toEqual([]);
    expect(after.churn).toMatchObject({ periodDays: 7, canceled: 1, activeNow: 0, rateBps: 10_000 });
  });

  it("refuses the co-op admin (wrong role) and another co-op's creator owner: 404", async () => {
    const p = await createCoopWithPeople(rt);
    const other = await createCoopWithPeople(rt);
    const slug = p.creator.slug;
    for (const email of [p.admin.email, other.owner.email, p.member.email]) {
      const res = await call(
        studioBilling,
        "loader",
        `/studio/${slug}/billing`,
        { creatorSlug: slug },
        await sessionOf(email),
      );
      expect(res.status, email).toBe(404);
    }
  });
});

describe("coop/:coopSlug/billing", () => {
  it("application fee: bad input → a message and nothing changed; a valid fee is saved and audited", async () => {
    const p = await createCoopWithPeople(rt);
    const slug = p.coop.slug;
    const admin = await sessionOf(p.admin.email);
    const url = `/coop/${slug}/billing`;
    const feeNow = async () =>
      (
        await withSystem(rt, "t", (tx) =>
          tx.execute<{ fee: number }>(
            sql`select application_fee_bps as fee from billing_settings where coop_id = ${p.coop.id}`,
          ),
        )
      )[0]?.fee ?? null;
    for (const [value, message] of [
      ["abc", /basis points/],
      ["-1", /negative/],
      ["10001", /10000/],
      ["2.5", /whole number/],
    ] as const) {
      const res = await call(coopBilling, "action", url, { coopSlug: slug }, admin, {
        intent: "fee",
        applicationFeeBps: value,
      });
      expect(res.status, value).toBe(400);
      expect(JSON.stringify(res.body), value).toMatch(message);
    }
    expect(await feeNow()).toBeNull();
    const ok = await call(coopBilling, "action", url, { coopSlug: slug }, admin, {
      intent: "fee",
      applicationFeeBps: "350",
    });
    expect(ok.status).toBe(302);
    expect(await feeNow()).toBe(350);
    const page = (await call(coopBilling, "loader", url, { coopSlug: slug }, admin)).body as Awaited<
      ReturnType<typeof coopBilling.loader>
    >;
    expect(page.settings.applicationFeeBps).toBe(350);
    const audit = await withSystem(rt, "t", (tx) =>
      tx.execute(sql`select 1 from audit_log where coop_id = ${p.coop.id} and action = 'billing.application_fee_set'`),
    );
    expect(audit).toHaveLength(1);
  });

  it("wrong role (creator owner, reviewer) and another co-op's admin are refused with 404; nothing changed", async () => {
    const p = await createCoopWithPeople(rt);
    const other = await createCoopWithPeople(rt);
    const slug = p.coop.slug;
    const url = `/coop/${slug}/billing`;
    for (const email of [p.owner.email, p.reviewer.email, other.admin.email]) {
      const token = await sessionOf(email);
      expect((await call(coopBilling, "loader", url, { coopSlug: slug }, token)).status, email).toBe(404);
      const res = await call(coopBilling, "action", url, { coopSlug: slug }, token, {
        intent: "fee",
        applicationFeeBps: "100",
      });
      expect(res.status, email).toBe(404);
    }
    const rows = await withSystem(rt, "t", (tx) =>
      tx.execute(sql`select 1 from billing_settings where coop_id = ${p.coop.id}`),
    );
    expect(rows).toHaveLength(0);
  });

  it("dead letters are listed with a retry that processes them; another co-op cannot retry them; run now writes a report", async () => {
    const { p, account, sub } = await subscribedWorld();
    await world.stripe.subscriptions.update(
      sub.stripeSubscriptionId,
      { cancel_at_period_end: true },
      { stripeAccount: account },
    );
    const crash = () => {
      throw new Error("worker crashed");
    };
    expect(await world.drain({ beforeApply: crash, maxAttempts: 1 })).toContain("dead_lettered");
    const slug = p.coop.slug;
    const url = `/coop/${slug}/billing`;
    const admin = await sessionOf(p.admin.email);
    const page = (await call(coopBilling, "loader", url, { coopSlug: slug }, admin)).body as Awaited<
      ReturnType<typeof coopBilling.loader>
    >;
    const dead = page.deadLetters.find((d) => d.type === "customer.subscription.updated" && d.account === account);
    expect(dead).toMatchObject({ lastError: "Error: worker crashed" });

    const other = await createCoopWithPeople(rt);
    const foreign = await call(
      coopBilling,
      "action",
      `/coop/${other.coop.slug}/billing`,
      { coopSlug: other.coop.slug },
      await sessionOf(other.admin.email),
      { intent: "retry", stripeEventId: dead!.stripeEventId },
    );
    expect(foreign.status).toBe(404);
    const state = async () =>
      (
        await withSystem(rt, "t", (tx) =>
          tx.execute<{ processed: boolean; dead: boolean }>(
            sql`select processed_at is not null as processed, dead_lettered_at is not null as dead
                from billing_webhook_events where stripe_event_id = ${dead!.stripeEventId}`,
          ),
        )
      )[0];
    expect(await state()).toEqual({ processed: false, dead: true });

    const retried = await call(coopBilling, "action", url, { coopSlug: slug }, admin, {
      intent: "retry",
      stripeEventId: dead!.stripeEventId,
    });
    expect(retried.status).toBe(302);
    expect(await state()).toEqual({ processed: true, dead: false });
    const cancelAtEnd = await withSystem(rt, "t", (tx) =>
      tx.execute<{ c: boolean }>(sql`select cancel_at_period_end as c from subscriptions where id = ${sub.id}`),
    );
    expect(cancelAtEnd[0]!.c).toBe(true);

    const run = await call(coopBilling, "action", url, { coopSlug: slug }, admin, { intent: "reconcile" });
    expect(run.status).toBe(302);
    const reports = (await call(coopBilling, "loader", url, { coopSlug: slug }, admin)).body as Awaited<
      ReturnType<typeof coopBilling.loader>
    >;
    expect(reports.reconciliations).toHaveLength(1);
    expect(reports.reconciliations[0]).toMatchObject({ trigger: "manual", repaired: 0, error: null });
    expect(reports.reconciliations[0]!.checked).toBeGreaterThan(0);
    expect(reports.deadLetters.find((d) => d.stripeEventId === dead!.stripeEventId)).toBeUndefined();
  });
});
