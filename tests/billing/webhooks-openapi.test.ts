import { describe, expect, it } from "vitest";
import { createStripeClient } from "@kiln/billing";
import { StripeEventSchema, WebhookAckSchema } from "../../app/app/api/openapi-billing";
import { buildOpenApiDocument } from "../../app/app/api/openapi";
import { ErrorResponseSchema } from "../../app/app/api/schemas";
import { argsFor, settle, testRequest, testServices } from "../../app/app/testing/context";
import * as connectRoute from "../../app/app/routes/api.v1.webhooks.stripe-connect";
import { getTestRuntime } from "../setup/runtime";

const rt = await getTestRuntime();

describe("OpenAPI: the Stripe webhook endpoints", () => {
  it("documents both endpoints: the signed StripeEvent body, the Stripe-Signature header, 200/400/503", () => {
    const doc = buildOpenApiDocument("http://kiln.test") as unknown as {
      paths: Record<string, { post?: Record<string, unknown> }>;
      components: { schemas: Record<string, unknown> };
    };
    for (const path of ["/webhooks/stripe", "/webhooks/stripe-connect"]) {
      const post = doc.paths[path]?.post as {
        security: unknown[];
        parameters: Array<{ name: string; in: string; required: boolean }>;
        requestBody: { content: Record<string, { schema: { $ref: string } }> };
        responses: Record<string, unknown>;
      };
      expect(post, path).toBeDefined();
      expect(post.security).toEqual([]);
      expect(post.parameters).toContainEqual(
        expect.objectContaining({ name: "Stripe-Signature", in: "header", required: true }),
      );
      expect(post.requestBody.content["application/json"]!.schema.$ref).toBe("#/components/schemas/StripeEvent");
      expect(Object.keys(post.responses).sort()).toEqual(["200", "400", "503"]);
    }
    expect(doc.components.schemas).toHaveProperty("StripeEvent");
    expect(doc.components.schemas).toHaveProperty("WebhookAck");
  });

  it("the route's real answers match the documented schemas (400 Error, 200 WebhookAck)", async () => {
    const stripe = createStripeClient({ emulator: { host: "127.0.0.1", port: 9, protocol: "http" } });
    const services = { ...testServices(rt), billing: { stripe, onWebhookStored: () => undefined } };
    const body = JSON.stringify({
      id: `evt_doc_${crypto.randomUUID().replaceAll("-", "")}`,
      object: "event",
      type: "account.updated",
      created: Math.floor(Date.now() / 1000),
      account: "acct_doc",
      data: { object: { id: "acct_doc", object: "account" } },
    });
    expect(StripeEventSchema.safeParse(JSON.parse(body)).success).toBe(true);
    const send = async (secret: string) =>
      settle(async () =>
        connectRoute.action(
          await argsFor(
            services,
            new Request(
              testRequest("/api/v1/webhooks/stripe-connect", {
                method: "POST",
                headers: {
                  "Content-Type": "application/json",
                  "Stripe-Signature": stripe.webhooks.generateTestHeaderString({ payload: body, secret }),
                },
              }),
              { method: "POST", body },
            ),
          ),
        ),
      );
    const bad = await send("whsec_wrong");
    expect(bad.status).toBe(400);
    expect(ErrorResponseSchema.parse(bad.body).error.code).toBe("BAD_SIGNATURE");
    const ok = await send(services.config.stripeConnectWebhookSecret);
    expect(ok.status).toBe(200);
    expect(WebhookAckSchema.parse(ok.body)).toEqual({ received: true, duplicate: false });
  });
});
