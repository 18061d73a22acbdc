import { and, eq, inArray, sql } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import type { Stripe } from "@kiln/billing";
import { selectLockedAllocation } from "@kiln/capacity";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import type { MemberContext } from "./claims";
import { PayForClaimSchema, type PayForClaimInput } from "./schemas";
import { notifyMember } from "./notify";
import { parseInput } from "./validate";

/**
 * Paying for a claim (issue 8 §4, DESIGN.md §4 "Claim"): a PaymentIntent with manual capture on the
 * creator's connected account (ADR 010: direct charge, the co-op's application fee) is authorised on
 * Kiln's order page; Kiln then confirms the claim and captures in one step. The invariants:
 *
 * - no captured payment without an order: `capturing` is recorded before the capture call, the
 *   hold-expiry job skips such claims, and `sweepDropPayments` finishes any capture whose outcome was
 *   never recorded (Stripe's capture is idempotent by claim id);
 * - no order without a payment: the claim becomes `confirmed` and the order row is inserted in the
 *   same transaction that records the capture;
 * - a hold that expires first ends with the authorisation cancelled and the member told (outbox).
 */

export type DropPayment = typeof schema.dropPayments.$inferSelect;
export type Order = typeof schema.orders.$inferSelect;

export type PayResult =
  { status: "ordered"; order: Order } | { status: "requires_action"; redirectUrl: string; claimId: string };

const STRIPE_KEY = (kind: string, claimId: string) => `kiln-drop-${kind}-${claimId}`;

const piId = (pi: { id: string } | string | null | undefined) => (typeof pi === "string" ? pi : (pi?.id ?? null));

export const money = (minor: number, currency: string, locale: string) =>
  new Intl.NumberFormat(locale === "de" ? "de-DE" : "en-GB", { style: "currency", currency }).format(minor / 100);

/** The claim, its drop, product and the creator's payment set-up, for the order page and the order button. */
async function loadOrderContext(tx: Tx, memberUserId: string, claimId: string) {
  const [row] = await tx
    .select({ claim: schema.dropClaims, drop: schema.drops, product: schema.products, creator: schema.creators })
    .from(schema.dropClaims)
    .innerJoin(schema.drops, eq(schema.drops.id, schema.dropClaims.dropId))
    .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
    .innerJoin(schema.creators, eq(schema.creators.id, schema.dropClaims.creatorId))
    .where(and(eq(schema.dropClaims.id, claimId), eq(schema.dropClaims.memberUserId, memberUserId)));
  if (!row) throw new AppError("NOT_FOUND", "Claim not found");
  const itemsMinor = row.product.priceMinor * row.claim.quantity;
  const deliveryMinor = row.product.deliveryMinor;
  return { ...row, itemsMinor, deliveryMinor, totalMinor: itemsMinor + deliveryMinor };
}

export interface OrderPage {
  claim: typeof schema.dropClaims.$inferSelect;
  drop: typeof schema.drops.$inferSelect;
  product: typeof schema.products.$inferSelect;
  creator: { id: string; slug: string; displayName: string };
  itemsMinor: number;
  deliveryMinor: number;
  totalMinor: number;
  payment: DropPayment | null;
  order: Order | null;
  /** The seller's identity and withdrawal links, from the creator's latest approved terms (null: none yet). */
  seller: Seller | null;
}

export interface Seller {
  trader: { name: string; address: string; email: string };
  withdrawalFunctionUrl: string;
  withdrawalInstructionsUrl: string;
}

/** The creator's trader details as approved by the co-op's reviewer (compliance terms versions). */
async function findSeller(tx: Tx, creatorId: string): Promise<Seller | null> {
  const [row] = await tx.execute<{ terms: { trader?: Seller["trader"]; withdrawal?: Record<string, unknown> } }>(sql`
    select terms from terms_versions
    where creator_id = ${creatorId} and status in ('approved', 'superseded') and terms ? 'trader'
    order by (status = 'approved') desc, created_at desc limit 1`);
  const trader = row?.terms.trader;
  const w = row?.terms.withdrawal;
  if (!trader?.name || !trader.address || !trader.email) return null;
  return {
    trader: { name: trader.name, address: trader.address, email: trader.email },
    withdrawalFunctionUrl: typeof w?.functionUrl === "string" ? w.functionUrl : "/account/withdraw",
    withdrawalInstructionsUrl: typeof w?.instructionsUrl === "string" ? w.instructionsUrl : "/legal/withdrawal",
  };
}

/** What Kiln's goods order page shows for a member's own claim: items, delivery and the gross total. */
export async function getOrderPage(rt: Runtime, member: MemberContext, claimId: string): Promise<OrderPage> {
  return withSystem(rt, "drops-order-page", async (tx) => {
    const c = await loadOrderContext(tx, member.userId, claimId);
    const [payment] = await tx.select().from(schema.dropPayments).where(eq(schema.dropPayments.claimId, claimId));
    const [order] = await tx.select().from(schema.orders).where(eq(schema.orders.claimId, claimId));
    return {
      claim: c.claim,
      drop: c.drop,
      product: c.product,
      creator: { id: c.creator.id, slug: c.creator.slug, displayName: c.creator.displayName },
      itemsMinor: c.itemsMinor,
      deliveryMinor: c.deliveryMinor,
      totalMinor: c.totalMinor,
      payment: payment ?? null,
      order: order ?? null,
      seller: await findSeller(tx, c.claim.creatorId),
    };
  });
}

/** The creator's enabled connected account and the member's customer on it (from setup Checkout). */
async function paymentSetup(tx: Tx, memberUserId: string, creatorId: string, coopId: string) {
  const [account] = await tx
    .select()
    .from(schema.billingAccounts)
    .where(eq(schema.billingAccounts.creatorId, creatorId));
  if (!account || account.status !== "enabled")
    throw new AppError("CONFLICT", "This creator cannot take payments right now");
  const [customer] = await tx
    .select()
    .from(schema.billingCustomers)
    .where(
      and(eq(schema.billingCustomers.memberUserId, memberUserId), eq(schema.billingCustomers.creatorId, creatorId)),
    );
  if (!customer) throw new AppError("CONFLICT", "Add a card first", { fields: { checkoutSessionId: ["Add a card"] } });
  const [settings] = await tx.select().from(schema.billingSettings).where(eq(schema.billingSettings.coopId, coopId));
  return {
    account: account.stripeAccountId,
    customer: customer.stripeCustomerId,
    feeBps: settings?.applicationFeeBps ?? 500,
  };
}

/**
 * "Add a card" on the order page: a setup-mode Checkout Session on the creator's connected account
 * (as billing's subscription flow; ADR 010), back to the order page with `{CHECKOUT_SESSION_ID}`. The
 * member becomes a customer of that account once (billing_customers, shared with subscriptions).
 */
export async function startClaimCheckout(
  rt: Runtime,
  stripe: Stripe,
  member: MemberContext,
  input: { claimId: string; successUrl: string; cancelUrl: string },
) {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to order");
  const found = await withSystem(rt, "drops-checkout", async (tx) => {
    const c = await loadOrderContext(tx, member.userId, input.claimId);
    if (c.claim.status !== "reserved" || c.claim.expiresAt <= rt.clock.now())
      throw new AppError("GONE", "The hold on this claim has expired");
    const [account] = await tx
      .select()
      .from(schema.billingAccounts)
      .where(eq(schema.billingAccounts.creatorId, c.claim.creatorId));
    if (!account || account.status !== "enabled")
      throw new AppError("CONFLICT", "This creator cannot take payments right now");
    const [customer] = await tx
      .select()
      .from(schema.billingCustomers)
      .where(
        and(
          eq(schema.billingCustomers.memberUserId, member.userId),
          eq(schema.billingCustomers.creatorId, c.claim.creatorId),
        ),
      );
    const [user] = await tx
      .select({ email: schema.users.email })
      .from(schema.users)
      .where(eq(schema.users.id, member.userId));
    return {
      claim: c.claim,
      currency: c.product.currency,
      account: account.stripeAccountId,
      customer,
      email: user?.email,
    };
  });
  const { claim, account } = found;
  let customerId = found.customer?.stripeCustomerId;
  if (!customerId) {
    const created = await stripe.customers.create(
      { ...(found.email ? { email: found.email } : {}), metadata: { kiln_user_id: member.userId } },
      // The same key as billing's: a member who later subscribes to this creator is the same customer.
      { stripeAccount: account, idempotencyKey: `kiln-customer-${claim.creatorId}-${member.userId}` },
    );
    customerId = created.id;
    await withSystem(rt, "drops-customer", (tx) =>
      tx
        .insert(schema.billingCustomers)
        .values({
          coopId: claim.coopId,
          creatorId: claim.creatorId,
          memberUserId: member.userId,
          stripeAccountId: account,
          stripeCustomerId: created.id,
        })
        .onConflictDoNothing(),
    );
  }
  const session = await stripe.checkout.sessions.create(
    {
      mode: "setup",
      currency: found.currency.toLowerCase(),
      customer: customerId,
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      metadata: { kiln_claim_id: claim.id, kiln_user_id: member.userId },
    },
    { stripeAccount: account },
  );
  if (!session.url) throw new Error("Stripe returned a Checkout Session without a URL");
  return { url: session.url, sessionId: session.id };
}

/** The card saved by the member's setup Checkout on the creator's account (as billing's order button). */
async function savedPaymentMethod(stripe: Stripe, account: string, customer: string, checkoutSessionId: string) {
  const cardGone = () => new AppError("CONFLICT", "The card was not saved: add it again");
  const session = await stripe.checkout.sessions
    .retrieve(checkoutSessionId, {}, { stripeAccount: account })
    .catch(() => {
      throw cardGone();
    });
  const sessionCustomer = typeof session.customer === "string" ? session.customer : session.customer?.id;
  if (session.mode !== "setup" || session.status !== "complete" || sessionCustomer !== customer) throw cardGone();
  const setupIntentId = piId(session.setup_intent);
  if (!setupIntentId) throw cardGone();
  const setupIntent = await stripe.setupIntents.retrieve(setupIntentId, {}, { stripeAccount: account });
  const paymentMethod = piId(setupIntent.payment_method);
  if (setupIntent.status !== "succeeded" || !paymentMethod) throw cardGone();
  return paymentMethod;
}

/**
 * The order button of a claim's order page. Validates everything before anything changes (BAD_INPUT:
 * missing address, country not a two-letter code), then authorises the total on the creator's account
 * (idempotent by claim id: a double press is one PaymentIntent) and, unless the bank asks for 3-D
 * Secure, confirms and captures at once. A passed hold is GONE.
 */
export async function payForClaim(
  rt: Runtime,
  stripe: Stripe,
  member: MemberContext,
  input: PayForClaimInput,
): Promise<PayResult> {
  if (!member.userId) throw new AppError("UNAUTHENTICATED", "Sign in to order");
  const value = parseInput(PayForClaimSchema, input);

  const prepared = await withSystem(rt, "drops-pay", async (tx) => {
    const c = await loadOrderContext(tx, member.userId, value.claimId);
    await tx.execute(sql`select id from drop_claims where id = ${c.claim.id} for update`);
    const [existing] = await tx.select().from(schema.dropPayments).where(eq(schema.dropPayments.claimId, c.claim.id));
    if (existing && ["authorised", "capturing", "captured"].includes(existing.status)) return { existing };
    if (c.claim.status === "confirmed") throw new AppError("CONFLICT", "This claim is already paid");
    if (c.claim.status !== "reserved" || c.claim.expiresAt <= rt.clock.now())
      throw new AppError("GONE", "The hold on this claim has expired");
    // Without the seller's approved details the order page cannot carry the disclosure: no order.
    if (!(await findSeller(tx, c.claim.creatorId)))
      throw new AppError("CONFLICT", "This creator cannot take orders yet");
    const setup = await paymentSetup(tx, member.userId, c.claim.creatorId, c.claim.coopId);
    const fee = Math.floor((c.totalMinor * setup.feeBps) / 10_000);
    const values = {
      status: "authorising" as const,
      stripeAccountId: setup.account,
      stripeCustomerId: setup.customer,
      currency: c.product.currency,
      itemsMinor: c.itemsMinor,
      deliveryMinor: c.deliveryMinor,
      totalMinor: c.totalMinor,
      applicationFeeMinor: fee,
      shippingAddress: value.address,
      disclosureText: value.disclosureText,
      buttonLabel: value.buttonLabel,
      locale: value.locale,
      failureMessage: null,
      updatedAt: sql`kiln_now()`,
    };
    if (existing) {
      // A declined card or an unfinished 3-D Secure starts over (a new card is a new session, so a new
      // PaymentIntent); a press still authorising is left alone and the same PaymentIntent answers both.
      await tx
        .update(schema.dropPayments)
        .set(values)
        .where(
          and(
            eq(schema.dropPayments.claimId, c.claim.id),
            inArray(schema.dropPayments.status, ["failed", "requires_action"]),
          ),
        );
    } else {
      await tx.insert(schema.dropPayments).values({
        ...values,
        claimId: c.claim.id,
        coopId: c.claim.coopId,
        creatorId: c.claim.creatorId,
        memberUserId: member.userId,
      });
    }
    return { setup, fee, totalMinor: c.totalMinor, currency: c.product.currency, claim: c.claim };
  });
  if ("existing" in prepared) {
    const p = prepared.existing!;
    if (p.status === "captured") {
      const order = await findOrder(rt, p.claimId);
      if (order) return { status: "ordered", order };
    }
    return captureClaim(rt, stripe, p.claimId);
  }

  const { setup, claim } = prepared;
  const paymentMethod = await savedPaymentMethod(stripe, setup.account, setup.customer, value.checkoutSessionId);
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      {
        amount: prepared.totalMinor,
        currency: prepared.currency.toLowerCase(),
        customer: setup.customer,
        payment_method: paymentMethod,
        capture_method: "manual",
        confirm: true,
        return_url: value.returnUrl,
        application_fee_amount: prepared.fee,
        metadata: { kiln_claim_id: claim.id, kiln_drop_id: claim.dropId, kiln_user_id: member.userId },
      },
      {
        stripeAccount: setup.account,
        idempotencyKey: `${STRIPE_KEY("authorise", claim.id)}-${value.checkoutSessionId}`,
      },
    );
  } catch (error) {
    const message = (error as { message?: string }).message ?? "The card was declined";
    await withSystem(rt, "drops-pay-failed", (tx) =>
      tx
        .update(schema.dropPayments)
        .set({ status: "failed", failureMessage: message, updatedAt: sql`kiln_now()` })
        .where(and(eq(schema.dropPayments.claimId, claim.id), eq(schema.dropPayments.status, "authorising"))),
    );
    if ((error as { type?: string }).type === "StripeCardError")
      throw new AppError("CONFLICT", `The payment was declined: ${message}`);
    throw error;
  }
  return recordAuthorisation(rt, stripe, claim.id, intent);
}

/** Records the PaymentIntent's state; captures when authorised, or sends the member to 3-D Secure. */
async function recordAuthorisation(
  rt: Runtime,
  stripe: Stripe,
  claimId: string,
  intent: Stripe.PaymentIntent,
): Promise<PayResult> {
  const status =
    intent.status === "requires_capture"
      ? "authorised"
      : intent.status === "requires_action"
        ? "requires_action"
        : intent.status === "canceled"
          ? "cancelled"
          : "failed";
  const stillHeld = await withSystem(rt, "drops-pay-record", async (tx) => {
    // Serialised with the order button's first step (same lock), so a second press cannot undo this.
    await tx.execute(sql`select id from drop_claims where id = ${claimId} for update`);
    await tx
      .update(schema.dropPayments)
      .set({
        status,
        stripePaymentIntentId: intent.id,
        authorisedAt: status === "authorised" ? sql`kiln_now()` : undefined,
        updatedAt: sql`kiln_now()`,
      })
      .where(
        and(
          eq(schema.dropPayments.claimId, claimId),
          inArray(schema.dropPayments.status, ["authorising", "requires_action", "failed"]),
        ),
      );
    const [claim] = await tx.select().from(schema.dropClaims).where(eq(schema.dropClaims.id, claimId));
    return { held: claim?.status === "reserved", dropId: claim?.dropId };
  });
  // The hold passed while the bank was asked: cancel the authorisation now and tell the member.
  if (!stillHeld.held) {
    if (stillHeld.dropId) await cancelAuthorisations(rt, stripe, { dropIds: [stillHeld.dropId] });
    throw new AppError("GONE", "The hold on this claim has expired");
  }
  if (status === "requires_action") {
    const url = intent.next_action?.redirect_to_url?.url;
    if (!url) throw new Error(`PaymentIntent ${intent.id} requires an action without a URL`);
    return { status: "requires_action", redirectUrl: url, claimId };
  }
  if (status !== "authorised") throw new AppError("CONFLICT", "The payment was not authorised: try another card");
  return captureClaim(rt, stripe, claimId);
}

/** Back from the bank's 3-D Secure page: re-reads the PaymentIntent and finishes the order. */
export async function completeClaimPayment(
  rt: Runtime,
  stripe: Stripe,
  member: MemberContext,
  claimId: string,
): Promise<PayResult> {
  const payment = await withSystem(rt, "drops-pay-return", async (tx) => {
    const [row] = await tx
      .select()
      .from(schema.dropPayments)
      .where(and(eq(schema.dropPayments.claimId, claimId), eq(schema.dropPayments.memberUserId, member.userId)));
    return row;
  });
  if (!payment?.stripePaymentIntentId) throw new AppError("NOT_FOUND", "Payment not found");
  if (payment.status === "captured") {
    const order = await findOrder(rt, claimId);
    if (order) return { status: "ordered", order };
  }
  const intent = await stripe.paymentIntents.retrieve(
    payment.stripePaymentIntentId,
    {},
    { stripeAccount: payment.stripeAccountId },
  );
  if (intent.status === "succeeded" || payment.status === "capturing") return captureClaim(rt, stripe, claimId);
  return recordAuthorisation(rt, stripe, claimId, intent);
}

async function findOrder(rt: Runtime, claimId: string) {
  return withSystem(rt, "drops-order", async (tx) => {
    const [order] = await tx.select().from(schema.orders).where(eq(schema.orders.claimId, claimId));
    return order ?? null;
  });
}

/**
 * Confirms the claim and captures (one step for the member). 1) `capturing` is recorded while the
 * hold lasts, 2) Stripe captures (idempotent by claim id), 3) one transaction confirms the claim,
 * creates the order and records the capture. A crash between 2 and 3 leaves `capturing`, which
 * `sweepDropPayments` finishes; expiry never releases such a claim.
 */
export async function captureClaim(rt: Runtime, stripe: Stripe, claimId: string): Promise<PayResult> {
  const payment = await withSystem(rt, "drops-capture-begin", async (tx) => {
    await tx.execute(sql`select id from drop_claims where id = ${claimId} for update`);
    const [p] = await tx.select().from(schema.dropPayments).where(eq(schema.dropPayments.claimId, claimId));
    const [claim] = await tx.select().from(schema.dropClaims).where(eq(schema.dropClaims.id, claimId));
    if (!p || !claim) throw new AppError("NOT_FOUND", "Payment not found");
    if (p.status === "captured" || p.status === "capturing") return p;
    if (p.status !== "authorised") throw new AppError("CONFLICT", "The payment is not authorised");
    if (claim.status !== "reserved" || claim.expiresAt <= rt.clock.now())
      throw new AppError("GONE", "The hold on this claim has expired");
    const [marked] = await tx
      .update(schema.dropPayments)
      .set({ status: "capturing", updatedAt: sql`kiln_now()` })
      .where(eq(schema.dropPayments.claimId, claimId))
      .returning();
    return marked!;
  });
  if (payment.status === "captured") {
    const order = await findOrder(rt, claimId);
    if (order) return { status: "ordered", order };
  }
  const intentId = payment.stripePaymentIntentId!;
  const options = { stripeAccount: payment.stripeAccountId };
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.capture(
      intentId,
      {},
      { ...options, idempotencyKey: STRIPE_KEY("capture", claimId) },
    );
  } catch (error) {
    intent = await stripe.paymentIntents.retrieve(intentId, {}, options);
    if (intent.status !== "succeeded") {
      // Not captured (the authorisation lapsed or was cancelled): nothing was taken; the hold runs out.
      await withSystem(rt, "drops-capture-failed", (tx) =>
        tx
          .update(schema.dropPayments)
          .set({
            status: intent.status === "requires_capture" ? "authorised" : "failed",
            failureMessage: (error as { message?: string }).message ?? "capture failed",
            updatedAt: sql`kiln_now()`,
          })
          .where(and(eq(schema.dropPayments.claimId, claimId), eq(schema.dropPayments.status, "capturing"))),
      );
      throw new AppError("CONFLICT", "The payment could not be completed");
    }
  }
  const order = await withSystem(rt, "drops-capture-record", (tx) => recordCapture(tx, rt, claimId, intent));
  return { status: "ordered", order };
}

/** Step 3: claim confirmed, order created and capture recorded, all or nothing. Idempotent. */
async function recordCapture(tx: Tx, rt: Runtime, claimId: string, intent: Stripe.PaymentIntent): Promise<Order> {
  await tx.execute(sql`select id from drop_claims where id = ${claimId} for update`);
  const [existing] = await tx.select().from(schema.orders).where(eq(schema.orders.claimId, claimId));
  if (existing) return existing;
  const [row] = await tx
    .select({ claim: schema.dropClaims, drop: schema.drops, product: schema.products, payment: schema.dropPayments })
    .from(schema.dropClaims)
    .innerJoin(schema.drops, eq(schema.drops.id, schema.dropClaims.dropId))
    .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
    .innerJoin(schema.dropPayments, eq(schema.dropPayments.claimId, schema.dropClaims.id))
    .where(eq(schema.dropClaims.id, claimId));
  if (!row) throw new Error(`claim ${claimId} has no payment`);
  const { claim, drop, product, payment } = row;
  if (claim.status !== "reserved" && claim.status !== "confirmed")
    // Only reachable if something released a claim under a capture: money was taken, so flag loudly.
    throw new Error(`claim ${claimId} is ${claim.status} but payment ${intent.id} was captured`);
  const route = await routeToFactory(tx, drop);
  await tx
    .update(schema.dropClaims)
    .set({ status: "confirmed", confirmedAt: sql`kiln_now()`, updatedAt: sql`kiln_now()` })
    .where(eq(schema.dropClaims.id, claimId));
  await tx
    .update(schema.dropPayments)
    .set({ status: "captured", capturedAt: sql`kiln_now()`, updatedAt: sql`kiln_now()` })
    .where(eq(schema.dropPayments.claimId, claimId));
  const now = rt.clock.now();
  const [order] = await tx
    .insert(schema.orders)
    .values({
      coopId: claim.coopId,
      creatorId: claim.creatorId,
      claimId,
      dropId: drop.id,
      productId: product.id,
      memberUserId: claim.memberUserId,
      factoryId: route.factoryId,
      allocationId: route.allocationId,
      quantity: claim.quantity,
      currency: payment.currency,
      itemsMinor: payment.itemsMinor,
      deliveryMinor: payment.deliveryMinor,
      totalMinor: payment.totalMinor,
      shippingAddress: payment.shippingAddress,
      stripePaymentIntentId: intent.id,
      withdrawalExemptionReason: product.withdrawalExemptionReason,
      shipBy: route.shipBy ?? drop.shipBy,
      placedAt: now,
    })
    .returning();
  await appendAudit(tx, now, {
    coopId: claim.coopId,
    actorUserId: claim.memberUserId,
    action: "drops.order.placed",
    subjectType: "order",
    subjectId: order!.id,
    data: {
      claimId,
      dropId: drop.id,
      factoryId: route.factoryId,
      totalMinor: payment.totalMinor,
      currency: payment.currency,
      stripePaymentIntentId: intent.id,
    },
  });
  const total = money(payment.totalMinor, payment.currency, payment.locale);
  await notifyMember(tx, claim.memberUserId, claim.coopId, payment.locale, {
    template: "drops-order-placed",
    subject: payment.locale === "de" ? `Ihre Bestellung: ${product.title}` : `Your order: ${product.title}`,
    text:
      payment.locale === "de"
        ? `Danke für Ihre Bestellung von ${claim.quantity} × ${product.title} für ${total} (inkl. Versand und Steuern).\n\n${payment.disclosureText}`
        : `Thank you for ordering ${claim.quantity} × ${product.title} for ${total} (incl. delivery and taxes).\n\n${payment.disclosureText}`,
  });
  return order!;
}

/**
 * The factory an order is made at: among the factories of the drop's locked allocation, the one with
 * the most capacity units not yet taken by this allocation's orders (ties: capacity's batch order).
 */
async function routeToFactory(tx: Tx, drop: typeof schema.drops.$inferSelect) {
  const allocation = await selectLockedAllocation(tx, {
    creatorId: drop.creatorId,
    capability: drop.capability,
    period: drop.period,
  });
  const used = await tx.execute<{ factory_id: string; units: number }>(sql`
    select o.factory_id, coalesce(sum(o.quantity * p.capacity_units_per_item), 0)::int as units
    from orders o join drops d on d.id = o.drop_id join products p on p.id = o.product_id
    where d.creator_id = ${drop.creatorId} and d.capability = ${drop.capability} and d.period = ${drop.period}
    group by o.factory_id`);
  const usedBy = new Map(used.map((u) => [u.factory_id, u.units]));
  let best = allocation.batches[0];
  if (!best) throw new Error(`drop ${drop.id} has no locked allocation to route to`);
  for (const b of allocation.batches)
    if (b.units - (usedBy.get(b.factoryId) ?? 0) > best.units - (usedBy.get(best.factoryId) ?? 0)) best = b;
  const [row] = await tx
    .select({ id: schema.allocations.id })
    .from(schema.allocations)
    .where(
      and(
        eq(schema.allocations.creatorId, drop.creatorId),
        eq(schema.allocations.capability, drop.capability),
        eq(schema.allocations.period, drop.period),
        eq(schema.allocations.factoryId, best.factoryId),
        eq(schema.allocations.isLocked, true),
      ),
    )
    .limit(1);
  return { factoryId: best.factoryId, allocationId: row?.id ?? null, shipBy: best.revisedShipBy ?? best.shipBy };
}

/**
 * Cancels the authorisations of claims whose hold passed (or that were let go) before payment, and
 * tells each member through the outbox. Stripe's cancel is idempotent by claim id; an authorisation
 * already cancelled on Stripe is recorded as such.
 */
export async function cancelAuthorisations(
  rt: Runtime,
  stripe: Stripe,
  options: { batchSize?: number; dropIds?: string[] } = {},
) {
  const due = await withSystem(rt, "drops-cancel-authorisations", (tx) =>
    tx
      .select({ payment: schema.dropPayments })
      .from(schema.dropPayments)
      .innerJoin(schema.dropClaims, eq(schema.dropClaims.id, schema.dropPayments.claimId))
      .where(
        and(
          inArray(schema.dropPayments.status, ["authorising", "requires_action", "authorised", "failed"]),
          inArray(schema.dropClaims.status, ["expired", "cancelled"]),
          options.dropIds ? inArray(schema.dropClaims.dropId, options.dropIds) : undefined,
        ),
      )
      .limit(options.batchSize ?? 200),
  );
  let cancelled = 0;
  for (const { payment } of due) {
    const opts = { stripeAccount: payment.stripeAccountId };
    // The recorded PaymentIntent, and — when a press may have created one without recording it (a crash
    // after Stripe answered, or an earlier card given up for a new one) — any other of this claim's.
    const ids = new Set(payment.stripePaymentIntentId ? [payment.stripePaymentIntentId] : []);
    if (payment.status !== "authorised")
      for await (const pi of stripe.paymentIntents.list({ customer: payment.stripeCustomerId, limit: 100 }, opts))
        if (pi.metadata.kiln_claim_id === payment.claimId) ids.add(pi.id);
    let captured = false;
    for (const id of ids) {
      const current = await stripe.paymentIntents.retrieve(id, {}, opts);
      // Cannot happen without `capturing` (the sweeper's case): never cancel or forget a captured payment.
      if (current.status === "succeeded") captured = true;
      else if (current.status !== "canceled")
        await stripe.paymentIntents.cancel(
          id,
          { cancellation_reason: "abandoned" },
          { ...opts, idempotencyKey: `${STRIPE_KEY("cancel", payment.claimId)}-${id}` },
        );
    }
    if (captured) {
      console.error(`[kiln] drops: claim ${payment.claimId} has a captured payment but no capture record`);
      continue;
    }
    const done = await withSystem(rt, "drops-cancel-authorisations", async (tx) => {
      const [row] = await tx
        .update(schema.dropPayments)
        .set({ status: "cancelled", cancelledAt: sql`kiln_now()`, updatedAt: sql`kiln_now()` })
        .where(
          and(
            eq(schema.dropPayments.claimId, payment.claimId),
            inArray(schema.dropPayments.status, ["authorising", "requires_action", "authorised", "failed"]),
          ),
        )
        .returning();
      if (!row) return false;
      const amount = money(row.totalMinor, row.currency, row.locale);
      // Only an authorisation that reached the bank is worth a notice; a failed attempt held nothing.
      if (payment.status !== "failed")
        await notifyMember(tx, row.memberUserId, row.coopId, row.locale, {
          template: "drops-hold-expired",
          subject: row.locale === "de" ? "Ihre Reservierung ist abgelaufen" : "Your hold has expired",
          text:
            row.locale === "de"
              ? `Ihre Reservierung ist abgelaufen, bevor die Zahlung abgeschlossen war. Die Autorisierung über ${amount} wurde aufgehoben; es wurde nichts abgebucht.`
              : `Your hold expired before the payment was completed. The authorisation of ${amount} was cancelled; nothing was charged.`,
        });
      await appendAudit(tx, rt.clock.now(), {
        coopId: row.coopId,
        action: "drops.payment.authorisation_cancelled",
        subjectType: "drop_claim",
        subjectId: row.claimId,
        data: { stripePaymentIntentId: row.stripePaymentIntentId, totalMinor: row.totalMinor },
      });
      return true;
    });
    if (done) cancelled++;
  }
  return { cancelled };
}
