import { randomUUID } from "node:crypto";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { de } from "../../app/app/i18n/de";
import { en } from "../../app/app/i18n/en";
import { emulatorCall, signedIn } from "./helpers";

/**
 * The cancel button journey (issue 6 acceptance, § 312k BGB): the demo member in Germany
 * (member@kiln.demo, German) subscribes to a new DE tier of Inkwell Studio through the real order
 * flow, then — logged out, in a fresh browser — cancels it through the footer link of the tier page
 * in two steps, sees the declaration with date and time, downloads it as a PDF and gets the
 * confirmation email in the dev mailbox. An unknown email gets the same page and no email.
 *
 * How steps are counted (the same way for both journeys): every click that submits a form or follows
 * a link to the next page of the journey is one step; typing into fields and ticking consent boxes
 * are not steps (they happen on a page, they do not move the journey on). Sign-up = "continue" on
 * the tier page → "Save card" on setup Checkout → the order button = 3. Cancel = the footer link →
 * "Jetzt kündigen" = 2. The assertion is cancelSteps ≤ signUpSteps (X-X5, X-X8).
 */

const MEMBER_DE = "member@kiln.demo";

/** Inkwell Studio (payments set up through Stripe's hosted onboarding unless done already) gets a new DE tier, approved and live. */
async function liveDeTier(browser: Browser, tierName: string): Promise<string> {
  const creator = await signedIn(browser, "inkwell@riverside.demo");
  await creator.goto("/studio/inkwell-studio");
  const start = creator.getByRole("button", { name: en["connect.start"] });
  if (await start.count()) {
    await start.click();
    await creator.getByRole("button", { name: "Complete onboarding" }).click();
    await expect(creator).toHaveURL(/\/studio\/inkwell-studio$/);
  }
  await expect(async () => {
    await creator.reload();
    await expect(creator.locator('[data-connect-status="enabled"]')).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });

  await creator.goto("/studio/inkwell-studio/tiers");
  await creator.getByLabel(en["tiers.name"], { exact: true }).fill(tierName);
  await creator.getByRole("checkbox", { name: "DE", exact: true }).check();
  await creator.getByRole("button", { name: en["tiers.create"] }).click();
  await expect(creator).toHaveURL(/\/studio\/inkwell-studio\/tiers\/[0-9a-f-]{36}$/);
  const tierPath = new URL(creator.url()).pathname;
  await creator.getByLabel(en["terms.productDescription"]).fill("Monthly zine, early access to every drop.");
  await creator.getByLabel(en["terms.amount"]).fill("9.00");
  await creator.getByLabel(en["terms.traderAddress"]).fill("Inkwell Studio, Hauptstraße 1, 10115 Berlin");
  await creator.getByLabel(en["terms.traderEmail"]).fill("hello@inkwell.example");
  await creator.getByRole("button", { name: en["tiers.saveDraft"] }).click();
  await expect(creator.getByText(en["tiers.saved"])).toBeVisible();
  await creator.getByRole("button", { name: en["tiers.submit"] }).click();
  await expect(creator.getByText(en["tiers.submitted"])).toBeVisible();

  const reviewer = await signedIn(browser, "reviewer@riverside.demo");
  await reviewer.goto("/review/riverside-makers");
  await reviewer.getByRole("link", { name: new RegExp(tierName) }).click();
  await reviewer.getByRole("button", { name: de["review.approve"], exact: true }).click();
  await expect(reviewer.getByText(de["review.saved"])).toBeVisible();
  await reviewer.context().close();

  await creator.goto(tierPath);
  await creator.getByRole("button", { name: en["tiers.publish"] }).click();
  await expect(creator.getByText(en["tiers.isLive"])).toBeVisible();
  await creator.context().close();
  return tierPath.split("/").pop()!;
}

/**
 * The member subscribes through the real order flow. Returns the steps it took (continue → Save card
 * → order button), the emulator's origin (its hosted Checkout page) and the subscription's id.
 */
async function subscribe(browser: Browser, member: string, tierId: string, tierName: string) {
  const page = await signedIn(browser, member);
  let steps = 0;
  await page.goto(`/s/inkwell-studio/tiers/${tierId}`);
  await page.getByRole("button", { name: de["order.continue"] }).click();
  steps++;
  await expect(page.getByRole("button", { name: "Save card" })).toBeVisible();
  const emulator = new URL(page.url()).origin;
  await page.getByLabel("Card number").fill("4242 4242 4242 4242");
  await page.getByLabel("Expiry (MM / YY)").fill("12 / 34");
  await page.getByLabel("CVC").fill("123");
  await page.getByRole("button", { name: "Save card" }).click();
  steps++;
  await expect(page.locator("[data-disclosure-block]")).toBeVisible();
  await page.locator('[data-consent="auto-renew"]').check();
  const express = page.locator('[data-consent="express-start"]');
  if (await express.count()) await express.check();
  await page.locator("[data-order-button]").click();
  steps++;
  await expect(page).toHaveURL(/\/account\/subscriptions$/);
  const row = page.locator("li[data-subscription]").filter({ hasText: tierName });
  await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "active");
  const subscriptionId = (await row.getAttribute("data-subscription"))!;
  await page.context().close();
  return { steps, emulator, subscriptionId };
}

/** Moves the emulator's clock (and so Kiln's) to `target`. */
async function moveClockTo(origin: string, target: Date) {
  const { now } = await emulatorCall<{ now: number }>(origin, "GET", "/clock");
  const seconds = Math.floor(target.getTime() / 1000) - now;
  if (seconds > 0) await emulatorCall(origin, "POST", "/clock/advance", { seconds });
}

/** Noon in Berlin (the co-op's time zone) on the calendar day `days` after the Berlin day of `from`. */
function berlinNoon(from: Date, days: number): Date {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(from)
      .map((p) => [p.type, p.value]),
  );
  const utcNoon = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + days, 12));
  const offset = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", timeZoneName: "longOffset" })
    .formatToParts(utcNoon)
    .find((p) => p.type === "timeZoneName")!.value; // "GMT+01:00"
  const [, sign, hh, mm] = /GMT([+-])(\d\d):(\d\d)/.exec(offset) ?? ["", "+", "00", "00"];
  const minutes = (Number(hh) * 60 + Number(mm)) * (sign === "-" ? -1 : 1);
  return new Date(utcNoon.getTime() - minutes * 60_000);
}

/** The withdrawal function, logged out: name, contract number, email → "Widerruf bestätigen". */
async function withdraw(page: Page, tierId: string, subscriptionId: string) {
  await page.goto(`/s/inkwell-studio/tiers/${tierId}`);
  await page.locator("footer a[data-entry=withdraw]").click();
  await expect(page.getByRole("heading", { name: de["rights.withdraw.title"] })).toBeVisible();
  await page.getByLabel(de["rights.withdraw.name"]).fill("Mia Mitglied");
  await page.getByLabel(de["rights.withdraw.order"]).fill(subscriptionId);
  await page.getByLabel(de["rights.withdraw.email"]).fill(MEMBER_DE);
  await page.getByRole("button", { name: de["rights.withdraw.button"] }).click();
}

test("a DE member, logged out, cancels through the footer link in two steps; an unknown email gets the same page and no email", async ({
  browser,
}) => {
  test.setTimeout(360_000);
  const tierName = `Rights Circle ${Date.now().toString(36)}`;
  const member = MEMBER_DE;

  let tierId = "";
  await test.step("the creator has payments set up, creates a DE tier; the reviewer approves it; it is published", async () => {
    tierId = await liveDeTier(browser, tierName);
  });
  let signUpSteps = 0;
  await test.step("the member subscribes (counted: continue → Save card → order button)", async () => {
    signUpSteps = (await subscribe(browser, member, tierId, tierName)).steps;
  });

  // Logged out, in German (the member's language), on the tier page where signing up is possible.
  const visitor = await (await browser.newContext({ locale: "de-DE", acceptDownloads: true })).newPage();
  let cancelSteps = 0;
  let receivedAt = "";
  await test.step("logged out: the footer link → the one cancel page → 'Jetzt kündigen'", async () => {
    await visitor.goto(`/s/inkwell-studio/tiers/${tierId}`);
    await expect(visitor.getByRole("button", { name: "Sign out" })).toHaveCount(0);
    const link = visitor.locator("footer a[data-entry=cancel]");
    await expect(link).toHaveText(de["rights.cancel.link"]);
    await link.click();
    cancelSteps++;
    await expect(visitor).toHaveURL(/\/cancel\?creator=inkwell-studio$/);
    await expect(visitor.getByRole("heading", { name: de["rights.cancel.title"] })).toBeVisible();
    await expect(visitor.locator('input[type="password"]')).toHaveCount(0);
    await visitor.getByLabel(de["rights.cancel.name"]).fill("Mia Mitglied");
    await visitor.getByLabel(de["rights.cancel.email"]).fill(member);
    await visitor.getByRole("button", { name: de["rights.cancel.button"] }).click();
    cancelSteps++;
    await expect(visitor.getByRole("heading", { name: de["rights.cancel.done.title"] })).toBeVisible();
    receivedAt = (await visitor.locator("[data-received-at]").getAttribute("datetime"))!;
    expect(receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await expect(visitor.locator("[data-statement]")).toContainText("Ordentliche Kündigung");
  });

  await test.step("the declaration downloads as a PDF with date and time", async () => {
    const [download] = await Promise.all([
      visitor.waitForEvent("download"),
      visitor.locator('[data-receipt="pdf"]').click(),
    ]);
    const file = await download.path();
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    const text = await visitor.request.get(`${(await visitor.locator('[data-receipt="text"]').getAttribute("href"))!}`);
    expect(await text.text()).toContain(receivedAt);
  });

  expect(cancelSteps).toBe(2);
  expect(cancelSteps).toBeLessThanOrEqual(signUpSteps);

  await test.step("the confirmation email arrives with the declaration, receipt time and end date", async () => {
    // Other journeys in the same run may have sent this member a cancellation confirmation too: the
    // one for this declaration is the mail that carries its receipt time.
    const mails = visitor
      .getByRole("row")
      .filter({ hasText: member })
      .filter({ hasText: "Ihre Kündigung ist eingegangen" })
      .getByRole("link");
    let found = "";
    await expect(async () => {
      await visitor.goto("/dev/mail");
      await expect(mails.first()).toBeVisible({ timeout: 1_000 });
      for (const href of await mails.evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""))) {
        const text = await (await visitor.request.get(href)).text();
        if (text.includes(receivedAt)) found = href;
      }
      expect(found).not.toBe("");
    }).toPass({ timeout: 45_000 });
    await visitor.goto(found);
    await expect(visitor.getByText(receivedAt).first()).toBeVisible();
    await expect(visitor.getByText(/endet am/).first()).toBeVisible();
  });

  await test.step("an unknown email gets the same page and no email", async () => {
    const stranger = `nobody-${randomUUID().slice(0, 8)}@example.test`;
    await visitor.goto(`/s/inkwell-studio/tiers/${tierId}`);
    await visitor.locator("footer a[data-entry=cancel]").click();
    await visitor.getByLabel(de["rights.cancel.name"]).fill("Niemand");
    await visitor.getByLabel(de["rights.cancel.email"]).fill(stranger);
    await visitor.getByRole("button", { name: de["rights.cancel.button"] }).click();
    await expect(visitor.getByRole("heading", { name: de["rights.cancel.done.title"] })).toBeVisible();
    await expect(visitor.getByText(de["rights.cancel.done.body"])).toBeVisible();
    // Give the mail job the time it took for the real one, then look: nothing to the stranger.
    await visitor.waitForTimeout(3_000);
    await visitor.goto("/dev/mail");
    await expect(visitor.getByRole("row").filter({ hasText: stranger })).toHaveCount(0);
  });

  let subscriptionId = "";
  await test.step("the member's account shows the subscription ending at the period end", async () => {
    const page = await signedIn(browser, member);
    const row = page.locator("li[data-subscription]").filter({ hasText: tierName });
    // The Stripe step runs right after the answer (same timing for every declaration): reload until done.
    await expect(async () => {
      await page.goto("/account/subscriptions");
      await expect(row.locator("[data-cancel-at-period-end]")).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    subscriptionId = (await row.getAttribute("data-subscription"))!;
  });

  await test.step("logged out, within 14 days: the footer's withdrawal function → 'Widerruf bestätigen' → acknowledgment", async () => {
    await visitor.goto(`/s/inkwell-studio/tiers/${tierId}`);
    const link = visitor.locator("footer a[data-entry=withdraw]");
    await expect(link).toHaveText(de["rights.withdraw.link"]);
    await link.click();
    await expect(visitor.getByRole("heading", { name: de["rights.withdraw.title"] })).toBeVisible();
    await visitor.getByLabel(de["rights.withdraw.name"]).fill("Mia Mitglied");
    await visitor.getByLabel(de["rights.withdraw.order"]).fill(subscriptionId);
    await visitor.getByLabel(de["rights.withdraw.email"]).fill(member);
    await visitor.getByRole("button", { name: de["rights.withdraw.button"] }).click();
    await expect(visitor.getByRole("heading", { name: de["rights.withdraw.done.title"] })).toBeVisible();
    const withdrawnAt = (await visitor.locator("[data-received-at]").getAttribute("datetime"))!;
    const mail = visitor
      .getByRole("row")
      .filter({ hasText: member })
      .filter({ hasText: "Ihr Widerruf ist eingegangen" })
      .getByRole("link")
      .first();
    await expect(async () => {
      await visitor.goto("/dev/mail");
      await expect(mail).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 45_000 });
    await mail.click();
    await expect(visitor.getByText(withdrawnAt).first()).toBeVisible();
    await expect(visitor.getByText("Hiermit widerrufe ich meinen Vertrag.").first()).toBeVisible();
  });
});

test("an EU member withdraws on the last day of the 14 (a service: from conclusion) and cannot the day after", async ({
  browser,
}) => {
  test.setTimeout(360_000);
  const stamp = Date.now().toString(36);
  const tierA = await liveDeTier(browser, `Day Fourteen ${stamp}`);
  const tierB = await liveDeTier(browser, `Day Fifteen ${stamp}`);
  const a = await subscribe(browser, MEMBER_DE, tierA, `Day Fourteen ${stamp}`);
  const b = await subscribe(browser, MEMBER_DE, tierB, `Day Fifteen ${stamp}`);
  const { now } = await emulatorCall<{ now: number }>(a.emulator, "GET", "/clock");
  const concluded = new Date(now * 1000);
  // Day 14 in the co-op's zone; a Saturday or Sunday end moves to the Monday (Reg. 1182/71 art 3(4)).
  let lastDay = 14;
  const weekday = berlinNoon(concluded, 14).getUTCDay();
  if (weekday === 6) lastDay = 16;
  if (weekday === 0) lastDay = 15;
  const visitor = await (await browser.newContext({ locale: "de-DE" })).newPage();

  await test.step(`day ${lastDay} (the last day): the withdrawal is accepted`, async () => {
    await moveClockTo(a.emulator, berlinNoon(concluded, lastDay));
    await withdraw(visitor, tierA, a.subscriptionId);
    await expect(visitor.getByRole("heading", { name: de["rights.withdraw.done.title"] })).toBeVisible();
  });

  await test.step(`day ${lastDay + 1}: the period has ended; nothing is withdrawn`, async () => {
    await moveClockTo(a.emulator, berlinNoon(concluded, lastDay + 1));
    await withdraw(visitor, tierB, b.subscriptionId);
    await expect(visitor.getByRole("heading", { name: de["rights.withdraw.closed.title"] })).toBeVisible();
    const page = await signedIn(browser, MEMBER_DE);
    await page.goto("/account/subscriptions");
    const row = page.locator(`li[data-subscription="${b.subscriptionId}"]`);
    await expect(row.locator("[data-status]")).toHaveAttribute("data-status", "active");
    await page.context().close();
  });
});
