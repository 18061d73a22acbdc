import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStripeEmulator, stripeClientOptions, type StripeEmulator } from "./index";
import { startReceiver } from "./test-helpers";

const SECRET = "whsec_platform";
const CONNECT_SECRET = "whsec_connect";
let emulator: StripeEmulator;
let stripe: Stripe;
let platform: Awaited<ReturnType<typeof startReceiver>>;
let connect: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  const verifier = new Stripe("sk_test_x");
  platform = await startReceiver(SECRET, verifier);
  connect = await startReceiver(CONNECT_SECRET, verifier);
  emulator = await startStripeEmulator({
    webhooks: [
      { url: platform.url, secret: SECRET },
      { url: connect.url, secret: CONNECT_SECRET, connect: true },
    ],
    webhookOptions: { retryDelaysMs: [30, 60] },
  });
  stripe = new Stripe("sk_test_webhooks", { ...stripeClientOptions(emulator.url), maxNetworkRetries: 0 });
});
afterAll(async () => {
  await emulator.stop();
  await platform.close();
  await connect.close();
});
beforeEach(async () => {
  await emulator.webhooksIdle();
  emulator.reset();
  platform.events.length = 0;
  connect.events.length = 0;
});

const created = (id: string) => (e: Stripe.Event) => e.type === "customer.created" && e.data.object.id === id;

describe("webhook test controls", () => {
  it("drops the next delivery: the event stays listed and pending, nothing arrives", async () => {
    await emulator.control.dropNextDelivery();
    const lost = await stripe.customers.create({ email: "lost@example.com" });
    const kept = await stripe.customers.create({ email: "kept@example.com" });
    await platform.waitFor(created(kept.id));
    await emulator.webhooksIdle();
    expect(platform.events.some(created(lost.id))).toBe(false);
    const log = (await emulator.control.deliveries()).deliveries;
    expect(log.find((d) => d.outcome === "dropped")).toMatchObject({ type: "customer.created" });
    const [event] = (await stripe.events.list({ type: "customer.created", limit: 2 })).data.slice(1);
    expect(event?.data.object).toMatchObject({ id: lost.id });
    expect(event?.pending_webhooks).toBe(1);

    // …until it is redelivered.
    await emulator.control.redeliver(event!.id);
    const again = await platform.waitFor(created(lost.id));
    expect(again.id).toBe(event!.id);
    expect((await stripe.events.retrieve(event!.id)).pending_webhooks).toBe(0);
  });

  it("delivers the next event twice with the same id", async () => {
    await emulator.control.duplicateNextDelivery();
    const customer = await stripe.customers.create({ email: "twice@example.com" });
    await emulator.webhooksIdle();
    const copies = platform.events.filter(created(customer.id));
    expect(copies).toHaveLength(2);
    expect(copies[0]?.id).toBe(copies[1]?.id);
    // Acknowledged twice by the same endpoint, counted once.
    expect((await stripe.events.retrieve(copies[0]!.id)).pending_webhooks).toBe(0);
  });

  it("holds a batch and releases it in reverse order", async () => {
    await emulator.control.holdDeliveries();
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) ids.push((await stripe.customers.create({ name })).id);
    expect((await emulator.control.deliveries()).pending).toBe(3);
    expect(platform.events).toHaveLength(0);
    expect(await emulator.control.releaseDeliveries("reverse")).toBe(3);
    await emulator.webhooksIdle();
    expect(platform.events.map((e) => (e.data.object as Stripe.Customer).id)).toEqual([...ids].reverse());
  });

  it("redelivers an already delivered event", async () => {
    const customer = await stripe.customers.create({ email: "again@example.com" });
    const first = await platform.waitFor(created(customer.id));
    await emulator.control.redeliver(first.id);
    await emulator.webhooksIdle();
    expect(platform.events.filter((e) => e.id === first.id)).toHaveLength(2);
    await expect(emulator.control.redeliver("evt_missing")).rejects.toThrow(/404/);
  });
});

describe("pending_webhooks", () => {
  it("counts endpoints that have not acknowledged the event, down to 0 after a retried success", async () => {
    const failing = await startReceiver(SECRET, new Stripe("sk_test_x"), { failFirst: 1 });
    const other = await startStripeEmulator({
      webhooks: [
        { url: failing.url, secret: SECRET },
        { url: platform.url, secret: SECRET },
      ],
      webhookOptions: { retryDelaysMs: [200] },
    });
    try {
      const client = new Stripe("sk_test_x", { ...stripeClientOptions(other.url), maxNetworkRetries: 0 });
      const customer = await client.customers.create({ email: "count@example.com" });
      const [event] = (await client.events.list({ type: "customer.created" })).data;
      expect(event?.pending_webhooks).toBeGreaterThanOrEqual(1);
      await platform.waitFor(created(customer.id));
      const deadline = Date.now() + 5_000;
      let pending = 2;
      while (pending > 0 && Date.now() < deadline) {
        pending = (await client.events.retrieve(event!.id)).pending_webhooks;
        if (pending > 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(pending).toBe(0);
      const log = (await other.control.deliveries()).deliveries.filter((d) => d.url === failing.url);
      expect(log.map((d) => d.outcome)).toEqual(["failed", "delivered"]);
    } finally {
      await other.stop();
      await failing.close();
    }
  });
});

describe("Connect events", () => {
  it("go to the Connect endpoint with `account`, the platform's to the platform endpoint", async () => {
    const account = await stripe.accounts.create({ type: "express", country: "DE" });
    const customer = await stripe.customers.create({ email: "fan@example.com" }, { stripeAccount: account.id });
    const event = await connect.waitFor(created(customer.id));
    expect(event.account).toBe(account.id);
    const own = await stripe.customers.create({ email: "platform@example.com" });
    await platform.waitFor(created(own.id));
    await emulator.webhooksIdle();
    expect(platform.events.some(created(customer.id))).toBe(false);
    expect(connect.events.some(created(own.id))).toBe(false);
  });
});

describe("state", () => {
  it("survives a restart: objects, the advanced clock, idempotency keys and due renewals", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stripe-emulator-"));
    const statePath = path.join(dir, "state.json");
    const now = () => new Date("2026-12-01T10:00:00Z");
    try {
      const first = await startStripeEmulator({ statePath, now });
      let client = new Stripe("sk_test_x", { ...stripeClientOptions(first.url), maxNetworkRetries: 0 });
      const customer = await client.customers.create({ email: "keep@example.com" }, { idempotencyKey: "restart-1" });
      const product = await client.products.create({ name: "Kept" });
      const price = await client.prices.create({
        product: product.id,
        unit_amount: 300,
        currency: "eur",
        recurring: { interval: "month" },
      });
      const sub = await client.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id }],
        default_payment_method: "pm_card_visa",
      });
      const advanced = await first.control.advance({ hours: 20 }); // idempotency keys live 24 h
      await first.stop();

      const second = await startStripeEmulator({ statePath, now });
      try {
        client = new Stripe("sk_test_x", { ...stripeClientOptions(second.url), maxNetworkRetries: 0 });
        expect(await second.control.now()).toBe(advanced);
        expect(await client.customers.retrieve(customer.id)).toMatchObject({ email: "keep@example.com" });
        const replay = await client.customers.create({ email: "keep@example.com" }, { idempotencyKey: "restart-1" });
        expect(replay.id).toBe(customer.id);
        expect(replay.lastResponse.headers["idempotent-replayed"]).toBe("true");
        await second.control.advance({ days: 31 });
        const renewed = await client.invoices.list({ subscription: sub.id });
        expect(renewed.data.map((i) => [i.billing_reason, i.status])).toEqual([
          ["subscription_cycle", "paid"],
          ["subscription_create", "paid"],
        ]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
