import { readFile } from "node:fs/promises";
import { expect, test, type Browser } from "@playwright/test";
import { signedIn as signedInAs } from "./helpers";

/**
 * The reviewer's evidence export (issue 6 item 4) on the demo co-op Harbor Print Collective: the
 * reviewer finds the Californian demo member by email, downloads the pack as JSON (the consent with
 * the exact disclosure shown, the chain proof and its signed checkpoint) and as a PDF, which opens in
 * Chromium's viewer with its pages. Expects the fresh demo database that `pnpm test:e2e` starts.
 */

const signedIn = (browser: Browser, email: string) => signedInAs(browser, email, { acceptDownloads: true });

test("a reviewer exports a member's evidence pack as JSON and as a PDF that opens", async ({ browser }) => {
  const reviewer = await signedIn(browser, "reviewer@harbor.demo");
  await reviewer.goto("/review/harbor-print");
  await reviewer.getByRole("link", { name: "Evidence packs" }).click();
  await expect(reviewer.getByRole("heading", { name: "Evidence packs" })).toBeVisible();
  await reviewer.getByLabel("Member email").fill("member.ca@kiln.demo");
  await reviewer.getByRole("button", { name: "Find" }).click();
  await expect(reviewer.getByRole("heading", { name: "Member member.ca@kiln.demo" })).toBeVisible();

  const [jsonDownload] = await Promise.all([
    reviewer.waitForEvent("download"),
    reviewer.getByRole("link", { name: "Download JSON (verifiable)" }).click(),
  ]);
  const pack = JSON.parse(await readFile(await jsonDownload.path(), "utf8")) as {
    packHash: string;
    member: { email: string };
    consents: Array<{ disclosureText: string; jurisdiction: string }>;
    audit: { entries: unknown[]; checkpoint: { seq: number } | null };
  };
  expect(pack.member.email).toBe("member.ca@kiln.demo");
  expect(pack.consents[0]).toMatchObject({ jurisdiction: "US-CA" });
  expect(pack.consents[0]!.disclosureText.length).toBeGreaterThan(20);
  expect(pack.audit.checkpoint).not.toBeNull();
  expect(pack.audit.entries.length).toBeGreaterThan(0);

  const [pdfDownload] = await Promise.all([
    reviewer.waitForEvent("download"),
    reviewer.getByRole("link", { name: "Download PDF" }).click(),
  ]);
  expect(pdfDownload.suggestedFilename()).toMatch(/^evidence-harbor-print-member-.*\.pdf$/);
  const pdf = await readFile(await pdfDownload.path());
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");

  // The downloaded file, opened in Chromium's PDF viewer: it renders, with its title and pages.
  const viewer = await reviewer.context().newPage();
  await viewer.route("**/opened-pack.pdf", (route) =>
    route.fulfill({ status: 200, contentType: "application/pdf", body: pdf }),
  );
  await viewer.goto("/opened-pack.pdf");
  await expect.poll(() => viewer.frames().some((f) => f.url().startsWith("chrome-extension://"))).toBe(true);
  const frame = viewer.frames().find((f) => f.url().startsWith("chrome-extension://"))!;
  await expect(frame.locator("#title").first()).toContainText("Evidence pack");
  await expect.poll(async () => Number(await frame.locator("#pagelength").first().innerText())).toBeGreaterThan(1);
});
