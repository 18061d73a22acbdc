import { expect, type Browser, type BrowserContextOptions, type Page } from "@playwright/test";

/** Shared steps of the browser journeys: the demo password, signing in, the emulator's test controls. */
export const DEMO_PASSWORD = "kiln-demo-2026";

/** Signs `page` in through the login form as a demo account. */
export async function signIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
}

/** A fresh browser context signed in as `email` (`prepare` runs before the first request, e.g. to watch responses). */
export async function signedIn(
  browser: Browser,
  email: string,
  options: BrowserContextOptions = {},
  prepare?: (page: Page) => Promise<void> | void,
): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await prepare?.(page);
  await signIn(page, email);
  return page;
}

/** Calls the Stripe emulator's test controls (`/_emulator…`) at `origin`. */
export async function emulatorCall<T>(
  origin: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${origin}/_emulator${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`emulator ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
