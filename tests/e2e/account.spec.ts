import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";

/**
 * The first journey (issue 2, item 12): a visitor signs up, confirms the address from the dev
 * mailbox, signs in, lands on the member home and signs out again. Each run uses a new address, so
 * it never depends on earlier runs or on the demo data.
 */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Opens the mail sent to `email` in the dev mailbox (file-only mail, shown in the UI). Mail leaves the
 * outbox through a background job, so — like a person waiting for an email — reload until it is there.
 */
async function openMailTo(page: Page, email: string): Promise<void> {
  const toThisAddress = new RegExp(escapeRegExp(email), "i");
  // The list links each mail to /dev/mail/:id; the address is in the link or in its row.
  const mail = page
    .getByRole("link", { name: toThisAddress })
    .or(page.getByRole("row").filter({ hasText: toThisAddress }).getByRole("link"))
    .or(page.getByRole("listitem").filter({ hasText: toThisAddress }).getByRole("link"))
    .first();
  await expect(async () => {
    await page.goto("/dev/mail");
    await expect(mail).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 45_000 });
  await mail.click();
  await expect(page).toHaveURL(/\/dev\/mail\/[^/]+$/);
}

/** The verification address in the open mail, as a path on this server. */
async function verificationLinkIn(page: Page): Promise<string> {
  const pattern = /(?:https?:\/\/[^\s"'<>]+)?\/verify-email\?token=[^\s"'<>&]+/;
  await expect(
    page
      .getByText(pattern)
      .or(page.getByRole("link", { name: pattern }))
      .first(),
  ).toBeVisible();
  const match = pattern.exec(await page.content());
  expect(match, "the mail contains a /verify-email?token=… link").not.toBeNull();
  const url = new URL(match![0], page.url());
  return `${url.pathname}${url.search}`;
}

test("a visitor signs up, verifies the email, signs in, sees the member home and signs out", async ({ page }) => {
  const email = `e2e-${randomUUID().slice(0, 8)}@example.test`;
  const password = "e2e-Journey-password-2026";
  const name = "Erin Endtoend";

  await test.step("sign up", async () => {
    await page.goto("/signup");
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Sign up" }).click();
    await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  });

  await test.step("follow the verification link from the dev mailbox", async () => {
    await openMailTo(page, email);
    const link = await verificationLinkIn(page);
    await page.goto(link);
    await expect(page.getByRole("heading", { name: "Email verified" })).toBeVisible();
  });

  await test.step("sign in and see the member home", async () => {
    await page.goto("/login");
    await page.getByLabel("Email", { exact: true }).fill(email);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/home$/);
    await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Member home", level: 1 })).toBeVisible();
    await expect(page.getByText(`Welcome, ${name}.`)).toBeVisible();
  });

  await test.step("sign out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
    await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
    // The member home is no longer reachable without signing in again.
    await page.goto("/home");
    await expect(page).toHaveURL(/\/login/);
  });
});
