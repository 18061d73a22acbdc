import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, updateProfile } from "@kiln/auth";
import { withSystem } from "@kiln/db";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { testIp, testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as subscriptionsPage from "../../app/app/routes/account.subscriptions";
import * as cardRoute from "../../app/app/routes/account.subscriptions.$subscriptionId.card";
import * as changePage from "../../app/app/routes/account.subscriptions.$subscriptionId.change";
import { getTestRuntime } from "../setup/runtime";
import { memberOpsHelpers } from "./member-ops-world";
import { startBillingWorld } from "./world";

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

const sessionFor = async (email: string) =>
  (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;

const call = (route: RouteModule, kind: "loader" | "action", request: Request, params: Record<string, string> = {}) =>
  callRoute(services, route, kind, request, params);

const tierOf = (id: string) =>
  withSystem(rt, "t", async (tx) => {
    const rows = await tx.execute<{ tier_id: string; status: string }>(
      sql`select tier_id, status from subscriptions where id = ${id}`,
    );
    return rows[0]!;
  });

describe("member screens: change tier, pause/resume, update card, invoices", () => {
  it("changes tier only through the target's order summary with its consent, server-side", async () => {
    const live = await world.liveTier();
    const plus = await siblingTier(live, 1, 1500);
    const { member, subscription } = await subscribed(live);
    // The order summary is for the member's country (profile): Germany, where the tiers are sold.
    await updateProfile(rt, member.id, { displayName: "Mia", locale: "de", country: "DE" });
    const token = await sessionFor(member.email);
    const path = `/account/subscriptions/${subscription.id}/change`;
    const params = { subscriptionId: subscription.id };

    const page = await call(
      changePage,
      "loader",
      testRequest(`${path}?tier=${plus.tier.id}`, { sessionToken: token }),
      params,
    );
    expect(page.status).toBe(200);
    const shown = page.body as Awaited<ReturnType<typeof changePage.loader>>;
    expect(shown.options.map((o) => [o.tier.id, o.direction])).toEqual([[plus.tier.id, "upgrade"]]);
    expect(shown.chosen).toMatchObject({ termsVersionId: plus.version.id, direction: "upgrade" });

    const form = { targetTierId: plus.tier.id, termsVersionId: plus.version.id, requestId: shown.requestId };
    // The auto-renew consent not ticked: refused, nothing changed.
    const unticked = await call(changePage, "action", testRequest(path, { sessionToken: token, form }), params);
    expect(unticked).toMatchObject({ status: 400, body: { code: "BAD_INPUT" } });
    expect((await tierOf(subscription.id)).tier_id).toBe(live.tier.id);
    // Another member's subscription looks missing.
    const other = await createUser(rt);
    const otherToken = await sessionFor(other.email);
    const foreign = await call(
      changePage,
      "action",
      testRequest(path, { sessionToken: otherToken, form: { ...form, "consent-auto-renew": "yes" } }),
      params,
    );
    expect(foreign.status).toBe(404);

    const placed = await call(
      changePage,
      "action",
      testRequest(path, { sessionToken: token, form: { ...form, "consent-auto-renew": "yes" } }),
      params,
    );
    expect(placed.status).toBe(302);
    expect(placed.headers.get("Location")).toBe("/account/subscriptions");
    expect((await tierOf(subscription.id)).tier_id).toBe(plus.tier.id);
  });

  it("pauses, resumes, opens the billing portal and lists invoices as integers with currency, no secrets", async () => {
    const live = await world.liveTier();
    const { member, subscription } = await subscribed(live);
    const token = await sessionFor(member.email);
    const act = (form: Record<string, string>) =>
      call(subscriptionsPage, "action", testRequest("/account/subscriptions", { sessionToken: token, form }));

    const screen = await call(
      subscriptionsPage,
      "loader",
      testRequest("/account/subscriptions", { sessionToken: token }),
    );
    const { subscriptions } = screen.body as Awaited<ReturnType<typeof subscriptionsPage.loader>>;
    expect(subscriptions[0]!.invoices).toEqual([
      expect.objectContaining({ amountDueMinor: 900, amountPaidMinor: 900, currency: "EUR", status: "paid" }),
    ]);
    expect(JSON.stringify(screen.body)).not.toMatch(/sk_(test|live)_|whsec_/);

    const requestId = subscriptions[0]!.requestId;
    expect(await act({ intent: "pause", subscriptionId: subscription.id, requestId })).toMatchObject({ status: 302 });
    expect((await tierOf(subscription.id)).status).toBe("paused");
    expect(
      await act({ intent: "resume", subscriptionId: subscription.id, requestId: crypto.randomUUID() }),
    ).toMatchObject({ status: 302 });
    expect((await tierOf(subscription.id)).status).toBe("active");
    // Resuming an active subscription is refused with a message, nothing changed.
    const again = await act({ intent: "resume", subscriptionId: subscription.id, requestId: crypto.randomUUID() });
    expect(again).toMatchObject({ status: 409, body: { code: "CONFLICT" } });
    expect(await act({ intent: "pause", subscriptionId: "nope", requestId })).toMatchObject({ status: 400 });

    const card = await act({ intent: "card", subscriptionId: subscription.id, requestId: crypto.randomUUID() });
    expect(card.status).toBe(302);
    expect(card.headers.get("Location")).toMatch(new RegExp(`^${world.emulator.url}/hosted/portal/bps_`));

    // The dunning email's link: a fresh portal session for the owner, 404 for anyone else.
    const cardPath = `/account/subscriptions/${subscription.id}/card`;
    const fromMail = await call(cardRoute, "loader", testRequest(cardPath, { sessionToken: token }), {
      subscriptionId: subscription.id,
    });
    expect(fromMail.headers.get("Location")).toMatch(new RegExp(`^${world.emulator.url}/hosted/portal/bps_`));
    const other = await createUser(rt);
    const foreign = await call(
      cardRoute,
      "loader",
      testRequest(cardPath, { sessionToken: await sessionFor(other.email) }),
      { subscriptionId: subscription.id },
    );
    expect(foreign.status).toBe(404);
  });
});
