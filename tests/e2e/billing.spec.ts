import { expect, test, type Browser, type Page } from "@playwright/test";
import { de } from "../../app/app/i18n/de";
import { en } from "../../app/app/i18n/en";
import { emulatorCall, signIn, signedIn as signedInAs } from "./helpers";

/**
 * The billing journey (issue 5 acceptance) on `pnpm start` with the Stripe emulator on a free port,
 * on the fresh demo database `pnpm test:e2e` starts. Riverside Makers: the creator Inkwell Studio
 * (English) sets up payments through the emulator's hosted Connect onboarding, creates a tier and
 * its terms, the co-op's reviewer (German) approves them, the creator publishes it; the demo member
 * (German, Germany) subscribes through setup Checkout and Kiln's order page and is entitled at once.
 * Then the emulator's test controls (the same origin as its hosted pages) make the next renewal
 * fail and move time — Kiln's clock follows the emulator's in development (server/main.ts) — and the
 * member sees past_due with a notice and gets the dunning email; its link opens the billing portal,
 * the card update and "pay now" restore active; cancel at period end ends the entitlement exactly
 * at the period end. Every browser response is checked for secrets.
 */

const SECRET = /\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9]|whsec_[A-Za-z0-9]/;

/** Every response a browser of this journey received (Kiln's and the emulator's hosted pages), checked for secrets. */
const leaks: string[] = [];
let kilnOrigin = "";
let checked = 0;

async function watchSecrets(page: Page) {
  page.on("response", async (response) => {
    const type = response.headers()["content-type"] ?? "";
    if (!/html|json|javascript|text/.test(type)) return;
    const body = await response.text().catch(() => "");
    const headers = JSON.stringify(response.headers());
    checked += 1;
    if (SECRET.test(body) || SECRET.test(headers)) leaks.push(response.url());
  });
}

const signedIn = (browser: Browser, email: string) => signedInAs(browser, email, {}, watchSecrets);

/** Opens `path`, signing in again when the session ran out (moving the clock a month ages it too). */
async function visit(page: Page, email: string, path: string) {
  await page.goto(path);
  if (new URL(page.url()).pathname === "/login") {
    await signIn(page, email);
    await page.goto(path);
  }
}

/** Moves the emulator's clock (and so Kiln's) to `target`; renewals and retries on the way run. */
async function moveClockTo(origin: string, target: Date) {
  const { now } = await emulatorCall<{ now: number }>(origin, "GET", "/clock");
  const seconds = Math.floor(target.getTime() / 1000) - now;
  if (seconds > 0) await emulatorCall(origin, "POST", "/clock/advance", { seconds });
}

test("creator onboards and sells a tier; the member subscribes, fails a renewal, updates the card and cancels at period end", async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(300_000);
  kilnOrigin = new URL(baseURL!).origin;
  const tierName = `Kiln Circle ${Date.now().toString(36)}`;
  const member = "member@kiln.demo";
  let emulator = "";
  let tierPath = "";

  const creator = await signedIn(browser, "inkwell@riverside.demo");
  await test.step("the creator sets up payments through Stripe's hosted onboarding", async () => {
    await creator.goto("/studio/inkwell-studio");
    await creator.getByRole("button", { name: en["connect.start"] }).click();
    await expect(creator.getByRole("button", { name: "Complete onboarding" })).toBeVisible();
    emulator = new URL(creator.url()).origin;
    expect(emulator).not.toBe(kilnOrigin);
    await creator.getByRole("button", { name: "Complete onboarding" }).click();
    await expect(creator).toHaveURL(/\/studio\/inkwell-studio$/);
    await expect(async () => {
      await creator.reload();
      await expect(creator.locator('[data-connect-status="enabled"]')).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
  });

  await test.step("the creator creates a tier, writes its terms and submits them", async () => {
    await creator.goto("/studio/inkwell-studio/tiers");
    await creator.getByLabel(en["tiers.name"], { exact: true }).fill(tierName);
    await creator.getByRole("checkbox", { name: "DE", exact: true }).check();
    await creator.getByRole("button", { name: en["tiers.create"] }).click();
    await expect(creator).toHaveURL(/\/studio\/inkwell-studio\/tiers\/[0-9a-f-]{36}$/);
    tierPath = new URL(creator.url()).pathname;
    await creator.getByLabel(en["terms.productDescription"]).fill("Monthly zine, early access to every drop.");
    await creator.getByLabel(en["terms.amount"]).fill("9.00");
    await creator.getByLabel(en["terms.traderAddress"]).fill("Inkwell Studio, Hauptstraße 1, 10115 Berlin");
    await creator.getByLabel(en["terms.traderEmail"]).fill("hello@inkwell.example");
    await creator.getByRole("button", { name: en["tiers.saveDraft"] }).click();
    await expect(creator.getByText(en["tiers.saved"])).toBeVisible();
    await creator.getByRole("button", { name: en["tiers.submit"] }).click();
    await expect(creator.getByText(en["tiers.submitted"])).toBeVisible();
  });

  await test.step("the co-op's reviewer approves the terms", async () => {
    const reviewer = await signedIn(browser, "reviewer@riverside.demo");
    await reviewer.goto("/review/riverside-makers");
    await reviewer.getByRole("link", { name: new RegExp(tierName) }).click();
    await reviewer.getByRole("button", { name: de["review.approve"], exact: true }).click();
    await expect(reviewer.getByText(de["review.saved"])).toBeVisible();
    await reviewer.context().close();
  });

  const tierId = tierPath.split("/").pop()!;
  await test.step("the creator publishes the tier", async () => {
    await creator.goto(tierPath);
    await creator.getByRole("button", { name: en["tiers.publish"] }).click();
    await expect(creator.getByText(en["tiers.isLive"])).toBeVisible();
    await creator.context().close();
  });

  const page = await signedIn(browser, member);
  let session = "";
  await test.step("the member subscribes: setup Checkout, Kiln's order page, entitled at once", async () => {
    await page.goto(`/s/inkwell-studio/tiers/${tierId}`);
    await page.getByRole("button", { name: de["order.continue"] }).click();
    await expect(page.getByRole("button", { name: "Save card" })).toBeVisible();
    expect(new URL(page.url()).origin).toBe(emulator);
    await page.getByLabel("Card number").fill("4242 4242 4242 4242");
    await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
    await page.getByLabel("CVC").fill("123");
    await page.getByRole("button", { name: "Save card" }).click();
    await expect(page).toHaveURL(new RegExp(`/s/inkwell-studio/tiers/${tierId}/order\\?session=cs_`));
    session = new URL(page.url()).searchParams.get("session")!;
    await expect(page.locator("[data-disclosure-block]")).toBeVisible();
    await page.locator('[data-consent="auto-renew"]').check();
    const express = page.locator('[data-consent="express-start"]');
    if (await express.count()) await express.check();
    await page.locator("[data-order-button]").click();
    await expect(page).toHaveURL(/\/account\/subscriptions$/);
    const row = page.locator("li[data-subscription]").filter({ hasText: tierName });
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "active");
    await expect(row.locator("[data-entitled]")).toHaveAttribute("data-entitled", "yes");
    // Amounts are integers in minor units with their currency.
    await expect(row.locator("[data-amount-minor]").first()).toHaveAttribute("data-amount-minor", "900");
    await expect(row.locator("[data-currency]").first()).toHaveAttribute("data-currency", "EUR");
  });

  const row = page.locator("li[data-subscription]").filter({ hasText: tierName });
  const periodEnd = async () => new Date((await row.locator("[data-period-end]").getAttribute("data-period-end"))!);

  await test.step("the clock moves to a failed renewal: past_due with a notice, still within the grace period", async () => {
    const { scope, object } = await emulatorCall<{ scope: string; object: { customer: string } }>(
      emulator,
      "GET",
      `/objects/${session}`,
    );
    await emulatorCall(emulator, "POST", `/customers/${object.customer}/fail_next_payment`, {
      account: scope,
      count: 1,
    });
    await moveClockTo(emulator, new Date((await periodEnd()).getTime() + 3_600_000));
    await expect(async () => {
      await visit(page, member, "/account/subscriptions");
      await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "past_due", { timeout: 1_000 });
    }).toPass({ timeout: 45_000 });
    await expect(row.getByText(de["subscriptions.pastDueNotice"])).toBeVisible();
    await expect(row.locator("[data-entitled]")).toHaveAttribute("data-entitled", "yes");
    await row.getByText(de["subscriptions.invoices"]).click();
    await expect(row.locator('[data-invoice-status="open"]')).toHaveCount(1);
  });

  await test.step("the dunning email's link opens the billing portal; the new card and 'pay now' restore active", async () => {
    const mail = page.getByRole("link", { name: /Zahlung fehlgeschlagen/ }).first();
    await expect(async () => {
      await page.goto("/dev/mail");
      await expect(mail).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 90_000 });
    await expect(async () => {
      await mail.click();
      await expect(page).toHaveURL(/\/dev\/mail\/[^/]+$/, { timeout: 2_000 });
    }).toPass({ timeout: 20_000 });
    // The link points at Kiln (which makes a fresh portal session), not at a short-lived Stripe URL.
    await page.getByRole("link", { name: /\/account\/subscriptions\/[0-9a-f-]{36}\/card$/ }).click();
    await expect(page.getByRole("button", { name: "Update card" })).toBeVisible();
    expect(new URL(page.url()).origin).toBe(emulator);
    await page.getByLabel("Card number").fill("5555 5555 5555 4444");
    await page.getByLabel("Expiry (MM / YY)").fill("12 / 35");
    await page.getByLabel("CVC").fill("321");
    await page.getByRole("button", { name: "Update card" }).click();
    await expect(page.getByText("Your card was updated.")).toBeVisible();
    await page.getByRole("link", { name: "Return" }).click();
    await expect(page).toHaveURL(/\/account\/subscriptions$/);
    await row.getByRole("button", { name: de["subscriptions.payNow"] }).click();
    await expect(page.getByText(de["subscriptions.paid"])).toBeVisible();
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "active");
    await expect(row.locator("[data-entitled]")).toHaveAttribute("data-entitled", "yes");
    await row.getByText(de["subscriptions.invoices"]).click();
    await expect(row.locator('[data-invoice-status="paid"]')).toHaveCount(2);
    for (const amount of await row.locator("td[data-amount-minor]").all()) {
      expect(await amount.getAttribute("data-amount-minor")).toMatch(/^\d+$/);
      expect(await amount.getAttribute("data-currency")).toBe("EUR");
    }
  });

  await test.step("cancel at period end: entitled until exactly the period end, then not", async () => {
    // The account's "Kündigen" opens the § 312k cancel page filled in (issue 6): "Jetzt kündigen".
    await row.locator("a[data-cancel-subscription]").click();
    await expect(page.getByRole("heading", { name: de["rights.cancel.title"] })).toBeVisible();
    await page.getByRole("button", { name: de["rights.cancel.button"] }).click();
    await expect(page.getByRole("heading", { name: de["rights.cancel.done.title"] })).toBeVisible();
    await expect(async () => {
      await visit(page, member, "/account/subscriptions");
      await expect(row.locator("[data-cancel-at-period-end]")).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    const end = await periodEnd();
    await moveClockTo(emulator, new Date(end.getTime() - 60_000));
    await visit(page, member, "/account/subscriptions");
    await expect(row.locator("[data-entitled]")).toHaveAttribute("data-entitled", "yes");
    await moveClockTo(emulator, new Date(end.getTime() + 1_000));
    await visit(page, member, "/account/subscriptions");
    await expect(row.locator("[data-entitled]")).toHaveAttribute("data-entitled", "no");
    // Stripe's cancellation arrives as a webhook and ends the subscription in Kiln too.
    await expect(async () => {
      await page.reload();
      await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "canceled", { timeout: 1_000 });
    }).toPass({ timeout: 45_000 });
    await expect(row.locator("[data-entitled]")).toHaveAttribute("data-entitled", "no");
  });

  expect(checked).toBeGreaterThan(20);
  expect(leaks, "no secret reaches the browser").toEqual([]);
});
