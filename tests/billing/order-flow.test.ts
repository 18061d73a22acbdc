import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, updateProfile } from "@kiln/auth";
import { assignRole, createCoopWithPeople, createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { testIp, testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as subscriptionsPage from "../../app/app/routes/account.subscriptions";
import * as orderPage from "../../app/app/routes/s.$creatorSlug.tiers.$tierId.order";
import * as tierPage from "../../app/app/routes/s.$creatorSlug.tiers.$tierId";
import * as studioHome from "../../app/app/routes/studio.$creatorSlug";
import { getTestRuntime } from "../setup/runtime";
import { outboxFor } from "../rights/helpers";
import { startBillingWorld } from "./world";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
let world: Awaited<ReturnType<typeof startBillingWorld>>;
let services: ReturnType<typeof testServices> & {
  billing: { stripe: typeof world.stripe; onWebhookStored: () => void };
};

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

describe("member order flow: tier page → setup Checkout → order page → subscriptions", () => {
  it("shows the terms first, sends the member through Checkout and Kiln's order page, and entitles at once", async () => {
    const { p, tier, version } = await world.liveTier();
    const member = await updateProfile(rt, p.member.id, { displayName: "Mia", locale: "de", country: "DE" });
    const params = { creatorSlug: p.creator.slug, tierId: tier.id };
    const path = `/s/${p.creator.slug}/tiers/${tier.id}`;

    // A visitor sees the material terms; no billing information is asked for yet.
    const page = await call(tierPage, "loader", testRequest(path), params);
    expect(page.status).toBe(200);
    const shown = page.body as Awaited<ReturnType<typeof tierPage.loader>>;
    expect(shown).toMatchObject({ isOrderable: true, isSignedIn: false, isSoldToMember: null });
    expect(shown.items.map((i) => i.id)).toEqual(
      expect.arrayContaining(["price", "renewal", "cancellation", "trader"]),
    );
    // "Continue" without an account: sign in, then back to this page.
    const anonymous = await call(tierPage, "action", testRequest(path, { method: "POST", form: {} }), params);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("Location")).toBe(`/login?${new URLSearchParams({ redirectTo: path })}`);

    // Signed in: setup-mode Checkout on the emulator, which returns to Kiln's order page.
    const token = await sessionFor(member.email);
    const go = await call(tierPage, "action", testRequest(path, { sessionToken: token, form: {} }), params);
    expect(go.status).toBe(302);
    const checkoutUrl = go.headers.get("Location")!;
    expect(checkoutUrl.startsWith(world.emulator.url)).toBe(true);
    const back = new URL(
      await world.submitHosted(checkoutUrl, { cardnumber: "4242424242424242", exp: "12/34", cvc: "123" }),
    );
    expect(back.pathname).toBe(`${path}/order`);
    const orderPath = `${back.pathname}${back.search}`;
    const session = back.searchParams.get("session")!;

    // The order page: the member's jurisdiction from the profile, the approved terms version shown.
    const order = await call(orderPage, "loader", testRequest(orderPath, { sessionToken: token }), params);
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({
      jurisdiction: "DE",
      isSoldToMember: true,
      locale: "de",
      session,
      termsVersionId: version.id,
    });

    const place = (form: Record<string, string>) =>
      call(orderPage, "action", testRequest(orderPath, { sessionToken: token, form }), params);
    // Without the auto-renew consent, or for terms other than those shown, nothing is ordered.
    const unticked = await place({ session, termsVersionId: version.id });
    expect(unticked).toMatchObject({ status: 400, body: { code: "BAD_INPUT" } });
    const otherTerms = await place({ session, termsVersionId: crypto.randomUUID(), "consent-auto-renew": "yes" });
    expect(otherTerms).toMatchObject({ status: 409, body: { code: "CONFLICT" } });
    const before = await call(
      subscriptionsPage,
      "loader",
      testRequest("/account/subscriptions", { sessionToken: token }),
      {},
    );
    expect(before.body).toEqual({ subscriptions: [] });

    const placed = await place({ session, termsVersionId: version.id, "consent-auto-renew": "yes" });
    expect(placed.status).toBe(302);
    expect(placed.headers.get("Location")).toBe("/account/subscriptions");
    // Active and entitled immediately, before any webhook is processed.
    const after = await call(
      subscriptionsPage,
      "loader",
      testRequest("/account/subscriptions", { sessionToken: token }),
      {},
    );
    const { subscriptions } = after.body as Awaited<ReturnType<typeof subscriptionsPage.loader>>;
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]).toMatchObject({
      tierId: tier.id,
      tierName: tier.name,
      status: "active",
      isEntitled: true,
      price: { amountMinor: 900, currency: "eur", interval: "month" },
    });
    // X-A1: the acknowledgment is in the outbox at once (the minute notice sweep is only the retry path).
    const acks = (await outboxFor(rt, [member.email])).filter((m) => m.template.includes("acknowledgment"));
    expect(acks).toHaveLength(1);
    expect(acks[0]!.textBody).toContain("/withdraw");
    // A second press of the same order lands on the same subscription.
    expect((await place({ session, termsVersionId: version.id, "consent-auto-renew": "yes" })).status).toBe(302);
    const again = await call(
      subscriptionsPage,
      "loader",
      testRequest("/account/subscriptions", { sessionToken: token }),
      {},
    );
    expect((again.body as { subscriptions: unknown[] }).subscriptions).toHaveLength(1);

    // Another member sees none of it; the tier is not found under another creator's storefront.
    const other = await sessionFor(p.admin.email);
    const theirs = await call(
      subscriptionsPage,
      "loader",
      testRequest("/account/subscriptions", { sessionToken: other }),
      {},
    );
    expect(theirs.body).toEqual({ subscriptions: [] });
    const q = await createCoopWithPeople(rt);
    const foreign = await call(tierPage, "loader", testRequest(`/s/${q.creator.slug}/tiers/${tier.id}`), {
      creatorSlug: q.creator.slug,
      tierId: tier.id,
    });
    expect(foreign.status).toBe(404);
  });

  it("refuses the order page to a member whose country the tier is not sold to", async () => {
    const { p, tier, version } = await world.liveTier();
    const member = await updateProfile(rt, p.member.id, { displayName: "Sam", country: "US", usState: "NY" });
    const token = await sessionFor(member.email);
    const session = await world.saveCard(p.member.id, tier.id);
    const params = { creatorSlug: p.creator.slug, tierId: tier.id };
    const orderPath = `/s/${p.creator.slug}/tiers/${tier.id}/order?session=${session}`;
    const order = await call(orderPage, "loader", testRequest(orderPath, { sessionToken: token }), params);
    expect(order.body).toMatchObject({ jurisdiction: "US-NY", isSoldToMember: false });
    const placed = await call(
      orderPage,
      "action",
      testRequest(orderPath, {
        sessionToken: token,
        form: { session, termsVersionId: version.id, "consent-auto-renew": "yes" },
      }),
      params,
    );
    expect(placed).toMatchObject({ status: 409, body: { code: "CONFLICT" } });
  });
});

describe("studio home: Stripe Connect status", () => {
  it("shows none → pending → enabled, with the onboarding button for the owner only", async () => {
    const p = await createCoopWithPeople(rt);
    const params = { creatorSlug: p.creator.slug };
    const path = `/studio/${p.creator.slug}`;
    const ownerToken = await sessionFor(p.owner.email);
    const status = async () => {
      const r = await call(studioHome, "loader", testRequest(path, { sessionToken: ownerToken }), params);
      return (r.body as { connect: { status: string } | null }).connect?.status ?? "none";
    };
    expect(await status()).toBe("none");
    const staff = await createUser(rt, { displayName: "Staff" });
    await assignRole(rt, { userId: staff.id, coopId: p.coop.id, role: "creator_staff", creatorId: p.creator.id });
    const staffToken = await sessionFor(staff.email);
    const byStaff = await call(
      studioHome,
      "action",
      testRequest(path, { sessionToken: staffToken, form: { intent: "connect" } }),
      params,
    );
    expect(byStaff.status).toBe(404);
    expect(await status()).toBe("none");
    const start = await call(
      studioHome,
      "action",
      testRequest(path, { sessionToken: ownerToken, form: { intent: "connect" } }),
      params,
    );
    expect(start.status).toBe(302);
    const onboarding = start.headers.get("Location")!;
    expect(onboarding.startsWith(world.emulator.url)).toBe(true);
    expect(await status()).toBe("pending");
    await world.submitHosted(onboarding, { result: "complete" });
    await world.drain();
    expect(await status()).toBe("enabled");
  });
});
