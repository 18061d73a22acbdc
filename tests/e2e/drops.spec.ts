import { expect, test, type Locator, type Page } from "@playwright/test";
import { en } from "../../app/app/i18n/en";
import { emulatorCall, signedIn } from "./helpers";

/**
 * The drops journey (issue 8 acceptance) on the fresh demo database `pnpm test:e2e` starts. Fogline
 * Goods (Harbor Print Collective) holds a locked allocation of 30 sewing units (the demo seed) and
 * sells the "Sticker Mail" tier, to which the Californian and New York demo members subscribe. The
 * creator sets up payments (Stripe's hosted onboarding on the emulator), creates a product and a
 * member-only restock of one unit from the allocation (a larger one is refused); both members race
 * for the unit in two browsers; the loser joins the waitlist; the emulator's clock (Kiln's clock)
 * moves past the winner's hold, the server's hold-expiry job returns the unit and offers it to the
 * loser, who gets an email whose link opens their own hold. Every step is clicked as a person would.
 */

const formWithIntent = (page: Page, intent: string) =>
  page.locator("form").filter({ has: page.locator(`input[name="intent"][value="${intent}"]`) });

/** Selects the option whose text matches `text`. */
async function choose(select: Locator, text: RegExp) {
  const value = await select.locator("option").filter({ hasText: text }).first().getAttribute("value");
  if (value === null) throw new Error(`no option matches ${text}`);
  await select.selectOption(value);
}

test("creator schedules a member-only restock from an allocation; two members race for the last unit; the loser gets it from the waitlist when the winner's hold expires", async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const run = Date.now().toString(36).slice(-5);
  const productName = `Canvas tote ${run}`;
  const dropTitle = `Members' tote restock ${run}`;
  let emulator = "";
  let dropPath = "";

  const creator = await signedIn(browser, "fogline@harbor.demo");
  await test.step("the creator sets up payments through Stripe's hosted onboarding", async () => {
    await creator.goto("/studio/fogline-goods");
    await creator.getByRole("button", { name: en["connect.start"] }).click();
    await expect(creator.getByRole("button", { name: "Complete onboarding" })).toBeVisible();
    emulator = new URL(creator.url()).origin;
    await creator.getByRole("button", { name: "Complete onboarding" }).click();
    await expect(creator).toHaveURL(/\/studio\/fogline-goods$/);
  });

  await test.step("the creator creates a product and a member-only restock from the locked allocation", async () => {
    await creator.getByRole("link", { name: en["studioDrops.calendar"] }).click();
    await expect(creator.getByRole("heading", { name: "Drops: Fogline Goods" })).toBeVisible();
    // The forms react to the chosen allocation once the page is hydrated.
    await creator.waitForLoadState("networkidle");
    const product = formWithIntent(creator, "product");
    await product.getByLabel(en["studioDrops.productTitle"]).fill(productName);
    await product.getByLabel(en["studioDrops.sku"]).fill(`TOTE-${run}`);
    await product.getByLabel(en["capacity.capability"]).selectOption("sewing");
    await product.getByLabel(en["studioDrops.price"]).fill("2400");
    await product.getByLabel(en["studioDrops.delivery"]).fill("500");
    await product.getByLabel(en["studioDrops.currency"]).fill("USD");
    await product.getByRole("button", { name: en["studioDrops.createProduct"] }).click();
    await expect(creator.getByText(en["studioDrops.productCreated"])).toBeVisible();

    const drop = formWithIntent(creator, "drop");
    await choose(drop.getByLabel(en["studioDrops.allocation"]), /^sewing .*30 of 30 units left/);
    await choose(drop.getByLabel(en["studioDrops.product"]), new RegExp(`^${productName}`));
    // The allocation's limit and the ship-by date it implies are shown with the quantity.
    await expect(
      drop.getByText(/At most 30 items from this allocation; they ship by \d{4}-\d{2}-\d{2}\./),
    ).toBeVisible();
    await drop.getByLabel(en["studioDrops.dropTitle"]).fill(dropTitle);
    await drop.getByLabel(en["studioDrops.quantity"]).fill("31");
    await drop.getByRole("group", { name: en["studioDrops.tiers"] }).getByLabel("Sticker Mail").check();
    await drop.getByLabel(en["studioDrops.publishNow"]).check();
    await drop.getByRole("button", { name: en["studioDrops.create"] }).click();
    // More than the allocation has: refused with what is left, and nothing is created.
    await expect(creator.getByRole("alert").filter({ hasText: "At most 30 items" })).toBeVisible();
    await expect(creator.locator("[data-drop]")).toHaveCount(0);

    const again = formWithIntent(creator, "drop");
    await choose(again.getByLabel(en["studioDrops.allocation"]), /^sewing .*30 of 30 units left/);
    await choose(again.getByLabel(en["studioDrops.product"]), new RegExp(`^${productName}`));
    await again.getByLabel(en["studioDrops.dropTitle"]).fill(dropTitle);
    await again.getByLabel(en["studioDrops.quantity"]).fill("1");
    await again.getByLabel(en["studioDrops.holdMinutes"]).fill("10");
    const gate = again.getByRole("group", { name: en["studioDrops.tiers"] }).getByLabel("Sticker Mail");
    if (!(await gate.isChecked())) await gate.check();
    const publish = again.getByLabel(en["studioDrops.publishNow"]);
    if (!(await publish.isChecked())) await publish.check();
    await again.getByRole("button", { name: en["studioDrops.create"] }).click();
    await expect(creator).toHaveURL(/\/studio\/fogline-goods\/drops\/[0-9a-f-]{36}$/);
    await expect(creator.getByRole("heading", { name: dropTitle })).toBeVisible();
    await expect(creator.getByText("Members of: Sticker Mail")).toBeVisible();
    await expect(creator.locator("[data-remaining]")).toHaveAttribute("data-remaining", "1");
    await expect(creator.getByText(en["studioDrops.published"], { exact: true })).toBeVisible();
  });

  const ca = await signedIn(browser, "member.ca@kiln.demo");
  const ny = await signedIn(browser, "member.ny@kiln.demo");
  await test.step("both members find the member-only drop on the storefront", async () => {
    for (const member of [ca, ny]) {
      await member.goto("/s/fogline-goods");
      // The storefront's drop list (members may also see it among the "Recommended for you" offers).
      const item = member
        .getByRole("region", { name: en["storefront.drops"] })
        .getByRole("listitem")
        .filter({ hasText: dropTitle });
      await expect(item.getByText(en["storefront.memberOnly"])).toBeVisible();
      await item.getByRole("link", { name: dropTitle }).click();
      await expect(member.getByRole("heading", { name: dropTitle })).toBeVisible();
      await expect(member.locator("[data-remaining]")).toHaveAttribute("data-remaining", "1");
    }
    dropPath = new URL(ca.url()).pathname;
  });

  let winner: Page = ca;
  let loser: Page = ny;
  await test.step("they race for the last unit: one holds it, the other is told it sold out and joins the waitlist", async () => {
    await Promise.all([
      ca.getByRole("button", { name: en["drops.claim"] }).click(),
      ny.getByRole("button", { name: en["drops.claim"] }).click(),
    ]);
    await expect(async () => {
      const held = [ca, ny].filter((p) => /\/drops\/claims\/[0-9a-f-]{36}/.test(p.url()));
      expect(held).toHaveLength(1);
    }).toPass({ timeout: 15_000 });
    winner = /\/drops\/claims\//.test(ca.url()) ? ca : ny;
    loser = winner === ca ? ny : ca;
    await expect(winner.locator("[data-hold-countdown]")).toBeVisible();
    await expect(loser).toHaveURL(new RegExp(`${dropPath}$`));
    await expect(loser.locator("[data-sold-out]")).toBeVisible();
    await loser.getByRole("button", { name: en["drops.joinWaitlist"] }).click();
    await expect(loser.locator("[data-waitlist-position]")).toHaveAttribute("data-waitlist-position", "1");
  });

  await test.step("the creator sees the hold, the waitlist and nothing left", async () => {
    await creator.reload();
    await expect(creator.locator("[data-reserved]")).toHaveAttribute("data-reserved", "1");
    await expect(creator.locator("[data-remaining]")).toHaveAttribute("data-remaining", "0");
    await expect(creator.locator("[data-waiting]")).toHaveAttribute("data-waiting", "1");
    await expect(creator.locator('[data-claim][data-status="reserved"]')).toHaveCount(1);
    await expect(creator.locator('[data-waitlist-entry][data-status="waiting"]')).toHaveCount(1);
  });

  await test.step("the winner's hold runs out: the hold-expiry job offers the unit to the loser, who is emailed", async () => {
    const { now } = await emulatorCall<{ now: number }>(emulator, "GET", "/clock");
    await emulatorCall(emulator, "POST", "/clock/advance", { seconds: 11 * 60 });
    expect((await emulatorCall<{ now: number }>(emulator, "GET", "/clock")).now).toBeGreaterThanOrEqual(now + 660);
    // The server's pg-boss worker runs the hold-expiry job every minute.
    const mail = loser.getByRole("link", { name: new RegExp(`A unit of ${dropTitle} is yours`) }).first();
    await expect(async () => {
      await loser.goto("/dev/mail");
      await expect(mail).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 150_000, intervals: [3_000] });
    await mail.click();
    await expect(loser).toHaveURL(/\/dev\/mail\/[^/]+$/);
    await loser.getByRole("link", { name: /\/s\/fogline-goods\/drops\/claims\/[0-9a-f-]{36}/ }).click();
    await expect(loser).toHaveURL(/\/s\/fogline-goods\/drops\/claims\/[0-9a-f-]{36}$/);
    await expect(loser.locator("[data-hold-countdown]")).toBeVisible();
    await expect(loser.getByRole("heading", { name: new RegExp(dropTitle) })).toBeVisible();

    await winner.reload();
    await expect(winner.getByText(en["drops.holdExpired"])).toBeVisible();
    await expect(winner.locator("[data-hold-countdown]")).toHaveCount(0);
  });

  await test.step("the creator sees the expired hold and the unit held for the member from the waitlist", async () => {
    await creator.reload();
    await expect(creator.locator('[data-claim][data-status="expired"]')).toHaveCount(1);
    await expect(creator.locator('[data-claim][data-status="reserved"]')).toHaveCount(1);
    await expect(creator.locator('[data-waitlist-entry][data-status="offered"]')).toHaveCount(1);
    await expect(creator.locator("[data-reserved]")).toHaveAttribute("data-reserved", "1");
    await expect(creator.locator("[data-remaining]")).toHaveAttribute("data-remaining", "0");
  });
});
