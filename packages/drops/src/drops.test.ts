import { describe, expect, it } from "vitest";
import { isAppError } from "@kiln/core";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { claimDrop, createDrop, createProduct, listStorefrontDrops, setDropPublished } from "./index";
import { createDropShop, createMember, createTier } from "./testing";

const rt = await getTestRuntime("2026-03-02T09:00:00.000Z");
const PERIOD = "2026-W12";
const HOUR = 3_600_000;

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => {
      if (isAppError(error)) return error.code;
      throw error;
    },
  );

async function shopWithProduct(allocationUnits: number, capacityUnitsPerItem = 1) {
  const shop = await createDropShop(rt, { period: PERIOD, allocationUnits });
  const product = await createProduct(rt, shop.creatorCtx, {
    title: "Hoodie",
    priceMinor: 5900,
    currency: "eur",
    capability: "screenprint",
    capacityUnitsPerItem,
    sku: "HOOD-1",
  });
  return { shop, product };
}

describe("drops from a locked allocation", () => {
  it("refuses a drop larger than what is left of the creator's locked allocation", async () => {
    const { shop, product } = await shopWithProduct(40, 2);
    const base = { productId: product.id, title: "Drop", period: PERIOD, opensAt: new Date("2026-03-10T10:00:00Z") };
    expect(await codeOf(createDrop(rt, shop.creatorCtx, { ...base, quantity: 21 }))).toBe("CONFLICT");
    const drop = await createDrop(rt, shop.creatorCtx, { ...base, quantity: 15 });
    expect(drop.shipBy).not.toBeNull();
    // 30 of 40 units are promised: 5 more items fit, 6 do not.
    expect(await codeOf(createDrop(rt, shop.creatorCtx, { ...base, quantity: 6 }))).toBe("CONFLICT");
    expect(await codeOf(createDrop(rt, shop.creatorCtx, { ...base, quantity: 5 }))).toBe("ok");
    // No locked allocation in another window: nothing fits.
    expect(await codeOf(createDrop(rt, shop.creatorCtx, { ...base, period: "2026-W13", quantity: 1 }))).toBe(
      "CONFLICT",
    );
  });

  it("another creator's team cannot make a drop of this creator's product", async () => {
    const { product } = await shopWithProduct(10);
    const other = await createDropShop(rt, { period: PERIOD, allocationUnits: 10 });
    expect(
      await codeOf(
        createDrop(rt, other.creatorCtx, {
          productId: product.id,
          title: "Stolen",
          period: PERIOD,
          quantity: 1,
          opensAt: new Date("2026-03-10T10:00:00Z"),
        }),
      ),
    ).toBe("NOT_FOUND");
  });
});

describe("gating", () => {
  it("lets only entitled members claim, and only higher tiers during early access", async () => {
    const { shop, product } = await shopWithProduct(100);
    const basic = await createTier(rt, shop, "Basic");
    const plus = await createTier(rt, shop, "Plus");
    const opensAt = new Date(rt.clock.now().getTime() + 2 * HOUR);
    const drop = await createDrop(rt, shop.creatorCtx, {
      productId: product.id,
      title: "Members' restock",
      period: PERIOD,
      quantity: 10,
      opensAt,
      tierIds: [basic.id],
      earlyAccessTierIds: [plus.id],
      earlyAccessAt: new Date(opensAt.getTime() - HOUR),
    });
    const basicMember = await createMember(rt, shop, basic.id);
    const plusMember = await createMember(rt, shop, plus.id);
    const lapsed = await createMember(rt, shop, basic.id, "canceled");
    const graceOver = await createMember(rt, shop, basic.id, "past_due");
    const visitor = await createMember(rt, shop);
    const claim = (m: { userId: string }, key: string) =>
      codeOf(claimDrop(rt, m, { dropId: drop.id, quantity: 1, idempotencyKey: `gate-${key}-${m.userId}` }));

    // Unpublished: not found for everyone.
    expect(await claim(plusMember, "a")).toBe("NOT_FOUND");
    await setDropPublished(rt, shop.creatorCtx, drop.id, true);
    // Before early access: not open, even for Plus.
    expect(await claim(plusMember, "b")).toBe("NOT_OPEN");
    expect(await claim(visitor, "b")).toBe("NOT_ENTITLED");
    // Early access: Plus only.
    rt.clock.advance(HOUR);
    expect(await claim(basicMember, "c")).toBe("NOT_OPEN");
    expect(await claim(plusMember, "c")).toBe("ok");
    // Open: Basic too; no (or no longer an) entitlement is NOT_ENTITLED.
    rt.clock.advance(HOUR);
    expect(await claim(basicMember, "d")).toBe("ok");
    for (const m of [visitor, lapsed, graceOver]) expect(await claim(m, "d")).toBe("NOT_ENTITLED");
  });

  it("a closed drop takes no claims, and the storefront lists only published drops not yet closed", async () => {
    const { shop, product } = await shopWithProduct(100);
    const now = rt.clock.now().getTime();
    const open = await createDrop(rt, shop.creatorCtx, {
      productId: product.id,
      title: "Open now",
      period: PERIOD,
      quantity: 5,
      opensAt: new Date(now - HOUR),
      closesAt: new Date(now + HOUR),
    });
    await createDrop(rt, shop.creatorCtx, {
      productId: product.id,
      title: "Draft",
      period: PERIOD,
      quantity: 5,
      opensAt: new Date(now + HOUR),
    });
    await setDropPublished(rt, shop.creatorCtx, open.id, true);
    const listed = await listStorefrontDrops(rt, shop.creator.slug);
    expect(listed.drops.map((d) => [d.title, d.isOpen, d.isMemberOnly])).toEqual([["Open now", true, false]]);
    const member = await createMember(rt, shop);
    rt.clock.advance(2 * HOUR);
    expect(await codeOf(claimDrop(rt, member, { dropId: open.id, quantity: 1, idempotencyKey: "closed-key-1" }))).toBe(
      "NOT_OPEN",
    );
    expect((await listStorefrontDrops(rt, shop.creator.slug)).drops).toEqual([]);
    expect(await codeOf(listStorefrontDrops(rt, "no-such-shop"))).toBe("NOT_FOUND");
  });
});
