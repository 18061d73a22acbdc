import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSubscription } from "@kiln/billing";
import {
  applicableWindows,
  createTermsDraft,
  decideTermsVersion,
  submitTermsVersion,
  type Jurisdiction,
} from "@kiln/compliance";
import { schema, withSystem } from "@kiln/db";
import { signIn } from "@kiln/auth";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import {
  acceptPriceChange,
  acceptPriceChangeAsMember,
  listMemberNotices,
  applyDuePriceChanges,
  runNoticeSweep,
  schedulePriceChange,
} from "@kiln/rights";
import { renderOrderPage } from "../../app/app/compliance.server";
import * as acceptRoute from "../../app/app/routes/price-changes.$priceChangeId.accept";
import * as tierPage from "../../app/app/routes/studio.$creatorSlug.tiers.$tierId";
import { argsFor, settle, testRequest, testServices } from "../../app/app/testing/context";
import { startBillingWorld } from "../billing/world";
import { getTestRuntime } from "../setup/runtime";
import { HOME } from "./notice-world";

/**
 * Price changes (issue 5 item 5) against the Stripe emulator with the real SDK: a new approved terms
 * version with another price → a new Stripe Price → a price-change notice per member inside every
 * window of their pack → applied at the renewal on the connected account (no proration); New York
 * increases only with the member's opt-in; too-close renewals move to the next one; a change whose
 * windows cannot meet is refused.
 */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
const appUrl = "http://kiln.test";
const DAY = 86_400_000;
let world: Awaited<ReturnType<typeof startBillingWorld>>;

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

/** A live tier (DE terms, 9 € a month) that also sells to the US states under test. */
async function liveTier(extra: Jurisdiction[]) {
  const live = await world.liveTier();
  await withSystem(rt, "t", (tx) =>
    tx
      .update(schema.subscriptionTiers)
      .set({ jurisdictions: ["DE", ...extra] })
      .where(eq(schema.subscriptionTiers.id, live.tier.id)),
  );
  return live;
}

async function subscribe(live: Awaited<ReturnType<typeof liveTier>>, jurisdiction: Jurisdiction) {
  const home = HOME[jurisdiction];
  const member = await createUser(rt, { country: home.country, usState: home.usState, locale: home.locale });
  const session = await world.saveCard(member.id, live.tier.id);
  const { subscription } = await createSubscription(
    rt,
    world.stripe,
    { userId: member.id },
    {
      tierId: live.tier.id,
      checkoutSessionId: session,
      termsVersionId: live.version.id,
      consent: { ...world.consentFor(live.terms), jurisdiction, locale: home.locale },
    },
  );
  return { member, subscription };
}

/** The creator raises the price in a new terms version; the reviewer approves it. */
async function newPrice(live: Awaited<ReturnType<typeof liveTier>>, amountMinor: number) {
  const v = await createTermsDraft(rt, live.creator, {
    tierId: live.tier.id,
    terms: { ...live.terms, price: { ...live.terms.price, amountMinor } },
  });
  await submitTermsVersion(rt, live.creator, { termsVersionId: v.id }, renderOrderPage);
  const reviewer = { userId: live.p.reviewer.id, coopId: live.p.coop.id, role: "compliance_reviewer" };
  await decideTermsVersion(rt, reviewer, { termsVersionId: v.id, decision: "approve" });
  return v;
}

const mailsTo = (email: string) =>
  withSystem(rt, "t", (tx) =>
    tx
      .select()
      .from(schema.emailOutbox)
      .where(eq(schema.emailOutbox.toAddress, email))
      .orderBy(schema.emailOutbox.createdAt),
  );
const changeOf = (subscriptionId: string) =>
  withSystem(rt, "t", (tx) =>
    tx.select().from(schema.priceChanges).where(eq(schema.priceChanges.subscriptionId, subscriptionId)),
  );
const stripeItemPrice = async (account: string, stripeSubscriptionId: string) =>
  (await world.stripe.subscriptions.retrieve(stripeSubscriptionId, {}, { stripeAccount: account })).items.data[0]!.price
    .unit_amount;

describe("price changes", () => {
  it("NY members opt in (or keep the old price); DE is told 14 days ahead; applied on Stripe at the renewal", async () => {
    rt.clock.set(new Date("2026-12-01T10:00:00Z"));
    const live = await liveTier(["US-NY"]);
    const coopId = live.p.coop.id;
    const nyYes = await subscribe(live, "US-NY");
    const nyNo = await subscribe(live, "US-NY");
    const de = await subscribe(live, "DE");
    const renewal = nyYes.subscription.currentPeriodEnd!;
    await runNoticeSweep(rt, { appUrl, coopId });

    rt.clock.set(new Date(rt.clock.now().getTime() + DAY));
    await newPrice(live, 1200);
    const result = await schedulePriceChange(rt, world.stripe, live.creator, live.tier.id);
    expect(result.tierPrice.amountMinor).toBe(1200);
    expect(result.scheduled).toHaveLength(3);
    // Idempotent: announcing again schedules nothing new.
    expect((await schedulePriceChange(rt, world.stripe, live.creator, live.tier.id)).scheduled).toHaveLength(0);

    for (const s of [nyYes, nyNo]) {
      const [change] = await changeOf(s.subscription.id);
      expect(change).toMatchObject({
        status: "scheduled",
        requiresOptIn: true,
        oldAmountMinor: 900,
        newAmountMinor: 1200,
      });
      expect(change!.effectiveAt.toISOString()).toBe(renewal.toISOString());
      const notice = result.scheduled.find((x) => x.priceChange.id === change!.id)!.notice;
      expect([...notice.windowRuleIds].sort()).toEqual(["NY-4", "V-3.price-change"]);
      // Inside NY 5–30 and Visa ≥ 7 days before the change: 18 days before (the middle of 30–7).
      expect((renewal.getTime() - notice.dueAt.getTime()) / DAY).toBe(18);
      for (const w of applicableWindows("US-NY", live.terms, rt.clock.now(), "price-change")) {
        if (w.window.fromDays !== null)
          expect(notice.dueAt.getTime()).toBeGreaterThanOrEqual(renewal.getTime() + w.window.fromDays * DAY);
        if (w.window.toDays !== null)
          expect(notice.dueAt.getTime()).toBeLessThanOrEqual(renewal.getTime() + w.window.toDays * DAY);
      }
    }
    const [deChange] = await changeOf(de.subscription.id);
    expect(deChange).toMatchObject({ requiresOptIn: false, status: "scheduled" });
    // DE: only the card-network window (Visa ≥ 7 days before) applies: a week's slack, 14 days before.
    const deNotice = result.scheduled.find((x) => x.priceChange.id === deChange!.id)!.notice;
    expect(deNotice.windowRuleIds).toEqual(["V-3.price-change"]);
    expect((renewal.getTime() - deNotice.dueAt.getTime()) / DAY).toBe(14);

    await runNoticeSweep(rt, { appUrl, coopId });
    expect((await mailsTo(nyYes.member.email)).filter((m) => m.template === "notice.price-change")).toHaveLength(0);

    rt.clock.set(new Date(renewal.getTime() - 18 * DAY));
    await runNoticeSweep(rt, { appUrl, coopId });
    expect((await mailsTo(de.member.email)).filter((m) => m.template === "notice.price-change")).toHaveLength(0);
    const nyMail = (await mailsTo(nyYes.member.email)).find((m) => m.template === "notice.price-change")!;
    expect(nyMail.textBody).toContain("New York law needs your agreement");
    const link = /\/price-changes\/([0-9a-f-]{36})\/accept\?token=([A-Za-z0-9_-]+)/.exec(nyMail.textBody)!;
    expect(link).not.toBeNull();
    const [, changeId, token] = link;

    await expect(acceptPriceChange(rt, { priceChangeId: changeId!, token: `${token}x` })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(acceptPriceChangeAsMember(rt, { userId: nyNo.member.id }, changeId!)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // The member follows the link logged out: opening it changes nothing, the button accepts.
    const services = testServices(rt);
    const path = `/price-changes/${changeId}/accept`;
    const opened = await settle(async () =>
      acceptRoute.loader(await argsFor(services, testRequest(`${path}?token=${token}`), { priceChangeId: changeId! })),
    );
    expect(opened.body).toMatchObject({ token });
    expect((await changeOf(nyYes.subscription.id))[0]!.optedInAt).toBeNull();
    // The member's notices page offers the same opt-in while it waits.
    const waiting = await listMemberNotices(rt, { userId: nyYes.member.id });
    expect(waiting.priceChangesAwaitingOptIn.map((c) => c.id)).toEqual([changeId]);
    const wrong = await settle(async () =>
      acceptRoute.action(
        await argsFor(services, testRequest(path, { form: { token: `${token}x` } }), { priceChangeId: changeId! }),
      ),
    );
    expect(wrong).toMatchObject({ status: 404, body: { invalid: true } });
    const ok = await settle(async () =>
      acceptRoute.action(
        await argsFor(services, testRequest(path, { form: { token: token! } }), { priceChangeId: changeId! }),
      ),
    );
    expect(ok.status).toBe(200);
    expect(typeof (ok.body as { done?: unknown }).done).toBe("string");
    const accepted = (await changeOf(nyYes.subscription.id))[0]!;
    expect(accepted.optedInAt).not.toBeNull();
    expect((await listMemberNotices(rt, { userId: nyYes.member.id })).priceChangesAwaitingOptIn).toEqual([]);
    // The link works once more without changing anything (a double click).
    expect((await acceptPriceChange(rt, { priceChangeId: changeId!, token: token! })).optedInAt).toEqual(
      accepted.optedInAt,
    );

    rt.clock.set(new Date(renewal.getTime() - 14 * DAY));
    await runNoticeSweep(rt, { appUrl, coopId });
    const deMail = (await mailsTo(de.member.email)).find((m) => m.template === "notice.price-change")!;
    expect(deMail.locale).toBe("de");
    expect(deMail.textBody).toContain("12,00");
    expect(deMail.textBody).toContain("9,00");
    expect(deMail.textBody).not.toContain("New York");

    // Just before the boundary the job applies the change (and keeps NY's old price without opt-in).
    rt.clock.set(new Date(renewal.getTime() - 3_600_000));
    const applied = await applyDuePriceChanges(rt, world.stripe, { coopId });
    expect(applied.applied).toHaveLength(2);
    expect(applied.kept).toHaveLength(1);
    expect((await changeOf(nyNo.subscription.id))[0]).toMatchObject({ status: "kept_old_price" });
    expect(await stripeItemPrice(live.account, nyYes.subscription.stripeSubscriptionId)).toBe(1200);
    expect(await stripeItemPrice(live.account, de.subscription.stripeSubscriptionId)).toBe(1200);
    expect(await stripeItemPrice(live.account, nyNo.subscription.stripeSubscriptionId)).toBe(900);
    // Retry-safe: running the job again changes nothing.
    expect(await applyDuePriceChanges(rt, world.stripe, { coopId })).toMatchObject({
      applied: [],
      kept: [],
      failed: [],
    });

    // At the renewal Stripe charges the new price (no proration item for the current period).
    rt.clock.set(new Date(renewal.getTime() + 3_600_000));
    world.emulator.emulator.runDue();
    await world.drain({ appUrl });
    for (const [s, amount] of [
      [nyYes, 1200],
      [de, 1200],
      [nyNo, 900],
    ] as const) {
      const invoices = await world.stripe.invoices.list(
        { subscription: s.subscription.stripeSubscriptionId },
        { stripeAccount: live.account },
      );
      expect(invoices.data.map((i) => i.amount_due).sort()).toEqual([900, amount].sort());
    }
    const [row] = await withSystem(rt, "t", (tx) =>
      tx.select().from(schema.subscriptions).where(eq(schema.subscriptions.id, nyYes.subscription.id)),
    );
    expect(row!.tierPriceId).toBe(result.tierPrice.id);
    const actions = await withSystem(rt, "t", (tx) =>
      tx.execute<{ action: string }>(
        sql`select action from audit_log where coop_id = ${coopId} and action like 'billing.price_change%' order by seq`,
      ),
    );
    expect(actions.map((a) => a.action).sort()).toEqual(
      [
        "billing.price_change_scheduled",
        "billing.price_change_scheduled",
        "billing.price_change_scheduled",
        "billing.price_change_opted_in",
        "billing.price_change_applied",
        "billing.price_change_applied",
        "billing.price_change_kept_old_price",
      ].sort(),
    );
  });

  it("a renewal too close moves the change to the next one; impossible windows refuse it; cancelling cancels it", async () => {
    rt.clock.set(new Date("2027-02-01T10:00:00Z"));
    const live = await liveTier(["US-CA"]);
    const coopId = live.p.coop.id;
    const ca = await subscribe(live, "US-CA");
    const renewal = ca.subscription.currentPeriodEnd!;
    rt.clock.set(new Date(renewal.getTime() - 5 * DAY));
    await newPrice(live, 1500);

    // Windows that cannot meet (CA-12's 7–30 days and a hypothetical 60–90 days): refused, nothing written.
    const impossible = () => {
      const [ca12] = applicableWindows("US-CA", live.terms, rt.clock.now(), "price-change").filter(
        (w) => w.ruleId === "CA-12",
      );
      return [
        ca12!,
        { ...ca12!, ruleId: "TEST-60", window: { event: "price-change" as const, fromDays: -90, toDays: -60 } },
      ];
    };
    const refused = await schedulePriceChange(rt, world.stripe, live.creator, live.tier.id, {
      windowsOf: impossible,
    }).catch((error: unknown) => error as { code: string; message: string });
    expect(refused).toMatchObject({ code: "CONFLICT" });
    expect((refused as { message: string }).message).toMatch(/refused[\s\S]*CA-12, TEST-60/);
    expect(await changeOf(ca.subscription.id)).toHaveLength(0);

    // The creator announces it from the tier page (studio), signed in.
    const session = (
      await signIn(rt, {
        email: live.p.owner.email,
        password: DEFAULT_TEST_PASSWORD,
        ip: "198.51.100.1",
        userAgent: "t",
      })
    ).token;
    const services = { ...testServices(rt), billing: { stripe: world.stripe, onWebhookStored: () => {} } };
    const slug = live.p.creator.slug;
    const announced = await settle(async () =>
      tierPage.action(
        await argsFor(
          services,
          testRequest(`/studio/${slug}/tiers/${live.tier.id}`, {
            sessionToken: session,
            form: { intent: "announce-price" },
          }),
          { creatorSlug: slug, tierId: live.tier.id },
        ),
      ),
    );
    expect(announced.status).toBe(302);
    const [priceChange] = await changeOf(ca.subscription.id);
    expect(priceChange).toBeDefined();
    const [notice] = await withSystem(rt, "t", (tx) =>
      tx.select().from(schema.notices).where(eq(schema.notices.priceChangeId, priceChange!.id)),
    );
    // Five days is less than CA-12's seven: the change applies at the following renewal.
    expect(priceChange!.effectiveAt.getTime()).toBeGreaterThan(renewal.getTime());
    expect(priceChange!.requiresOptIn).toBe(false);
    const lead = (priceChange!.effectiveAt.getTime() - notice!.dueAt.getTime()) / DAY;
    expect(lead).toBeGreaterThanOrEqual(7);
    expect(lead).toBeLessThanOrEqual(30);
    expect([...notice!.windowRuleIds].sort()).toEqual(["CA-12", "V-3.price-change"]);

    // The sweep did not run until past the latest date CA-12 allows (a worker outage): the notice is
    // not sent late; the change moves to the renewal after, with a new date inside its windows.
    const latest = Math.min(...notice!.windows.filter((w) => w.to).map((w) => new Date(w.to!).getTime()));
    rt.clock.set(new Date(latest + DAY));
    const swept = await runNoticeSweep(rt, { appUrl, coopId });
    expect(swept.replanned).toEqual([notice!.id]);
    expect(swept.sent).not.toContain(notice!.id);
    const [moved] = await changeOf(ca.subscription.id);
    expect(moved!.effectiveAt.getTime()).toBeGreaterThan(priceChange!.effectiveAt.getTime());
    const [renotice] = await withSystem(rt, "t", (tx) =>
      tx.select().from(schema.notices).where(eq(schema.notices.id, notice!.id)),
    );
    expect(renotice).toMatchObject({ status: "scheduled" });
    expect(renotice!.eventAt.toISOString()).toBe(moved!.effectiveAt.toISOString());
    for (const w of renotice!.windows) {
      if (w.from) expect(renotice!.dueAt >= new Date(w.from)).toBe(true);
      if (w.to) expect(renotice!.dueAt <= new Date(w.to)).toBe(true);
    }
    expect(renotice!.dueAt >= rt.clock.now()).toBe(true);

    // The member cancels (at the period end): the change and its notice are cancelled by the sweep.
    await world.stripe.subscriptions.update(
      ca.subscription.stripeSubscriptionId,
      { cancel_at_period_end: true },
      { stripeAccount: live.account },
    );
    await world.drain({ appUrl });
    await runNoticeSweep(rt, { appUrl, coopId });
    expect((await changeOf(ca.subscription.id))[0]).toMatchObject({ status: "cancelled" });
    const [n] = await withSystem(rt, "t", (tx) =>
      tx
        .select()
        .from(schema.notices)
        .where(and(eq(schema.notices.id, notice!.id))),
    );
    expect(n).toMatchObject({ status: "cancelled" });
    expect(await applyDuePriceChanges(rt, world.stripe, { coopId })).toMatchObject({ applied: [] });
  });
});
