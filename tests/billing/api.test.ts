import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, updateProfile, type ApiScope } from "@kiln/auth";
import { withSystem } from "@kiln/db";
import { createUser } from "@kiln/seed";
import {
  CancelResponseSchema,
  CardUpdateResponseSchema,
  ChangePlanResponseSchema,
  InvoiceListEnvelope,
  PlanOptionsEnvelope,
  SubscriptionEnvelope,
  SubscriptionListEnvelope,
} from "../../app/app/api/billing-member-schemas";
import { ErrorResponseSchema } from "../../app/app/api/schemas";
import { argsFor, settle, testRequest, testServices } from "../../app/app/testing/context";
import * as listRoute from "../../app/app/routes/api.v1.me.subscriptions";
import * as oneRoute from "../../app/app/routes/api.v1.me.subscriptions.$id";
import * as cancelRoute from "../../app/app/routes/api.v1.me.subscriptions.$id.cancel";
import * as cardRoute from "../../app/app/routes/api.v1.me.subscriptions.$id.card-update";
import * as changeRoute from "../../app/app/routes/api.v1.me.subscriptions.$id.change";
import * as invoicesRoute from "../../app/app/routes/api.v1.me.subscriptions.$id.invoices";
import * as pauseRoute from "../../app/app/routes/api.v1.me.subscriptions.$id.pause";
import * as resumeRoute from "../../app/app/routes/api.v1.me.subscriptions.$id.resume";
import * as openapi from "../../app/app/routes/api.v1.openapi";
import { getTestRuntime } from "../setup/runtime";
import { memberOpsHelpers } from "./member-ops-world";
import { startBillingWorld } from "./world";

/**
 * The member's plan operations in the JSON API (issue 5 §8): token auth and scopes, the same
 * package functions as the screens (the consent to the target terms, the § 312k cancellation),
 * Idempotency-Key, the API's error shape; every answer parsed with the schema the OpenAPI
 * document is generated from.
 */
const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;
let services: ReturnType<typeof testServices> & {
  billing: { stripe: typeof world.stripe; onWebhookStored: () => void };
};
const { siblingTier, subscribed } = memberOpsHelpers(rt, () => world);

beforeAll(async () => {
  world = await startBillingWorld(rt);
  services = { ...testServices(rt), billing: { stripe: world.stripe, onWebhookStored: () => {} } };
});
afterAll(async () => {
  await world?.stop();
});

type Route = { loader?: unknown; action?: unknown };
async function call(
  route: Route,
  kind: "loader" | "action",
  path: string,
  params: Record<string, string>,
  init: Parameters<typeof testRequest>[1] = {},
) {
  const fn = route[kind] as (args: unknown) => Promise<unknown>;
  return settle(async () => fn(await argsFor(services, testRequest(path, init), params)));
}

const bearer = async (userId: string, scopes: ApiScope[] = ["billing:read", "billing:write"]) => {
  const { token } = await createApiToken(rt, userId, { name: "billing", scopes });
  return { Authorization: `Bearer ${token}` };
};

const auditCount = (subjectId: string, action: string) =>
  withSystem(rt, "t", async (tx) => {
    const rows = await tx.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_log where subject_id = ${subjectId} and action = ${action}`,
    );
    return rows[0]!.n;
  });

const expectError = (res: { status: number; body: unknown }, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(ErrorResponseSchema.parse(res.body).error.code).toBe(code);
};

describe("member billing API", () => {
  it("lists and reads the caller's subscriptions: 401/403 without token or scope, 404 for another member's", async () => {
    const live = await world.liveTier();
    const { member, subscription } = await subscribed(live);
    const base = "/api/v1/me/subscriptions";
    expectError(await call(listRoute, "loader", base, {}), 401, "UNAUTHENTICATED");
    expectError(
      await call(listRoute, "loader", base, {}, { headers: await bearer(member.id, ["me:read"]) }),
      403,
      "FORBIDDEN",
    );
    const auth = await bearer(member.id, ["billing:read"]);
    const list = await call(listRoute, "loader", base, {}, { headers: auth });
    expect(list.status).toBe(200);
    const { subscriptions } = SubscriptionListEnvelope.parse(list.body);
    expect(subscriptions.find((s) => s.id === subscription.id)).toMatchObject({
      status: "active",
      isEntitled: true,
      tier: { id: live.tier.id },
      price: { amountMinor: 900, currency: "EUR", interval: "month" },
    });
    const one = await call(
      oneRoute,
      "loader",
      `${base}/${subscription.id}`,
      { id: subscription.id },
      { headers: auth },
    );
    expect(SubscriptionEnvelope.parse(one.body).subscription.id).toBe(subscription.id);

    const other = await createUser(rt);
    const otherAuth = await bearer(other.id);
    expectError(
      await call(oneRoute, "loader", `${base}/${subscription.id}`, { id: subscription.id }, { headers: otherAuth }),
      404,
      "NOT_FOUND",
    );
    expectError(await call(oneRoute, "loader", `${base}/nope`, { id: "nope" }, { headers: auth }), 404, "NOT_FOUND");
    expectError(
      await call(
        invoicesRoute,
        "loader",
        `${base}/${subscription.id}/invoices`,
        { id: subscription.id },
        {
          headers: otherAuth,
        },
      ),
      404,
      "NOT_FOUND",
    );
    const invoices = await call(
      invoicesRoute,
      "loader",
      `${base}/${subscription.id}/invoices`,
      { id: subscription.id },
      {
        headers: auth,
      },
    );
    expect(InvoiceListEnvelope.parse(invoices.body).invoices).toMatchObject([
      { status: "paid", amountPaidMinor: 900, currency: "EUR" },
    ]);
  });

  it("changes tier after a consent to the target terms, as the screen does; refuses without it; once per Idempotency-Key", async () => {
    const live = await world.liveTier();
    const plus = await siblingTier(live, 1, 1500);
    const { member, subscription } = await subscribed(live);
    await updateProfile(rt, member.id, { displayName: "Mia", locale: "de", country: "DE" });
    const auth = await bearer(member.id);
    const path = `/api/v1/me/subscriptions/${subscription.id}/change`;
    const params = { id: subscription.id };

    const shown = await call(changeRoute, "loader", path, params, { headers: auth });
    expect(shown.status).toBe(200);
    const options = PlanOptionsEnvelope.parse(shown.body);
    const option = options.options.find((o) => o.tier.id === plus.tier.id)!;
    expect(option).toMatchObject({ direction: "upgrade", price: { amountMinor: 1500, currency: "EUR" } });
    expect(option.disclosure.buttonLabel).toMatch(/zahlungspflichtig/i);
    const ticked = option.disclosure.consents.map((c) => c.name);
    expect(ticked).toContain("auto-renew");

    const body = { targetTierId: plus.tier.id, termsVersionId: option.termsVersionId, consents: ticked };
    const post = (json: unknown, key?: string) =>
      call(changeRoute, "action", path, params, {
        method: "POST",
        headers: key ? { ...auth, "Idempotency-Key": key } : auth,
        json,
      });
    // No key, no consent, a stale terms version, a body that is not the schema: refused, nothing changed.
    expectError(await post(body), 400, "BAD_INPUT");
    expectError(await post({ ...body, consents: [] }, "change-no-consent-1"), 400, "BAD_INPUT");
    expectError(await post({ ...body, termsVersionId: live.version.id }, "change-stale-1"), 409, "CONFLICT");
    expectError(await post({ ...body, extra: true }, "change-extra-1"), 400, "BAD_INPUT");
    const consentsBefore = await withSystem(rt, "t", (tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from consents where member_user_id = ${member.id}`),
    );
    expect(consentsBefore[0]!.n).toBe(1);

    const changed = await post(body, "change-upgrade-1");
    expect(changed.status).toBe(200);
    const result = ChangePlanResponseSchema.parse(changed.body);
    expect(result).toMatchObject({
      direction: "upgrade",
      subscription: { tier: { id: plus.tier.id }, isEntitled: true },
    });
    const again = await post(body, "change-upgrade-1");
    expect(again.status).toBe(200);
    expect(ChangePlanResponseSchema.parse(again.body).subscription.tier.id).toBe(plus.tier.id);
    expect(await auditCount(subscription.id, "billing.plan_upgraded")).toBe(1);
    const onStripe = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: live.account },
    );
    expect(onStripe.items.data[0]!.price.id).toBe(plus.price.stripePriceId);
  });

  it("pauses and resumes (409 from the wrong state), opens the card update, cancels through the § 312k flow", async () => {
    const live = await world.liveTier();
    const { member, subscription } = await subscribed(live);
    const auth = await bearer(member.id);
    const base = `/api/v1/me/subscriptions/${subscription.id}`;
    const params = { id: subscription.id };
    const post = (route: Route, path: string, headers: Record<string, string> = {}, json?: unknown) =>
      call(route, "action", path, params, {
        method: "POST",
        headers: { ...auth, ...headers },
        ...(json === undefined ? {} : { json }),
      });

    expectError(
      await call(pauseRoute, "loader", `${base}/pause`, params, { headers: auth }),
      405,
      "METHOD_NOT_ALLOWED",
    );
    const paused = await post(pauseRoute, `${base}/pause`, { "Idempotency-Key": "pause-key-1" });
    expect(SubscriptionEnvelope.parse(paused.body).subscription).toMatchObject({ status: "paused", isEntitled: false });
    expect((await post(pauseRoute, `${base}/pause`, { "Idempotency-Key": "pause-key-1" })).status).toBe(200);
    expect(await auditCount(subscription.id, "billing.subscription_paused")).toBe(1);
    expectError(await post(pauseRoute, `${base}/pause`), 409, "CONFLICT");
    expectError(await post(pauseRoute, `${base}/pause`, { "Idempotency-Key": "short" }), 400, "BAD_INPUT");
    const resumed = await post(resumeRoute, `${base}/resume`);
    expect(SubscriptionEnvelope.parse(resumed.body).subscription).toMatchObject({ status: "active", isEntitled: true });
    expectError(await post(resumeRoute, `${base}/resume`), 409, "CONFLICT");

    const card = await post(cardRoute, `${base}/card-update`);
    expect(card.status).toBe(201);
    expect(CardUpdateResponseSchema.parse(card.body).url).toContain(world.emulator.url);
    expectError(
      await post(cardRoute, `${base}/card-update`, {}, { returnUrl: "https://evil.example/back" }),
      400,
      "BAD_INPUT",
    );

    expectError(await post(cancelRoute, `${base}/cancel`), 400, "BAD_INPUT");
    const canceled = await post(cancelRoute, `${base}/cancel`, { "Idempotency-Key": "cancel-key-1" });
    expect(canceled.status).toBe(200);
    const receipt = CancelResponseSchema.parse(canceled.body);
    expect(receipt.subscription).toMatchObject({ status: "active", cancelAtPeriodEnd: true, isEntitled: true });
    expect(receipt.declaration.receiptUrl).toContain("/cancel/receipt/");
    const repeated = CancelResponseSchema.parse(
      (await post(cancelRoute, `${base}/cancel`, { "Idempotency-Key": "cancel-key-1" })).body,
    );
    expect(repeated.declaration.receiptUrl).toBe(receipt.declaration.receiptUrl);
    const declarations = await withSystem(rt, "t", (tx) =>
      tx.execute<{ n: number }>(
        sql`select count(distinct declaration_id)::int as n from cancellations where subscription_id = ${subscription.id}`,
      ),
    );
    expect(declarations[0]!.n).toBe(1);
    const onStripe = await world.stripe.subscriptions.retrieve(
      subscription.stripeSubscriptionId,
      {},
      { stripeAccount: live.account },
    );
    expect(onStripe.cancel_at_period_end).toBe(true);
    // Another member cannot cancel it (404, nothing recorded).
    const other = await createUser(rt);
    const foreign = await call(cancelRoute, "action", `${base}/cancel`, params, {
      method: "POST",
      headers: { ...(await bearer(other.id)), "Idempotency-Key": "cancel-key-2" },
    });
    expectError(foreign, 404, "NOT_FOUND");
  });

  it("the OpenAPI document describes every member billing operation with its scopes, errors and Idempotency-Key", async () => {
    const res = await call(openapi, "loader", "/api/v1/openapi.json", {});
    const doc = res.body as {
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, unknown>; parameters?: { name: string; required?: boolean }[]; security: unknown }
        >
      >;
      components: { schemas: Record<string, unknown> };
    };
    const ops: Array<[string, string, string]> = [
      ["/me/subscriptions", "get", "200"],
      ["/me/subscriptions/{id}", "get", "200"],
      ["/me/subscriptions/{id}/change", "get", "200"],
      ["/me/subscriptions/{id}/change", "post", "200"],
      ["/me/subscriptions/{id}/pause", "post", "200"],
      ["/me/subscriptions/{id}/resume", "post", "200"],
      ["/me/subscriptions/{id}/cancel", "post", "200"],
      ["/me/subscriptions/{id}/card-update", "post", "201"],
      ["/me/subscriptions/{id}/invoices", "get", "200"],
    ];
    for (const [path, method, ok] of ops) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op!.responses[ok]).toBeDefined();
      expect(op!.responses["401"]).toBeDefined();
      expect(JSON.stringify(op!.security)).toContain(method === "get" ? "billing:read" : "billing:write");
    }
    const keyOf = (path: string) =>
      doc.paths[path]!.post!.parameters!.find((p) => p.name === "Idempotency-Key")?.required;
    expect(keyOf("/me/subscriptions/{id}/change")).toBe(true);
    expect(keyOf("/me/subscriptions/{id}/cancel")).toBe(true);
    expect(keyOf("/me/subscriptions/{id}/pause")).toBe(false);
    for (const id of [
      "MemberSubscription",
      "SubscriptionList",
      "PlanOptions",
      "ChangePlanRequest",
      "ChangePlanResponse",
      "CancelSubscriptionResponse",
      "CardUpdateResponse",
      "InvoiceList",
    ])
      expect(doc.components.schemas[id], id).toBeDefined();
  });
});
