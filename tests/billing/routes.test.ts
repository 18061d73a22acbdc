import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createStripeClient } from "@kiln/billing";
import { withSystem } from "@kiln/db";
import { argsFor, settle, testRequest, testServices } from "../../app/app/testing/context";
import * as connectRoute from "../../app/app/routes/api.v1.webhooks.stripe-connect";
import * as platformRoute from "../../app/app/routes/api.v1.webhooks.stripe";
import { getTestRuntime } from "../setup/runtime";

const rt = await getTestRuntime();

function setup() {
  const queued: string[] = [];
  // Signature checks are local to the SDK: no Stripe (or emulator) is contacted by these routes.
  const stripe = createStripeClient({ emulator: { host: "127.0.0.1", port: 9, protocol: "http" } });
  const services = { ...testServices(rt), billing: { stripe, onWebhookStored: (id: string) => queued.push(id) } };
  return { services, stripe, queued };
}

const eventBody = (id: string) =>
  JSON.stringify({
    id,
    object: "event",
    type: "account.updated",
    created: Math.floor(Date.now() / 1000),
    data: { object: {} },
  });

describe("POST /api/v1/webhooks/stripe and /stripe-connect", () => {
  it("verifies the raw body with each endpoint's own secret, stores once, queues processing", async () => {
    const { services, stripe, queued } = setup();
    const id = `evt_route_${crypto.randomUUID().replaceAll("-", "")}`;
    const body = eventBody(id);
    const signed = (secret: string) =>
      testRequest("/api/v1/webhooks/stripe-connect", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Stripe-Signature": stripe.webhooks.generateTestHeaderString({ payload: body, secret }),
        },
      });
    const withBody = (r: Request) => new Request(r, { body, method: "POST" });
    const wrong = await settle(async () =>
      connectRoute.action(await argsFor(services, withBody(signed(services.config.stripeWebhookSecret)))),
    );
    expect(wrong.status).toBe(400);
    expect(queued).toEqual([]);
    const ok = await settle(async () =>
      connectRoute.action(await argsFor(services, withBody(signed(services.config.stripeConnectWebhookSecret)))),
    );
    expect(ok).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    const again = await settle(async () =>
      connectRoute.action(await argsFor(services, withBody(signed(services.config.stripeConnectWebhookSecret)))),
    );
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(queued).toEqual([id, id]);
    const rows = await withSystem(rt, "t", (tx) =>
      tx.execute<{ endpoint: string; payload: string }>(
        sql`select endpoint, payload from billing_webhook_events where stripe_event_id = ${id}`,
      ),
    );
    expect(rows).toEqual([{ endpoint: "connect", payload: body }]);
  });

  it("answers 503 without billing configured and 405 to GET", async () => {
    const request = testRequest("/api/v1/webhooks/stripe", { method: "POST", json: {} });
    const res = await settle(async () => platformRoute.action(await argsFor(testServices(rt), request)));
    expect(res.status).toBe(503);
    expect(platformRoute.loader().status).toBe(405);
  });
});
