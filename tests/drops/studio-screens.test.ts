import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { withSystem } from "@kiln/db";
import { claimDrop, listStorefrontDrops } from "@kiln/drops";
import { createDropShop, createMember, createTier } from "../../packages/drops/src/testing";
import { DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { testIp, testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as calendar from "../../app/app/routes/studio.$creatorSlug.drops";
import * as dropPage from "../../app/app/routes/studio.$creatorSlug.drops.$dropId";
import { getTestRuntime } from "../setup/runtime";

/**
 * The creator's drop screens (issue 8 §9): calendar with sell-through, create from a locked
 * allocation (refused above what it has left, bad numbers refused with a message and nothing
 * written), a drop's claims and waitlist; other creators and the co-op's admin get 404.
 */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
const PERIOD = "2026-W50";
let services: ReturnType<typeof testServices>;

const call = (route: RouteModule, kind: "loader" | "action", request: Request, params: Record<string, string> = {}) =>
  callRoute(services, route, kind, request, params);

const tokenFor = async (email: string) =>
  (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;

async function dropsOf(creatorId: string) {
  return withSystem(rt, "test-read", (tx) =>
    tx.execute<{ id: string; quantity: number }>(
      sql`select id, quantity from drops where creator_id = ${creatorId} order by created_at`,
    ),
  );
}

beforeAll(() => {
  services = testServices(rt);
});

describe("studio drop screens", () => {
  it("creates a product and a member-only drop from the allocation; refuses too many, negative and fractional quantities", async () => {
    const shop = await createDropShop(rt, { period: PERIOD, allocationUnits: 10 });
    const tier = await createTier(rt, shop, "Print club");
    const token = await tokenFor(shop.owner.email);
    const slug = shop.creator.slug;
    const path = `/studio/${slug}/drops`;

    const empty = await call(calendar, "loader", testRequest(path, { sessionToken: token }), { creatorSlug: slug });
    expect(empty.status).toBe(200);
    const before = empty.body as Awaited<ReturnType<typeof calendar.loader>>;
    expect(before.drops).toEqual([]);
    expect(before.allocations).toEqual([
      expect.objectContaining({ key: `screenprint@${PERIOD}`, units: 10, promised: 0, remainingUnits: 10 }),
    ]);
    expect(before.allocations[0]!.shipBy).toMatch(/^2026-12-\d{2}$/);
    expect(before.tiers.map((t) => t.name)).toEqual(["Print club"]);

    const product = await call(
      calendar,
      "action",
      testRequest(path, {
        sessionToken: token,
        form: {
          intent: "product",
          title: "Night print",
          sku: "NIGHT-1",
          capability: "screenprint",
          priceMinor: "2500",
          deliveryMinor: "490",
          currency: "EUR",
          capacityUnitsPerItem: "1",
        },
      }),
      { creatorSlug: slug },
    );
    expect(product.status).toBe(302);
    const listed = (await call(calendar, "loader", testRequest(path, { sessionToken: token }), { creatorSlug: slug }))
      .body as Awaited<ReturnType<typeof calendar.loader>>;
    const productId = listed.products[0]!.id;

    const form = (quantity: string, extra: Record<string, string | string[]> = {}) =>
      testRequest(path, {
        sessionToken: token,
        form: {
          intent: "drop",
          allocation: `screenprint@${PERIOD}`,
          productId,
          title: "Members' restock",
          quantity,
          opensAt: "2026-12-01T09:30",
          tierIds: [tier.id],
          perMemberLimit: "1",
          holdMinutes: "10",
          ...extra,
        },
      });
    for (const [quantity, status, message] of [
      ["11", 409, "At most 10 items"],
      ["-1", 400, "The quantity must be at least 1"],
      ["2.5", 400, "Enter the quantity as a whole number"],
      ["", 400, "Enter the quantity as a number"],
    ] as const) {
      const refused = await call(calendar, "action", form(quantity), { creatorSlug: slug });
      expect(refused.status, quantity).toBe(status);
      expect((refused.body as { error: Record<string, string[]> }).error.quantity, quantity).toEqual([message]);
    }
    // Early access without tiers and a closing time before opening: messages, nothing written.
    const early = await call(
      calendar,
      "action",
      form("2", { earlyAccessAt: "2026-12-01T09:00", closesAt: "2026-12-01T09:00" }),
      {
        creatorSlug: slug,
      },
    );
    expect(early.status).toBe(400);
    expect(await dropsOf(shop.creator.id)).toHaveLength(0);

    const created = await call(calendar, "action", form("3", { isPublished: "on" }), { creatorSlug: slug });
    expect(created.status).toBe(302);
    const location = created.headers.get("Location")!;
    expect(location).toMatch(new RegExp(`^${path}/[0-9a-f-]{36}$`));
    const dropId = location.split("/").at(-1)!;
    const [row] = await withSystem(rt, "test-read", (tx) =>
      tx.execute<{ tier_ids: string[]; is_published: boolean; opens_at: string; period: string; quantity: number }>(
        sql`select tier_ids, is_published, opens_at::text, period, quantity from drops where id = ${dropId}`,
      ),
    );
    expect(row).toMatchObject({ is_published: true, period: PERIOD, quantity: 3 });
    expect(row!.tier_ids).toEqual([tier.id]);
    expect(new Date(row!.opens_at).toISOString()).toBe("2026-12-01T09:30:00.000Z");
    // Published at once: on the storefront, with its product.
    const storefront = await listStorefrontDrops(rt, slug);
    expect(storefront.drops.map((d) => [d.id, d.productTitle, d.isMemberOnly])).toEqual([
      [dropId, "Night print", true],
    ]);

    // 3 of 10 promised: 8 more is refused with what is left, 7 would fit.
    const tooMany = await call(calendar, "action", form("8"), { creatorSlug: slug });
    expect(tooMany.status).toBe(409);
    expect((tooMany.body as { error: Record<string, string[]> }).error.quantity).toEqual(["At most 7 items"]);
    expect(await dropsOf(shop.creator.id)).toHaveLength(1);

    // A member of the tier claims one: the calendar and the drop page show it held.
    const member = await createMember(rt, shop, tier.id);
    await claimDrop(rt, member, { dropId, quantity: 1, idempotencyKey: "studio-screens-1" });
    const after = (await call(calendar, "loader", testRequest(path, { sessionToken: token }), { creatorSlug: slug }))
      .body as Awaited<ReturnType<typeof calendar.loader>>;
    expect(after.drops).toEqual([
      expect.objectContaining({
        id: dropId,
        phase: "open",
        isMemberOnly: true,
        reserved: 1,
        confirmed: 0,
        remaining: 2,
      }),
    ]);
    expect(after.allocations[0]).toMatchObject({ promised: 3, remainingUnits: 7 });
    const page = await call(dropPage, "loader", testRequest(location, { sessionToken: token }), {
      creatorSlug: slug,
      dropId,
    });
    const shown = page.body as Awaited<ReturnType<typeof dropPage.loader>>;
    expect(shown.drop).toMatchObject({ quantity: 3, reserved: 1, remaining: 2, tierNames: ["Print club"] });
    expect(shown.claims.map((c) => c.status)).toEqual(["reserved"]);
    expect(shown.waitlist).toEqual([]);

    // Withdrawing from the storefront.
    const withdrawn = await call(
      dropPage,
      "action",
      testRequest(location, { sessionToken: token, form: { intent: "publish", dropId, isPublished: "false" } }),
      { creatorSlug: slug, dropId },
    );
    expect(withdrawn.status).toBe(302);
    const [published] = await withSystem(rt, "test-read", (tx) =>
      tx.execute<{ is_published: boolean }>(sql`select is_published from drops where id = ${dropId}`),
    );
    expect(published!.is_published).toBe(false);
  });

  it("another creator and the co-op's admin get 404 and write nothing", async () => {
    const shop = await createDropShop(rt, { period: PERIOD, allocationUnits: 10 });
    const other = await createDropShop(rt, { period: PERIOD, allocationUnits: 10 });
    const slug = shop.creator.slug;
    const ownerToken = await tokenFor(shop.owner.email);
    const created = await call(
      calendar,
      "action",
      testRequest(`/studio/${slug}/drops`, {
        sessionToken: ownerToken,
        form: {
          intent: "product",
          title: "Print",
          sku: "P-1",
          capability: "screenprint",
          priceMinor: "1000",
          currency: "EUR",
        },
      }),
      { creatorSlug: slug },
    );
    expect(created.status).toBe(302);
    const { products } = (
      await call(calendar, "loader", testRequest(`/studio/${slug}/drops`, { sessionToken: ownerToken }), {
        creatorSlug: slug,
      })
    ).body as Awaited<ReturnType<typeof calendar.loader>>;
    const dropForm = {
      intent: "drop",
      allocation: `screenprint@${PERIOD}`,
      productId: products[0]!.id,
      title: "Restock",
      quantity: "2",
      opensAt: "2026-12-01T09:30",
    };
    const made = await call(
      calendar,
      "action",
      testRequest(`/studio/${slug}/drops`, { sessionToken: ownerToken, form: dropForm }),
      { creatorSlug: slug },
    );
    expect(made.status).toBe(302);
    const dropId = made.headers.get("Location")!.split("/").at(-1)!;

    for (const email of [other.owner.email, shop.admin.email]) {
      const token = await tokenFor(email);
      const list = await call(calendar, "loader", testRequest(`/studio/${slug}/drops`, { sessionToken: token }), {
        creatorSlug: slug,
      });
      expect(list.status, email).toBe(404);
      const page = await call(
        dropPage,
        "loader",
        testRequest(`/studio/${slug}/drops/${dropId}`, { sessionToken: token }),
        { creatorSlug: slug, dropId },
      );
      expect(page.status, email).toBe(404);
      const write = await call(
        calendar,
        "action",
        testRequest(`/studio/${slug}/drops`, { sessionToken: token, form: dropForm }),
        { creatorSlug: slug },
      );
      expect(write.status, email).toBe(404);
      const publish = await call(
        dropPage,
        "action",
        testRequest(`/studio/${slug}/drops/${dropId}`, {
          sessionToken: token,
          form: { intent: "publish", dropId, isPublished: "true" },
        }),
        { creatorSlug: slug, dropId },
      );
      expect(publish.status, email).toBe(404);
    }
    // The other creator's own studio does not show this drop either.
    const otherToken = await tokenFor(other.owner.email);
    const theirs = await call(
      dropPage,
      "loader",
      testRequest(`/studio/${other.creator.slug}/drops/${dropId}`, { sessionToken: otherToken }),
      { creatorSlug: other.creator.slug, dropId },
    );
    expect(theirs.status).toBe(404);
    // …nor can it be made from that drop's product with the other creator's allocation.
    const sneaky = await call(
      calendar,
      "action",
      testRequest(`/studio/${other.creator.slug}/drops`, { sessionToken: otherToken, form: dropForm }),
      { creatorSlug: other.creator.slug },
    );
    expect(sneaky.status).toBe(404);
    expect(await dropsOf(shop.creator.id)).toHaveLength(1);
    expect(await dropsOf(other.creator.id)).toHaveLength(0);
    const [published] = await withSystem(rt, "test-read", (tx) =>
      tx.execute<{ is_published: boolean }>(sql`select is_published from drops where id = ${dropId}`),
    );
    expect(published!.is_published).toBe(false);
  });
});
