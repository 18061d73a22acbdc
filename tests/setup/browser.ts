import { chromium, type Browser } from "@playwright/test";

/**
 * Debian's Chromium, launched the way this machine allows (no downloaded browser, no sandbox as
 * root, no background networking on a closed network). Shared by the vitest browser tests; the
 * Playwright e2e config (tests/e2e/playwright.config.ts) uses the same flags.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}
