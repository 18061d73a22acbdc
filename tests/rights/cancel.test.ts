import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schema, withSystem, withTenant } from "@kiln/db";
import {
  allowedSaveOffers,
  cancelPageContext,
  findReceipt,
  receiptPdf,
  SAVE_OFFER_POLICY,
  submitCancellation,
  verifyReceiptToken,
} from "@kiln/rights";
import { startBillingWorld } from "../billing/world";
import { getTestRuntime } from "../setup/runtime";
import { auditActions, outboxFor, RECEIPT_KEY, submissionKey, subscribedMember } from "./helpers";

/**
 * The cancel button's flow (issue 6 item 1; § 312k BGB, checklist X-X2…X-X7) against the Stripe
 * emulator: logged out, the declaration is recorded whatever it matches, the confirmation goes only
 * to the address on file, and the Stripe subscription ends at period end (ordinary) or now
 * (extraordinary) with Kiln's row updated at once.
 */
const rt = await getTestRuntime("2026-11-30T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;

beforeAll(async () => {
  world = await startBillingWorld(rt);
});
afterAll(async () => {
  await world?.stop();
});

const rowsOf = (declarationId: string) =>
  withSystem(rt, "test", (tx) =>
    tx.select().from(schema.cancellations).where(eq(schema.cancellations.declarationId, declarationId)),
  );

describe("cancel button, logged out", () => {
  it("a DE member cancels: recorded, confirmation e-mail to the address on file, period-end on Stripe, receipt", async () => {
    const { member, subscription, account, p } = await subscribedMember(rt, world);
    const receipt = await submitCancellation(
      rt,
      world.stripe,
      {
        type: "ordinary",
        name: "Mia Mitglied",
        email: `  ${member.email.toUpperCase()} `,
        contract: "",
        end_date: "",
        creator: p.creator.slug,
        submission: submissionKey(),
        locale: "de",
      },
      { receiptKey: RECEIPT_KEY },
    );
    const [row] = await rowsOf(receipt.declarationId);
    expect(row).toMatchObject({
      subscriptionId: subscription.id,
      memberUserId: member.id,
      kind: "ordinary",
      email: member.email,
      endsAt: subscription.currentPeriodEnd,
    });
    expect(row!.receivedAt.toISOString()).toBe("2026-11-30T10:00:00.000Z");
    expect(row!.stripeAppliedAt).not.toBeNull();
    expect(row!.confirmationSentAt).not.toBeNull();

    // Stripe: cancel at period end on the creator's account; Kiln's row says so without a webhook.
    const sub = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: account },
    );
    expect(sub.cancel_at_period_end).toBe(true);
    expect(sub.status).toBe("active");
    const [kiln] = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.subscriptions).where(eq(schema.subscriptions.id, subscription.id)),
    );
    expect(kiln).toMatchObject({ cancelAtPeriodEnd: true, status: "active" });

    // The confirmation: content, date and time of receipt, end date (X-X4), in German.
    const mails = await outboxFor(rt, [member.email]);
    const mail = mails.find((m) => m.template === "rights-cancellation");
    expect(mail).toBeDefined();
    expect(mail!.locale).toBe("de");
    expect(mail!.textBody).toContain("2026-11-30T10:00:00.000Z");
    expect(mail!.textBody).toContain("Ordentliche Kündigung");
    expect(mail!.textBody).toContain("Mia Mitglied");
    expect(mail!.textBody).toMatch(/endet am \d+\. \S+ 2026/);

    // The download: the receipt token verifies, a forged one does not; the PDF opens.
    expect(verifyReceiptToken(RECEIPT_KEY, "cancellation", receipt.receiptToken)).toBe(true);
    expect(verifyReceiptToken(RECEIPT_KEY, "cancellation", `${receipt.declarationId}.forged`)).toBe(false);
    expect(verifyReceiptToken("another-key-0123456789", "cancellation", receipt.receiptToken)).toBe(false);
    const found = await findReceipt(rt, "cancellation", receipt.receiptToken);
    expect(found?.statement).toContain("Kündigungserklärung");
    const pdf = await receiptPdf({
      title: "Kündigungserklärung",
      statement: found!.statement,
      receivedAt: found!.receivedAt,
      receivedLabel: "Eingegangen",
    });
    expect(Buffer.from(pdf.slice(0, 5)).toString()).toBe("%PDF-");

    // Audited in the co-op's chain; the member reads their own row, the creator team its creator's.
    expect(await auditActions(rt, p.coop.id)).toEqual(
      expect.arrayContaining(["rights.cancellation_received", "rights.cancellation_applied"]),
    );
    const own = await withTenant(rt, { userId: member.id }, (tx) => tx.select().from(schema.cancellations));
    expect(own.map((r) => r.id)).toEqual([row!.id]);
    const team = await withTenant(
      rt,
      { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" },
      (tx) => tx.select().from(schema.cancellations),
    );
    expect(team.map((r) => r.id)).toContain(row!.id);
  });

  it("an unknown e-mail gets the same answer and no e-mail; the declaration is still recorded", async () => {
    const { p } = await subscribedMember(rt, world);
    const stranger = `nobody-${Date.now()}@example.test`;
    const answer = await submitCancellation(
      rt,
      world.stripe,
      { type: "ordinary", name: "Nobody", email: stranger, creator: p.creator.slug, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    expect(Object.keys(answer).sort()).toEqual(["declarationId", "receiptToken", "receivedAt", "statement"]);
    expect(answer.statement).toContain("Cancellation declaration");
    const rows = await rowsOf(answer.declarationId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ subscriptionId: null, memberUserId: null, confirmationSentAt: null, endsAt: null });
    expect(await outboxFor(rt, [stranger])).toEqual([]);
    expect(await auditActions(rt, p.coop.id)).toContain("rights.cancellation_unmatched");
  });

  it("a contract number of another member with my e-mail matches nothing (and says nothing)", async () => {
    const a = await subscribedMember(rt, world);
    const b = await subscribedMember(rt, world);
    const answer = await submitCancellation(
      rt,
      world.stripe,
      { type: "ordinary", name: "A", email: a.member.email, contract: b.subscription.id, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    const rows = await rowsOf(answer.declarationId);
    expect(rows[0]!.subscriptionId).toBeNull();
    const sub = await world.stripe.subscriptions.retrieve(
      b.subscription.stripeSubscriptionId,
      {},
      { stripeAccount: b.account },
    );
    expect(sub.cancel_at_period_end).toBe(false);
  });

  it("a double submit is one declaration, one e-mail, one Stripe change", async () => {
    const { member, subscription, p } = await subscribedMember(rt, world);
    const form = {
      type: "ordinary" as const,
      name: "Mia",
      email: member.email,
      contract: subscription.id,
      submission: submissionKey(),
    };
    const [first, second] = await Promise.all([
      submitCancellation(rt, world.stripe, form, { receiptKey: RECEIPT_KEY }),
      submitCancellation(rt, world.stripe, form, { receiptKey: RECEIPT_KEY }),
    ]);
    expect(second.declarationId).toBe(first.declarationId);
    expect(second.receiptToken).toBe(first.receiptToken);
    const third = await submitCancellation(rt, world.stripe, form, { receiptKey: RECEIPT_KEY });
    expect(third.declarationId).toBe(first.declarationId);
    const all = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.cancellations).where(eq(schema.cancellations.submissionKey, form.submission)),
    );
    expect(all).toHaveLength(1);
    expect((await outboxFor(rt, [member.email])).filter((m) => m.template === "rights-cancellation")).toHaveLength(1);
    const actions = await auditActions(rt, p.coop.id);
    expect(actions.filter((a) => a === "rights.cancellation_received")).toHaveLength(1);
    expect(actions.filter((a) => a === "rights.cancellation_applied")).toHaveLength(1);
  });

  it("extraordinary termination with a reason ends the subscription now on Stripe and in Kiln", async () => {
    const { member, subscription, account } = await subscribedMember(rt, world);
    const receipt = await submitCancellation(
      rt,
      world.stripe,
      {
        type: "extraordinary",
        reason: "The creator stopped shipping",
        name: "Mia",
        email: member.email,
        contract: subscription.stripeSubscriptionId,
        submission: submissionKey(),
        locale: "en",
      },
      { receiptKey: RECEIPT_KEY },
    );
    const [row] = await rowsOf(receipt.declarationId);
    expect(row!.endsAt!.toISOString()).toBe(rt.clock.now().toISOString());
    const sub = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: account },
    );
    expect(sub.status).toBe("canceled");
    const [kiln] = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.subscriptions).where(eq(schema.subscriptions.id, subscription.id)),
    );
    expect(kiln!.status).toBe("canceled");
    const mail = (await outboxFor(rt, [member.email])).find((m) => m.template === "rights-cancellation");
    expect(mail!.textBody).toContain("The creator stopped shipping");
  });

  it("a later end date than the period end is honoured with cancel_at", async () => {
    const { member, subscription, account } = await subscribedMember(rt, world);
    await submitCancellation(
      rt,
      world.stripe,
      { type: "ordinary", name: "M", email: member.email, end_date: "2027-03-31", submission: submissionKey() },
      { receiptKey: RECEIPT_KEY },
    );
    const sub = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: account },
    );
    // 24:00 of 31 March 2027 in Berlin (CEST, UTC+2).
    expect(sub.cancel_at).toBe(Date.parse("2027-03-31T22:00:00Z") / 1000);
  });

  it("bad input is refused with a clear message and nothing is written", async () => {
    const count = async () =>
      (await withSystem(rt, "test", (tx) => tx.select({ id: schema.cancellations.id }).from(schema.cancellations)))
        .length;
    const before = await count();
    await expect(
      submitCancellation(
        rt,
        world.stripe,
        { type: "extraordinary", name: "M", email: "m@example.test", submission: submissionKey() },
        { receiptKey: RECEIPT_KEY },
      ),
    ).rejects.toMatchObject({
      code: "BAD_INPUT",
      fields: { reason: ["Give the reason for an extraordinary termination"] },
    });
    await expect(
      submitCancellation(
        rt,
        world.stripe,
        { type: "ordinary", name: "", email: "not-an-email", submission: submissionKey() },
        { receiptKey: RECEIPT_KEY },
      ),
    ).rejects.toMatchObject({
      code: "BAD_INPUT",
      fields: { name: ["Enter your name"], email: ["Enter a valid email address, like name@example.com"] },
    });
    await expect(
      submitCancellation(
        rt,
        world.stripe,
        { type: "ordinary", name: "M", email: "m@example.test", end_date: "31.12.2026", submission: submissionKey() },
        { receiptKey: RECEIPT_KEY },
      ),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    expect(await count()).toBe(before);
  });
});

describe("signed in: two actions from the account (X-X5)", () => {
  it("the account's Cancel opens the one page filled in with the member's own contract, never another's", async () => {
    const a = await subscribedMember(rt, world);
    const b = await subscribedMember(rt, world);
    const own = await cancelPageContext(rt, {
      subscriptionId: a.subscription.id,
      creatorSlug: a.p.creator.slug,
      actor: { userId: a.member.id },
    });
    expect(own).toEqual({
      creator: { slug: a.p.creator.slug, displayName: a.p.creator.displayName },
      prefill: { name: a.member.displayName, email: a.member.email, contract: a.subscription.id },
    });
    const foreign = await cancelPageContext(rt, { subscriptionId: b.subscription.id, actor: { userId: a.member.id } });
    expect(foreign.prefill).toEqual({ name: a.member.displayName, email: a.member.email });
    const loggedOut = await cancelPageContext(rt, { subscriptionId: a.subscription.id, creatorSlug: "no such slug!" });
    expect(loggedOut).toEqual({ creator: null, prefill: null });
    // The second action, "Cancel now", with what the page filled in.
    const receipt = await submitCancellation(
      rt,
      world.stripe,
      { type: "ordinary", ...own.prefill!, creator: own.creator!.slug, submission: submissionKey() },
      { receiptKey: RECEIPT_KEY, actor: { userId: a.member.id } },
    );
    expect((await rowsOf(receipt.declarationId))[0]!.subscriptionId).toBe(a.subscription.id);
  });
});

describe("save offers (X-X6)", () => {
  it("none for DE and EU members; at most one, with an equally prominent Cancel, in California", () => {
    expect(SAVE_OFFER_POLICY.DE).toMatchObject({ enabled: false, maxOffers: 0 });
    expect(SAVE_OFFER_POLICY.EU).toMatchObject({ enabled: false, maxOffers: 0 });
    expect(allowedSaveOffers("DE", 3)).toBe(0);
    expect(allowedSaveOffers("EU", 1)).toBe(0);
    expect(allowedSaveOffers(null, 2)).toBe(0);
    expect(allowedSaveOffers("US-CA", 3)).toBe(1);
    expect(SAVE_OFFER_POLICY["US-CA"].requiresEqualProminenceCancel).toBe(true);
  });
});
