import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAppError } from "@kiln/core";
import { withSystem } from "@kiln/db";
import { cancelClaim, completeClaimPayment, expireHolds, getRemaining, payForClaim, runDropHoldJob } from "@kiln/drops";
import { getTestRuntime } from "../setup/runtime";
import { startDropsWorld } from "./world";

/**
 * Issue 8 §4: authorise on Kiln's goods order page, then confirm the claim and capture in one step.
 * Runs on the embedded database and on the PostgreSQL server (DATABASE_URL).
 */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
const MINUTE = 60_000;
let world: Awaited<ReturnType<typeof startDropsWorld>>;

beforeAll(async () => {
  world = await startDropsWorld(rt);
});
afterAll(async () => {
  await world?.billing.stop();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: "ok", fields: undefined as Record<string, string[]> | undefined }),
    (error: unknown) => {
      if (isAppError(error)) return { code: error.code, fields: error.fields };
      throw error;
    },
  );

async function dbState(claimId: string) {
  return withSystem(rt, "test", async (tx) => {
    const [claim] = await tx.execute<{ status: string }>(sql`select status from drop_claims where id = ${claimId}`);
    const [payment] = await tx.execute<{ status: string; stripe_payment_intent_id: string | null }>(
      sql`select status, stripe_payment_intent_id from drop_payments where claim_id = ${claimId}`,
    );
    const orders = await tx.execute<{ id: string; factory_id: string; total_minor: number; status: string }>(
      sql`select id, factory_id, total_minor, status from orders where claim_id = ${claimId}`,
    );
    return { claim: claim?.status, payment, orders };
  });
}

async function outbox(template: string, to: string) {
  return withSystem(rt, "test", (tx) =>
    tx.execute<{ subject: string; text_body: string }>(
      sql`select subject, text_body from email_outbox where template = ${template} and to_address = ${to}`,
    ),
  );
}

/** No captured payment without an order, across everything on the emulator. */
async function capturedWithoutOrder() {
  const captured = world.allIntents().filter((pi) => pi.status === "succeeded" && pi.metadata.kiln_claim_id);
  const ordered = await withSystem(rt, "test", (tx) =>
    tx.execute<{ pi: string }>(sql`select stripe_payment_intent_id as pi from orders`),
  );
  const withOrder = new Set(ordered.map((o) => o.pi));
  return captured.filter((pi) => !withOrder.has(pi.id)).map((pi) => pi.id);
}

describe("paying for a claim", () => {
  it("authorises with manual capture on the creator's account, then confirms, captures and routes the order", async () => {
    const s = await world.shop();
    const m = await world.memberWithClaim(s.drop.id);
    const input = await world.orderInput(m.member, m.claim.id, m.sessionId);
    const result = await payForClaim(rt, world.stripe, m.member, input);
    expect(result.status).toBe("ordered");
    const state = await dbState(m.claim.id);
    expect(state.claim).toBe("confirmed");
    expect(state.payment?.status).toBe("captured");
    expect(state.orders).toHaveLength(1);
    expect(state.orders[0]).toMatchObject({ factory_id: s.p.factory.id, total_minor: 2990, status: "placed" });
    const intent = await world.stripe.paymentIntents.retrieve(
      state.payment!.stripe_payment_intent_id!,
      {},
      { stripeAccount: s.account },
    );
    expect(intent).toMatchObject({ status: "succeeded", capture_method: "manual", amount_received: 2990 });
    // The co-op's fee (default 5 %) on the direct charge, like subscriptions (ADR 010).
    expect(intent.application_fee_amount).toBe(149);
    const mail = await outbox("drops-order-placed", m.user.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.text_body).toContain("Night print");
    expect(await capturedWithoutOrder()).toEqual([]);
  });

  it("a hold that expires before payment ends with the authorisation cancelled; no captured payment exists without an order", async () => {
    const s = await world.shop({ holdMinutes: 10 });
    // A 3-D Secure card: authorised only after the bank's page, which the member never finishes in time.
    const m = await world.memberWithClaim(s.drop.id, "4000002760003184");
    const input = await world.orderInput(m.member, m.claim.id, m.sessionId);
    const result = await payForClaim(rt, world.stripe, m.member, input);
    expect(result.status).toBe("requires_action");
    expect((await dbState(m.claim.id)).payment?.status).toBe("requires_action");

    // A second member is authorised (3-D Secure done) but the capture never happens before the hold passes.
    const late = await world.memberWithClaim(s.drop.id, "4000002760003184");
    const lateInput = await world.orderInput(late.member, late.claim.id, late.sessionId);
    const lateResult = await payForClaim(rt, world.stripe, late.member, lateInput);
    if (lateResult.status !== "requires_action") throw new Error("expected 3-D Secure");

    rt.clock.advance(11 * MINUTE);
    // The member completes 3-D Secure after the hold passed: the authorisation exists but cannot be used.
    await world.billing.submitHosted(lateResult.redirectUrl, { result: "complete" });
    expect(await failure(completeClaimPayment(rt, world.stripe, late.member, late.claim.id))).toMatchObject({
      code: "GONE",
    });

    // Limited to this test's drop: on the server other files' claims share the database (and this clock is later).
    const job = await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] });
    expect(job.claims).toBe(2);
    for (const c of [m, late]) {
      const state = await dbState(c.claim.id);
      expect(state.claim).toBe("expired");
      expect(state.payment?.status).toBe("cancelled");
      expect(state.orders).toHaveLength(0);
      const intent = await world.stripe.paymentIntents.retrieve(
        state.payment!.stripe_payment_intent_id!,
        {},
        { stripeAccount: s.account },
      );
      expect(intent.status).toBe("canceled");
      const told = await outbox("drops-hold-expired", c.user.email);
      expect(told).toHaveLength(1);
      expect(told[0]!.text_body).toContain("29,90");
    }
    expect(await getRemaining(rt, s.drop.id)).toBe(5);
    // Running the job again changes nothing and tells nobody twice.
    await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] });
    expect(await outbox("drops-hold-expired", m.user.email)).toHaveLength(1);
    expect(await capturedWithoutOrder()).toEqual([]);
  });

  it("an authorisation Stripe made but Kiln never recorded (crash) is found and cancelled when the hold expires", async () => {
    const s = await world.shop({ holdMinutes: 10 });
    const m = await world.memberWithClaim(s.drop.id);
    const input = await world.orderInput(m.member, m.claim.id, m.sessionId);
    // Another member's order on the same drop, which the repair must leave alone.
    await payForClaim(rt, world.stripe, m.member, input);
    const { stripe_payment_intent_id: pi } = (await dbState(m.claim.id)).payment!;
    expect(pi).toBeTruthy();
    // A press that got as far as Stripe: the row says `authorising`, the PaymentIntent id was never stored.
    const other = await world.memberWithClaim(s.drop.id);
    const otherInput = await world.orderInput(other.member, other.claim.id, other.sessionId);
    await expect(
      payForClaim(rt, world.stripe, other.member, { ...otherInput, checkoutSessionId: "cs_nope" }),
    ).rejects.toThrow();
    const row = await withSystem(rt, "test", async (tx) => {
      const [p] = await tx.execute<{ stripe_account_id: string; stripe_customer_id: string; status: string }>(
        sql`select stripe_account_id, stripe_customer_id, status from drop_payments where claim_id = ${other.claim.id}`,
      );
      return p!;
    });
    expect(row.status).toBe("authorising");
    const orphan = await world.stripe.paymentIntents.create(
      {
        amount: 2990,
        currency: "eur",
        customer: row.stripe_customer_id,
        payment_method: "pm_card_visa",
        capture_method: "manual",
        confirm: true,
        metadata: { kiln_claim_id: other.claim.id },
      },
      { stripeAccount: row.stripe_account_id },
    );
    expect(orphan.status).toBe("requires_capture");

    rt.clock.advance(11 * MINUTE);
    await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] });
    const after = await world.stripe.paymentIntents.retrieve(orphan.id, {}, { stripeAccount: row.stripe_account_id });
    expect(after.status).toBe("canceled");
    expect(await dbState(other.claim.id)).toMatchObject({ claim: "expired", payment: { status: "cancelled" } });
    // The paid claim is untouched.
    expect(await dbState(m.claim.id)).toMatchObject({ claim: "confirmed", payment: { status: "captured" } });
  });

  it("a card that needs 3-D Secure orders once the member comes back from the bank's page", async () => {
    const s = await world.shop();
    const m = await world.memberWithClaim(s.drop.id, "4000002760003184");
    const first = await payForClaim(
      rt,
      world.stripe,
      m.member,
      await world.orderInput(m.member, m.claim.id, m.sessionId),
    );
    if (first.status !== "requires_action") throw new Error("expected 3-D Secure");
    expect((await dbState(m.claim.id)).orders).toHaveLength(0);
    const back = await world.billing.submitHosted(first.redirectUrl, { result: "complete" });
    expect(new URL(back).pathname).toBe(`/s/x/drops/claims/${m.claim.id}/paid`);
    const done = await completeClaimPayment(rt, world.stripe, m.member, m.claim.id);
    expect(done.status).toBe("ordered");
    expect(await dbState(m.claim.id)).toMatchObject({ claim: "confirmed", payment: { status: "captured" } });
    // Coming back twice (a reload) is the same order.
    const again = await completeClaimPayment(rt, world.stripe, m.member, m.claim.id);
    expect(again.status === "ordered" && done.status === "ordered" && again.order.id === done.order.id).toBe(true);
  });

  it("a double press on the order button is one authorisation, one capture and one order", async () => {
    const s = await world.shop();
    const m = await world.memberWithClaim(s.drop.id);
    const input = await world.orderInput(m.member, m.claim.id, m.sessionId);
    const results = await Promise.all([
      payForClaim(rt, world.stripe, m.member, input),
      payForClaim(rt, world.stripe, m.member, input),
    ]);
    expect(results.map((r) => r.status)).toEqual(["ordered", "ordered"]);
    const [a, b] = results as Array<Extract<(typeof results)[number], { status: "ordered" }>>;
    expect(a!.order.id).toBe(b!.order.id);
    const again = await payForClaim(rt, world.stripe, m.member, input);
    expect(again.status === "ordered" && again.order.id).toBe(a!.order.id);
    const intents = world.allIntents().filter((pi) => pi.metadata.kiln_claim_id === m.claim.id);
    expect(intents).toHaveLength(1);
    expect(intents[0]!.status).toBe("succeeded");
    expect((await dbState(m.claim.id)).orders).toHaveLength(1);
    expect(await outbox("drops-order-placed", m.user.email)).toHaveLength(1);
  });

  it("a crash between Stripe's capture and the order transaction is repaired by the sweeper, even after the hold", async () => {
    const s = await world.shop({ holdMinutes: 10 });
    const m = await world.memberWithClaim(s.drop.id, "4000002760003184");
    const input = await world.orderInput(m.member, m.claim.id, m.sessionId);
    const first = await payForClaim(rt, world.stripe, m.member, input);
    if (first.status !== "requires_action") throw new Error("expected 3-D Secure");
    await world.billing.submitHosted(first.redirectUrl, { result: "complete" });
    // What captureClaim does up to the crash: `capturing` recorded, Stripe captured, then the process dies.
    const pi = (await dbState(m.claim.id)).payment!.stripe_payment_intent_id!;
    await withSystem(rt, "test", (tx) =>
      tx.execute(
        sql`update drop_payments set status = 'capturing', updated_at = kiln_now() where claim_id = ${m.claim.id}`,
      ),
    );
    await world.stripe.paymentIntents.capture(pi, {}, { stripeAccount: s.account });
    expect(await capturedWithoutOrder()).toEqual([pi]);

    rt.clock.advance(15 * MINUTE);
    // Expiry running on its own before the sweeper must not release a claim whose capture is in flight.
    expect(await expireHolds(rt, { dropIds: [s.drop.id] })).toEqual({ claims: 0, units: 0 });
    expect((await dbState(m.claim.id)).claim).toBe("reserved");
    const job = await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] });
    expect(job).toMatchObject({ repaired: 1, claims: 0 });
    const state = await dbState(m.claim.id);
    expect(state.claim).toBe("confirmed");
    expect(state.payment?.status).toBe("captured");
    expect(state.orders).toHaveLength(1);
    expect(await capturedWithoutOrder()).toEqual([]);
    // The unit stays sold: expiry did not hand it back.
    expect(await getRemaining(rt, s.drop.id)).toBe(4);
  });

  it("bad input gets a clear message and changes nothing", async () => {
    const s = await world.shop();
    const m = await world.memberWithClaim(s.drop.id);
    const noName = await world.orderInput(m.member, m.claim.id, m.sessionId, {
      name: "",
      line1: "Hauptstr. 1",
      postalCode: "10115",
      city: "Berlin",
      country: "DE",
    });
    const badCountry = await world.orderInput(m.member, m.claim.id, m.sessionId, {
      name: "Mia",
      line1: "Hauptstr. 1",
      postalCode: "10115",
      city: "Berlin",
      country: "Germany",
    });
    const missing = { ...(await world.orderInput(m.member, m.claim.id, m.sessionId)), address: undefined };
    expect(await failure(payForClaim(rt, world.stripe, m.member, noName))).toMatchObject({
      code: "BAD_INPUT",
      fields: { "address.name": ["Enter the recipient's name"] },
    });
    expect(await failure(payForClaim(rt, world.stripe, m.member, badCountry))).toMatchObject({
      code: "BAD_INPUT",
      fields: { "address.country": ["Enter the country as a two-letter code like DE"] },
    });
    expect((await failure(payForClaim(rt, world.stripe, m.member, missing as never))).code).toBe("BAD_INPUT");
    const state = await dbState(m.claim.id);
    expect(state).toMatchObject({ claim: "reserved", payment: undefined, orders: [] });
    expect(world.allIntents().filter((pi) => pi.metadata.kiln_claim_id === m.claim.id)).toHaveLength(0);
  });

  it("refuses to pay for someone else's claim, or an expired one", async () => {
    const s = await world.shop({ holdMinutes: 5 });
    const m = await world.memberWithClaim(s.drop.id);
    const other = await world.memberWithClaim(s.drop.id);
    const input = await world.orderInput(m.member, m.claim.id, m.sessionId);
    expect((await failure(payForClaim(rt, world.stripe, other.member, input))).code).toBe("NOT_FOUND");
    rt.clock.advance(6 * MINUTE);
    expect((await failure(payForClaim(rt, world.stripe, m.member, input))).code).toBe("GONE");
    expect(world.allIntents().filter((pi) => pi.metadata.kiln_claim_id === m.claim.id)).toHaveLength(0);
  });

  it("a paid claim outlives its hold: expiry leaves its unit sold and the member cannot let it go", async () => {
    const s = await world.shop({ holdMinutes: 10 });
    const m = await world.memberWithClaim(s.drop.id);
    const input = await world.orderInput(m.member, m.claim.id, m.sessionId);
    expect((await payForClaim(rt, world.stripe, m.member, input)).status).toBe("ordered");
    rt.clock.advance(60 * MINUTE);
    expect(await runDropHoldJob(rt, world.stripe, { dropIds: [s.drop.id] })).toMatchObject({ claims: 0, units: 0 });
    expect(await failure(cancelClaim(rt, m.member, m.claim.id))).toMatchObject({ code: "CONFLICT" });
    expect(await dbState(m.claim.id)).toMatchObject({ claim: "confirmed", payment: { status: "captured" } });
    expect((await dbState(m.claim.id)).orders).toHaveLength(1);
    expect(await getRemaining(rt, s.drop.id)).toBe(4);
  });
});
