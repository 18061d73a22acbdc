import { randomBytes } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { createSubscription } from "@kiln/billing";
import { schema, withSystem } from "@kiln/db";
import type { TestRuntime } from "../setup/runtime";
import type { startBillingWorld } from "../billing/world";

export const RECEIPT_KEY = "test-receipt-key-0123456789";

/** A fresh one-time form key, as the cancel and withdraw pages put in a hidden field. */
export const submissionKey = () => randomBytes(18).toString("base64url");

type World = Awaited<ReturnType<typeof startBillingWorld>>;

/**
 * A DE member subscribed to a live DE tier through the real order flow (setup Checkout, consent with
 * the express-start request ticked or not, subscription on the creator's connected account).
 */
export async function subscribedMember(rt: TestRuntime, world: World, options: { expressStart?: boolean } = {}) {
  const live = await world.liveTier();
  const { p, tier, version, terms } = live;
  await withSystem(rt, "test-member-country", (tx) =>
    tx.update(schema.users).set({ country: "DE" }).where(eq(schema.users.id, p.member.id)),
  );
  const session = await world.saveCard(p.member.id, tier.id);
  const consent = world.consentFor(terms);
  const express = options.expressStart ?? true;
  const result = await createSubscription(
    rt,
    world.stripe,
    { userId: p.member.id },
    {
      tierId: tier.id,
      checkoutSessionId: session,
      termsVersionId: version.id,
      consent: {
        ...consent,
        checkboxes: consent.checkboxes.map((c) => (c.name === "express-start" ? { ...c, checked: express } : c)),
      },
    },
  );
  return { ...live, subscription: result.subscription, member: p.member };
}

export async function outboxFor(rt: TestRuntime, addresses: string[]) {
  return withSystem(rt, "test-outbox", (tx) =>
    tx.select().from(schema.emailOutbox).where(inArray(schema.emailOutbox.toAddress, addresses)),
  );
}

export async function auditActions(rt: TestRuntime, coopId: string) {
  const rows = await withSystem(rt, "test-audit", (tx) =>
    tx.select().from(schema.auditLog).where(eq(schema.auditLog.coopId, coopId)),
  );
  return rows.map((r) => r.action);
}
