import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { isAppError } from "@kiln/core";
import { schema, withSystem, type TenantContext } from "@kiln/db";
import { createEdition, updateProduct } from "@kiln/drops";
import { createDropShop } from "../../packages/drops/src/testing";
import { DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { testIp, testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as calendar from "../../app/app/routes/studio.$creatorSlug.drops";
import { getTestRuntime } from "../setup/runtime";

/**
 * The studio's product form (issue 8 §2): lifetime limit, co-op edition and style tags (products.tags,
 * lower-case, comma-separated, ≤ 8 of 1–24 [a-z0-9-]), each refused with a message and nothing
 * written; updateProduct changes them; the drop form marks a drop hot with its stock buckets. Both
 * databases.
 */
const rt = await getTestRuntime("2026-12-01T10:00:00Z");
const PERIOD = "2026-W50";
let services: ReturnType<typeof testServices>;

const call = (route: RouteModule, kind: "loader" | "action", request: Request, params: Record<string, string> = {}) =>
  callRoute(services, route, kind, request, params);

const tokenFor = async (email: string) =>
  (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;

const productsOf = (creatorId: string) =>
  withSystem(rt, "test-read", (tx) =>
    tx.select().from(schema.products).where(eq(schema.products.creatorId, creatorId)),
  );

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: unknown) => {
      if (isAppError(error)) return error.code;
      throw error;
    },
  );

beforeAll(() => {
  services = testServices(rt);
});

describe("studio product form", () => {
  it("sets a lifetime limit, an edition and tags; refuses bad ones with a message and writes nothing", async () => {
    const shop = await createDropShop(rt, { period: PERIOD, allocationUnits: 10 });
    const admin: TenantContext = { userId: shop.admin.id, coopId: shop.coop.id, role: "coop_admin" };
    const edition = await createEdition(rt, admin, { name: "Harbour collab", lifetimeLimit: 3 });
    const token = await tokenFor(shop.owner.email);
    const slug = shop.creator.slug;
    const path = `/studio/${slug}/drops`;

    const page = (await call(calendar, "loader", testRequest(path, { sessionToken: token }), { creatorSlug: slug }))
      .body as Awaited<ReturnType<typeof calendar.loader>>;
    expect(page.editions).toEqual([{ id: edition.id, name: "Harbour collab", lifetimeLimit: 3 }]);

    const form = (extra: Record<string, string>) =>
      testRequest(path, {
        sessionToken: token,
        form: {
          intent: "product",
          title: "Night print",
          sku: `NIGHT-${Math.random().toString(36).slice(2, 8)}`,
          capability: "screenprint",
          priceMinor: "2500",
          currency: "EUR",
          ...extra,
        },
      });
    for (const [extra, field, message] of [
      [{ tags: "pastel, Big Bold" }, "tags", '"big bold" is not a tag: use 1–24 lower-case letters, digits or dashes'],
      [{ tags: "a,b,c,d,e,f,g,h,i" }, "tags", "At most 8 tags (you entered 9)"],
      [
        { tags: "x".repeat(25) },
        "tags",
        `"${"x".repeat(25)}" is not a tag: use 1–24 lower-case letters, digits or dashes`,
      ],
      [{ lifetimeLimit: "0" }, "lifetimeLimit", "The lifetime limit must be at least 1"],
      [{ lifetimeLimit: "1.5" }, "lifetimeLimit", "Enter the lifetime limit as a whole number"],
      [{ editionId: "not-an-edition" }, "editionId", "Choose an edition"],
    ] as const) {
      const refused = await call(calendar, "action", form(extra), { creatorSlug: slug });
      expect(refused.status, JSON.stringify(extra)).toBe(400);
      expect((refused.body as { error: Record<string, string[]> }).error[field], JSON.stringify(extra)).toEqual([
        message,
      ]);
    }
    // An edition of another co-op: not found, nothing written.
    const other = await createDropShop(rt, { period: PERIOD, allocationUnits: 1 });
    const foreign = await createEdition(
      rt,
      { userId: other.admin.id, coopId: other.coop.id, role: "coop_admin" },
      { name: "Elsewhere", lifetimeLimit: 1 },
    );
    const notOurs = await call(calendar, "action", form({ editionId: foreign.id }), { creatorSlug: slug });
    expect(notOurs.status).toBe(404);
    expect(await productsOf(shop.creator.id)).toEqual([]);

    const made = await call(
      calendar,
      "action",
      form({ lifetimeLimit: "2", editionId: edition.id, tags: " Pastel, botanical,pastel, riso-print " }),
      { creatorSlug: slug },
    );
    expect(made.status).toBe(302);
    const [product] = await productsOf(shop.creator.id);
    expect(product).toMatchObject({
      lifetimeLimit: 2,
      editionId: edition.id,
      tags: ["pastel", "botanical", "riso-print"],
    });

    // Without the optional fields: no limit, no edition, no tags.
    await call(calendar, "action", form({}), { creatorSlug: slug });
    const plain = (await productsOf(shop.creator.id)).find((p) => p.id !== product!.id)!;
    expect(plain).toMatchObject({ lifetimeLimit: null, editionId: null, tags: [] });

    // Changing them later; fields left out stay; bad tags refused; another creator's product is NOT_FOUND.
    const updated = await updateProduct(rt, shop.creatorCtx, product!.id, { tags: "night", lifetimeLimit: null });
    expect(updated).toMatchObject({
      tags: ["night"],
      lifetimeLimit: null,
      editionId: edition.id,
      title: "Night print",
    });
    expect(await codeOf(updateProduct(rt, shop.creatorCtx, product!.id, { tags: "no spaces please" }))).toBe(
      "BAD_INPUT",
    );
    expect(await codeOf(updateProduct(rt, other.creatorCtx, product!.id, { title: "Mine now" }))).toBe("NOT_FOUND");
    expect((await productsOf(shop.creator.id)).find((p) => p.id === product!.id)).toMatchObject({
      title: "Night print",
      tags: ["night"],
    });
  });

  it("the drop form marks a drop hot with its stock buckets", async () => {
    const shop = await createDropShop(rt, { period: PERIOD, allocationUnits: 10 });
    const token = await tokenFor(shop.owner.email);
    const slug = shop.creator.slug;
    const path = `/studio/${slug}/drops`;
    await call(
      calendar,
      "action",
      testRequest(path, {
        sessionToken: token,
        form: {
          intent: "product",
          title: "Tee",
          sku: "TEE-1",
          capability: "screenprint",
          priceMinor: "2000",
          currency: "EUR",
        },
      }),
      { creatorSlug: slug },
    );
    const [product] = await productsOf(shop.creator.id);
    const drop = (isHot: boolean, bucketCount: string) =>
      call(
        calendar,
        "action",
        testRequest(path, {
          sessionToken: token,
          form: {
            intent: "drop",
            allocation: `screenprint@${PERIOD}`,
            productId: product!.id,
            title: isHot ? "Hot tee" : "Calm tee",
            quantity: "4",
            opensAt: "2026-12-01T11:00",
            bucketCount,
            ...(isHot ? { isHot: "on" } : {}),
          },
        }),
        { creatorSlug: slug },
      );
    expect((await drop(true, "65")).status).toBe(400);
    expect((await drop(true, "4")).status).toBe(302);
    expect((await drop(false, "1")).status).toBe(302);
    const rows = await withSystem(rt, "test-read", (tx) =>
      tx.select().from(schema.drops).where(eq(schema.drops.creatorId, shop.creator.id)),
    );
    expect(rows.map((d) => [d.title, d.isHot, d.bucketCount]).sort()).toEqual([
      ["Calm tee", false, 1],
      ["Hot tee", true, 4],
    ]);
    const listed = (await call(calendar, "loader", testRequest(path, { sessionToken: token }), { creatorSlug: slug }))
      .body as Awaited<ReturnType<typeof calendar.loader>>;
    expect(listed.drops.map((d) => [d.title, d.isHot]).sort()).toEqual([
      ["Calm tee", false],
      ["Hot tee", true],
    ]);
  });
});
