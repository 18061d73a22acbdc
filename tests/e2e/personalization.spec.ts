import { expect, test, type Browser, type BrowserContext, type Page, type Request } from "@playwright/test";
import { DEMO_PASSWORD, signIn } from "./helpers";

/**
 * Personalised offers on the device (issue 9 acceptance) on the fresh demo database: the taste panel
 * (panel-NN@panel.kiln.demo, seeded with tastes and history at Riverside Makers) and the trained demo
 * model. A member in the on-device arm sees the offers re-ranked in the browser by onnxruntime-web,
 * whose wasm comes from Kiln's own origin; every request the browser makes is inspected to show that
 * the device-only history (viewed product ids, dwell) and the feature vectors never leave it; with
 * JavaScript disabled the same member gets the server-ranked offers.
 */
const STOREFRONT = "/s/inkwell-studio";
const PANEL = Array.from({ length: 30 }, (_, i) => `panel-${String(i + 1).padStart(2, "0")}@panel.kiln.demo`);
const HISTORY_KEY = "kiln.device-history.v1";

interface Seen {
  url: URL;
  method: string;
  body: string | null;
  request: Request;
}

/** Every request of the context (pages, workers, beacons), from now on. */
function recordRequests(context: BrowserContext): Seen[] {
  const seen: Seen[] = [];
  context.on("request", (request) => {
    seen.push({ url: new URL(request.url()), method: request.method(), body: request.postData(), request });
  });
  return seen;
}

/** The offer ids in the order the list shows them. */
const offerOrder = (page: Page) =>
  page
    .locator("[data-ranked-offers] li[data-offer-id]")
    .evaluateAll((items) => items.map((li) => li.getAttribute("data-offer-id")!));

/** The offer ids in the order of the server-rendered HTML (before any re-ranking). */
const htmlOrder = (html: string) => [...html.matchAll(/data-offer-id="([^"]+)"/g)].map((m) => m[1]!);

/** Signs panel members in until one's deterministic arm is "device"; returns that member's page. */
async function deviceArmMember(browser: Browser): Promise<{ page: Page; email: string }> {
  const arms: string[] = [];
  for (const email of PANEL) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, email);
    await page.goto(STOREFRONT);
    const section = page.locator("[data-ranked-offers]");
    await expect(section, `${email} sees no "Recommended for you" list on ${STOREFRONT}`).toBeVisible();
    const arm = await section.getAttribute("data-assigned-arm");
    arms.push(`${email}: ${arm}`);
    if (arm === "device") return { page, email };
    await context.close();
  }
  throw new Error(`no panel member is in the on-device arm:\n${arms.join("\n")}`);
}

test.describe("personalised offers (issue 9)", () => {
  test.setTimeout(240_000);

  test("on-device ranking: self-hosted wasm, and no device-only history or features leave the browser", async ({
    browser,
    baseURL,
  }) => {
    const origin = new URL(baseURL!).origin;
    const { page, email } = await deviceArmMember(browser);
    const context = page.context();
    const cspErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });

    const section = page.locator("[data-ranked-offers]");
    const modelVersion = await section.getAttribute("data-model-version");
    expect(
      modelVersion,
      `${email} is in the device arm but the storefront sends no model: is an offer-ranker model active in the demo seed?`,
    ).toBeTruthy();

    // 1. Browse: open two offers (client-side navigation), stay a moment, come back. The views and
    //    their dwell go to this device's history.
    const history = recordRequests(context);
    const firstOffers = await offerOrder(page);
    expect(firstOffers.length, "the storefront shows at least two offers").toBeGreaterThanOrEqual(2);
    for (const offerId of firstOffers.slice(-2)) {
      await page.locator(`[data-offer-id="${offerId}"] a`).first().click();
      await expect(page.locator("#drop-title")).toBeVisible();
      await page.waitForTimeout(1200);
      await page.getByRole("link", { name: /←/ }).first().click();
      await expect(section).toBeVisible();
    }
    const stored = await page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? "[]") as unknown, HISTORY_KEY);
    const views = stored as Array<{ productId: string; dwellMs: number; tags: string[] }>;
    expect(views.length, "the device recorded the two views").toBeGreaterThanOrEqual(2);
    expect(views.at(-1)!.dwellMs).toBeGreaterThan(500);
    const viewedProducts = [...new Set(views.map((v) => v.productId))];
    const dwells = views.map((v) => String(v.dwellMs));
    // While browsing, a view leaves the device only through the consented first-party beacon, and
    // then as product id + dwell alone (P1's route refuses it without the member's consent).
    // Back on the storefront the list is re-ranked and the served-arm beacon says which arm served.
    for (const r of history.filter((r) => r.body !== null)) {
      const keys = Object.keys(JSON.parse(r.body!) as object).sort();
      if (r.url.pathname.startsWith("/api/v1/personalization/exposures/")) {
        expect(
          keys.every((k) => ["fallbackReason", "servedArm"].includes(k)),
          `${r.url.pathname}: ${r.body}`,
        ).toBe(true);
        continue;
      }
      expect(r.url.pathname, `unexpected request with a body while browsing: ${r.method} ${r.url}`).toBe(
        "/api/v1/personalization/views",
      );
      expect(keys).toEqual(["dwellMs", "productId"]);
    }

    // 2. The storefront again, from the server: every request from here on is inspected. A cold
    //    runtime on a loaded machine can miss the 1.5 s budget (the page then keeps the server's
    //    order and says so): the next visit compiles from the browser's cache, so try a few times.
    const seen = recordRequests(context);
    let serverOrder: string[] = [];
    const outcomes: unknown[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const documentResponse = await page.goto(STOREFRONT);
      serverOrder = htmlOrder(await documentResponse!.text());
      const beaconPath = `/api/v1/personalization/exposures/${await section.getAttribute("data-exposure-id")}`;
      await expect.poll(() => seen.some((r) => r.url.pathname === beaconPath), { timeout: 20_000 }).toBe(true);
      const outcome = JSON.parse(seen.find((r) => r.url.pathname === beaconPath)!.body ?? "null") as {
        servedArm: string;
        fallbackReason?: string;
      };
      outcomes.push(outcome);
      if (outcome.servedArm === "device") break;
      expect(outcome.fallbackReason, "only the time budget may stop this device").toBe("time-budget");
    }
    expect(outcomes.at(-1), `served-arm reports: ${JSON.stringify(outcomes)}`).toEqual({ servedArm: "device" });
    expect(serverOrder.length).toBeGreaterThanOrEqual(2);
    await expect(section).toHaveAttribute("data-ranked-by", "device");
    const deviceOrder = await offerOrder(page);
    expect([...deviceOrder].sort()).toEqual([...serverOrder].sort());

    // The runtime and the model came from Kiln's own origin (no CDN), the wasm as application/wasm.
    const wasm = seen.find((r) => r.url.pathname.endsWith(".wasm"));
    expect(wasm, "the browser fetched the onnxruntime wasm").toBeTruthy();
    expect(wasm!.url.origin).toBe(origin);
    expect(wasm!.url.pathname).toMatch(/^\/ort\/\d+\.\d+\.\d+\/ort-wasm-simd-threaded\.wasm$/);
    const wasmResponse = await wasm!.request.response();
    expect(wasmResponse?.status()).toBe(200);
    expect(wasmResponse?.headers()["content-type"]).toContain("application/wasm");
    expect(seen.some((r) => r.url.pathname === `/models/offer-ranker/${modelVersion}.onnx`)).toBe(true);
    expect(seen.filter((r) => r.url.origin !== origin).map((r) => r.url.href)).toEqual([]);

    // Nothing but fetching the page, its code, the runtime and the model — and the served-arm
    // beacon, which says which arm served and nothing else.
    for (const r of seen) {
      const what = `${r.method} ${r.url.pathname}${r.url.search}`;
      if (r.method === "GET") {
        expect(
          r.url.pathname === STOREFRONT ||
            r.url.pathname.startsWith("/assets/") ||
            r.url.pathname.startsWith("/ort/") ||
            r.url.pathname.startsWith("/models/offer-ranker/") ||
            r.url.pathname === "/favicon.ico" ||
            r.url.pathname === "/favicon.svg" ||
            // Remix's lazy route discovery asks for the routes of the links on the page.
            r.url.pathname === "/__manifest",
          `unexpected request ${what}`,
        ).toBe(true);
      } else {
        expect(r.url.pathname, `unexpected request ${what}`).toMatch(
          /^\/api\/v1\/personalization\/exposures\/[0-9a-f-]+$/,
        );
        // Which arm served, or why not: never more.
        expect(
          Object.keys(JSON.parse(r.body ?? "{}") as object).every((k) => ["servedArm", "fallbackReason"].includes(k)),
        ).toBe(true);
      }
      // No viewed product id, no dwell, no feature vector in any URL, header or body.
      const headers = await r.request.allHeaders();
      const carried = [r.url.href, r.body ?? "", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join("\n");
      for (const productId of viewedProducts)
        expect(carried, `${what} carries a viewed product id`).not.toContain(productId);
      expect(carried, `${what} mentions dwell`).not.toMatch(/dwell/i);
      for (const dwell of dwells) expect(r.body ?? "", `${what} carries a dwell time`).not.toContain(dwell);
      expect(carried, `${what} carries a feature vector`).not.toMatch(/\d\.\d+\s*,\s*\d\.\d+\s*,\s*\d\.\d+/);
    }
    expect(cspErrors).toEqual([]);

    // 3. JavaScript disabled: the same member gets the server-ranked list, and nothing is downloaded
    //    to score.
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const noJsRequests = recordRequests(noJs);
    const plain = await noJs.newPage();
    await plain.goto("/login");
    await plain.getByLabel("Email", { exact: true }).fill(email);
    await plain.getByLabel("Password", { exact: true }).fill(DEMO_PASSWORD);
    await plain.getByRole("button", { name: "Sign in" }).click();
    await expect(plain).not.toHaveURL(/\/login/);
    await plain.goto(STOREFRONT);
    await expect(plain.locator("[data-ranked-offers]")).toHaveAttribute("data-ranked-by", "server");
    await expect(plain.getByRole("heading", { name: "Recommended for you" })).toBeVisible();
    expect(await offerOrder(plain)).toEqual(serverOrder);
    expect(
      noJsRequests.filter((r) => r.url.pathname.startsWith("/ort/") || r.url.pathname.startsWith("/models/")),
    ).toEqual([]);
    await noJs.close();
    await context.close();
  });

  test("a model the device cannot load: the server's order stays, and the beacon says why", async ({ browser }) => {
    const { page, email } = await deviceArmMember(browser);
    const context = page.context();
    expect(
      await page.locator("[data-ranked-offers]").getAttribute("data-model-version"),
      `${email} is in the device arm but the storefront sends no model: is an offer-ranker model active in the demo seed?`,
    ).toBeTruthy();
    await page.route(
      (url) => url.pathname.startsWith("/models/offer-ranker/"),
      (route) => route.fulfill({ status: 404, body: "gone" }),
    );
    const seen = recordRequests(context);
    const response = await page.goto(STOREFRONT);
    const serverOrder = htmlOrder(await response!.text());
    // The beacon of this page's exposure (an earlier visit's may still be on its way).
    const exposureId = await page.locator("[data-ranked-offers]").getAttribute("data-exposure-id");
    const beaconPath = `/api/v1/personalization/exposures/${exposureId}`;
    await expect
      .poll(() => seen.find((r) => r.url.pathname === beaconPath)?.body ?? null, { timeout: 20_000 })
      .not.toBeNull();
    const beacon = seen.find((r) => r.url.pathname === beaconPath)!;
    expect(JSON.parse(beacon.body!)).toEqual({ servedArm: "server", fallbackReason: "model-error" });
    expect((await beacon.request.response())?.status()).toBe(200);
    await expect(page.locator("[data-ranked-offers]")).toHaveAttribute("data-ranked-by", "server");
    expect(await offerOrder(page)).toEqual(serverOrder);
    await context.close();
  });
});
