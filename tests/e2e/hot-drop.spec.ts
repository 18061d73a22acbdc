import { expect, test, type Locator, type Page } from "@playwright/test";
import { en } from "../../app/app/i18n/en";
import { emulatorCall, signedIn } from "./helpers";

/**
 * The hot-drop waiting room (issue 8 §6) on `pnpm start`. Fogline Goods marks a drop hot in the studio
 * form (with a lifetime limit and style tags on its product; a bad tag is refused with a clear
 * message). Three members enter the waiting room before opening; the emulator's clock (Kiln's clock)
 * passes the opening; the room is sealed and its random order drawn: a fourth member entering after
 * opening queues behind the early ones, and each early member is admitted with a position. A claim without an
 * admission token is refused; each admitted member claims with its token, in the drawn order, and
 * holds a unit. The server is shared with the other journeys: nothing here counts rows or mails.
 */

const formWithIntent = (page: Page, intent: string) =>
  page.locator("form").filter({ has: page.locator(`input[name="intent"][value="${intent}"]`) });

async function choose(select: Locator, text: RegExp) {
  const value = await select.locator("option").filter({ hasText: text }).first().getAttribute("value");
  if (value === null) throw new Error(`no option matches ${text}`);
  await select.selectOption(value);
}

interface QueueAnswer {
  state: string;
  position?: number | null;
}

/** Keeps the last answer of the queue API a member's waiting room received. */
function watchQueue(page: Page) {
  const seen: { last: QueueAnswer | null } = { last: null };
  page.on("response", async (response) => {
    if (!/\/api\/v1\/drops\/[0-9a-f-]{36}\/queue$/.test(new URL(response.url()).pathname)) return;
    if (!response.ok()) return;
    const body = (await response.json().catch(() => null)) as { queue?: QueueAnswer } | null;
    if (body?.queue) seen.last = body.queue;
  });
  return seen;
}

/** `YYYY-MM-DDTHH:MM` in UTC, as the studio's datetime-local fields take it. */
const utcMinute = (d: Date) => d.toISOString().slice(0, 16);

test("a hot drop's waiting room admits early members in a random order at opening; claims need the admission token", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const run = Date.now().toString(36).slice(-5);
  const productName = `Hot tee ${run}`;
  const dropTitle = `Midnight tee drop ${run}`;
  let emulator = "";
  let dropId = "";
  let opensAt = new Date(0);

  await test.step("the emulator's origin, from a creator's Stripe onboarding page", async () => {
    const loom = await signedIn(browser, "loom@riverside.demo");
    await loom.goto("/studio/loom-and-thread");
    // Loom's owner reads German: the button is found by its form, not its label.
    await loom.locator('form:has(input[name="intent"][value="connect"]) button[type="submit"]').click();
    await expect(loom.getByRole("button", { name: "Complete onboarding" })).toBeVisible();
    emulator = new URL(loom.url()).origin;
    await loom.context().close();
  });

  const creator = await signedIn(browser, "fogline@harbor.demo");
  await test.step("the creator makes a product with a lifetime limit and style tags; a bad tag is refused clearly", async () => {
    await creator.goto("/studio/fogline-goods/drops");
    await creator.waitForLoadState("networkidle");
    const fill = async (tags: string) => {
      const product = formWithIntent(creator, "product");
      await product.getByLabel(en["studioDrops.productTitle"]).fill(productName);
      await product.getByLabel(en["studioDrops.sku"]).fill(`TEE-${run}`);
      await product.getByLabel(en["capacity.capability"]).selectOption("sewing");
      await product.getByLabel(en["studioDrops.price"]).fill("3200");
      await product.getByLabel(en["studioDrops.delivery"]).fill("500");
      await product.getByLabel(en["studioDrops.currency"]).fill("USD");
      await product.getByLabel(en["studioDrops.lifetimeLimit"]).fill("2");
      await product.getByLabel(en["studioDrops.tags"]).fill(tags);
      await product.getByRole("button", { name: en["studioDrops.createProduct"] }).click();
    };
    await fill("Night, glow in the dark");
    await expect(
      creator.getByRole("alert").filter({ hasText: '"glow in the dark" is not a tag: use 1–24 lower-case letters' }),
    ).toBeVisible();
    await fill("Night, glow-in-the-dark, night");
    await expect(creator.getByText(en["studioDrops.productCreated"])).toBeVisible();
  });

  await test.step("the creator schedules the drop as hot, opening in ten minutes", async () => {
    const { now } = await emulatorCall<{ now: number }>(emulator, "GET", "/clock");
    opensAt = new Date((Math.ceil(now / 60) + 10) * 60_000);
    const drop = formWithIntent(creator, "drop");
    await choose(drop.getByLabel(en["studioDrops.allocation"]), /^sewing /);
    await choose(drop.getByLabel(en["studioDrops.product"]), new RegExp(`^${productName}`));
    await drop.getByLabel(en["studioDrops.dropTitle"]).fill(dropTitle);
    await drop.getByLabel(en["studioDrops.quantity"]).fill("3");
    await drop.getByLabel(en["studioDrops.opensAt"]).fill(utcMinute(opensAt));
    await drop.getByLabel(en["studioDrops.isHot"]).check();
    await drop.getByLabel(en["studioDrops.bucketCount"]).fill("3");
    await drop.getByLabel(en["studioDrops.publishNow"]).check();
    await drop.getByRole("button", { name: en["studioDrops.create"] }).click();
    await expect(creator).toHaveURL(/\/studio\/fogline-goods\/drops\/[0-9a-f-]{36}$/);
    dropId = new URL(creator.url()).pathname.split("/").at(-1)!;
    await creator.goto("/studio/fogline-goods/drops");
    await expect(creator.locator(`[data-drop="${dropId}"]`)).toContainText(en["studioDrops.hot"]);
  });

  const early = await Promise.all(
    ["member.ca@kiln.demo", "member.ny@kiln.demo", "member.uk@kiln.demo"].map(async (email) => {
      let watch: ReturnType<typeof watchQueue> = { last: null };
      const page = await signedIn(browser, email, {}, (p) => {
        watch = watchQueue(p);
      });
      return { email, page, watch };
    }),
  );
  await test.step("three members enter the waiting room from the drop's page before it opens", async () => {
    for (const { page } of early) {
      await page.goto(`/s/fogline-goods/drops/${dropId}`);
      await expect(page.locator("[data-product-tags]")).toHaveAttribute("data-product-tags", "night,glow-in-the-dark");
      await page.locator("[data-waiting-room]").click();
      await expect(page).toHaveURL(new RegExp(`/drops/${dropId}/queue$`));
      await expect(page.getByRole("status")).toContainText("The drop opens in about");
      await expect(page.getByRole("button", { name: en["dropQueue.claim"] })).toBeHidden();
    }
    for (const { watch } of early) expect(watch.last).toMatchObject({ state: "waiting", position: null });
  });

  // The late member signs in now (slow under load: argon2) but enters the room only after opening. Place 4
  // is admitted one minute after opening (3 units, one place a minute), and Kiln's clock runs on in real
  // time after the jump: so the late member enters first thing after it, before the early members'
  // pages are checked (their own 5 s polls admit them whenever they come, and keep them admitted).
  let lateWatch: ReturnType<typeof watchQueue> = { last: null };
  const late = await signedIn(browser, "member@kiln.demo", {}, (p) => {
    lateWatch = watchQueue(p);
  });

  await test.step("the clock passes the opening; a member entering then queues behind the early ones", async () => {
    const { now } = await emulatorCall<{ now: number }>(emulator, "GET", "/clock");
    const seconds = Math.ceil(opensAt.getTime() / 1000 + 3 - now);
    expect(seconds).toBeGreaterThan(0);
    await emulatorCall(emulator, "POST", "/clock/advance", { seconds });
    await late.goto(`/s/fogline-goods/drops/${dropId}/queue`);
    await expect(late.getByRole("status")).toContainText("You are number 4 in the queue");
    await expect.poll(() => lateWatch.last).toMatchObject({ state: "waiting", position: 4 });
    await late.context().close();
  });

  await test.step("the room is sealed: each early member is admitted with a drawn place", async () => {
    for (const { page } of early)
      await expect(page.getByRole("button", { name: en["dropQueue.claim"] })).toBeVisible({ timeout: 20_000 });
    for (const { watch } of early) await expect.poll(() => watch.last?.state).toBe("admitted");
    const positions = early.map(({ watch }) => watch.last!.position!);
    expect([...positions].sort()).toEqual([1, 2, 3]);
  });

  await test.step("a claim without an admission token is refused", async () => {
    const { page } = early[0]!;
    const refused = await page.request.post(`/api/v1/drops/${dropId}/claims`, {
      headers: { Origin: baseURL!, "Idempotency-Key": `no-token-${run}`, "Content-Type": "application/json" },
      data: { quantity: 1 },
    });
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });

  await test.step("in the drawn order, each admitted member claims with its token and holds a unit", async () => {
    const inOrder = [...early].sort((a, b) => a.watch.last!.position! - b.watch.last!.position!);
    for (const { page } of inOrder) {
      await page.getByRole("button", { name: en["dropQueue.claim"] }).click();
      await expect(page).toHaveURL(/\/s\/fogline-goods\/drops\/claims\/[0-9a-f-]{36}$/);
      await expect(page.locator("[data-hold-countdown]")).toBeVisible();
    }
    await creator.goto(`/studio/fogline-goods/drops/${dropId}`);
    await expect(creator.locator("[data-reserved]")).toHaveAttribute("data-reserved", "3");
    await expect(creator.locator("[data-remaining]")).toHaveAttribute("data-remaining", "0");
  });
});
