import { expect, test, type Locator, type Page } from "@playwright/test";
import { signedIn } from "./helpers";

/**
 * The compliance journey (issue 4) on the demo co-op Riverside Makers: Inkwell Studio's owner drafts
 * terms for a new California tier that do not renew automatically, so the order page lacks the
 * renewal disclosure; the studio shows the failing rule (US-CA X-D1), why, how to fix it and the
 * citation, in English and, after switching the profile language, in German. The owner fixes the
 * terms and submits them; Petra Peer, a reviewer who also staffs Inkwell Studio, cannot approve;
 * Rainer Review approves; the owner publishes through the gate. Expects the fresh demo database
 * that `pnpm test:e2e` starts (the tier is new on each run).
 */

const STUDIO = "/studio/inkwell-studio/tiers";

const formWithIntent = (page: Page, intent: string) =>
  page.locator("form").filter({ has: page.locator(`input[name="intent"][value="${intent}"]`) });

/** The findings table row of one rule for one jurisdiction. */
const findingRow = (page: Page, jurisdiction: string, ruleId: string): Locator =>
  page
    .locator("table.findings tr")
    .filter({ has: page.locator("code").getByText(`${jurisdiction} ${ruleId}`, { exact: true }) });

async function setProfileLanguage(page: Page, label: string, value: "en" | "de", save: string) {
  await page.goto("/account");
  await page.getByLabel(label, { exact: true }).selectOption(value);
  await page.getByRole("button", { name: save }).click();
}

test("a creator sees a failing rule in English and German, fixes it; a tied reviewer cannot approve, another does; the tier publishes", async ({
  browser,
}) => {
  const tierName = `Zine Club ${Date.now().toString(36)}`;
  const owner = await signedIn(browser, "inkwell@riverside.demo");
  let tierUrl = "";

  await test.step("the owner creates a tier sold to California", async () => {
    await owner.goto(STUDIO);
    const create = formWithIntent(owner, "create");
    await create.getByLabel("Name").fill(tierName);
    await create.getByLabel("US-CA").check();
    await create.getByRole("button", { name: "Create tier" }).click();
    await expect(owner.getByRole("heading", { name: tierName, level: 1 })).toBeVisible();
    tierUrl = new URL(owner.url()).pathname;
  });

  await test.step("terms that do not renew automatically: the draft fails US-CA X-D1 with why, fix and citation", async () => {
    const terms = formWithIntent(owner, "save");
    await terms.getByLabel("What members get").fill("A risograph zine every month");
    await terms.getByLabel("Price per period (e.g. 9.90)").fill("12.00");
    await terms.getByLabel("Currency").selectOption("USD");
    await terms.getByLabel("Price includes tax").uncheck();
    await terms.getByLabel("Renews automatically").uncheck();
    await terms.getByLabel("Members have a right of withdrawal").uncheck();
    await terms.getByLabel("Members may ask to start within the withdrawal period").uncheck();
    await terms.getByLabel("Trader address").fill("Karl-Heine-Str. 1, 04229 Leipzig, Germany");
    await terms.getByLabel("Trader email").fill("hello@inkwell.example");
    await terms.getByRole("button", { name: "Save draft" }).click();
    await expect(owner.getByText("Draft terms saved.")).toBeVisible();
    const row = findingRow(owner, "US-CA", "X-D1");
    await expect(row).toContainText("Fail");
    await expect(row).toContainText(
      "The order page does not show every required term directly in the disclosure block.",
    );
    await expect(row).toContainText("missing: renewal");
    await expect(row).toContainText("Show each missing element as text inside the disclosure block");
    await expect(row).toContainText("Cal. Bus. & Prof. Code § 17601(b)");
  });

  await test.step("in German, the same finding reads in German with the same rule id and citation", async () => {
    await setProfileLanguage(owner, "Language", "de", "Save profile");
    await expect(owner.getByText("Profil gespeichert.")).toBeVisible();
    await owner.goto(tierUrl);
    await expect(owner.getByRole("heading", { name: "Prüfergebnisse" })).toBeVisible();
    const row = findingRow(owner, "US-CA", "X-D1");
    await expect(row).toContainText("Verletzt");
    await expect(row).toContainText("Die Bestellseite zeigt nicht alle Pflichtangaben direkt im Informationsblock.");
    await expect(row).toContainText("Zeigen Sie jede fehlende Angabe als Text im Informationsblock");
    await expect(row).toContainText("Cal. Bus. & Prof. Code § 17601(b)");
    await setProfileLanguage(owner, "Sprache", "en", "Profil speichern");
    await expect(owner.getByText("Profile saved.")).toBeVisible();
  });

  await test.step("the owner fixes the terms (renews automatically) and submits them", async () => {
    await owner.goto(tierUrl);
    const terms = formWithIntent(owner, "save");
    await terms.getByLabel("Renews automatically").check();
    await terms.getByRole("button", { name: "Save draft" }).click();
    await expect(owner.getByText("Draft terms saved.")).toBeVisible();
    await expect(findingRow(owner, "US-CA", "X-D1")).toHaveCount(0);
    await expect(owner.getByText("Every rule passes.")).toBeVisible();
    await owner.getByRole("button", { name: "Submit for review" }).click();
    await expect(owner.getByText("Terms submitted for review.")).toBeVisible();
    // Not approved yet: the gate names the missing approval and the button stays disabled.
    await expect(owner.getByText("No terms version of this tier is approved by a compliance reviewer.")).toBeVisible();
    await expect(owner.getByRole("button", { name: "Publish tier" })).toBeDisabled();
  });

  const openInQueue = async (reviewer: Page) => {
    await reviewer.goto("/review/riverside-makers");
    await reviewer.getByRole("link", { name: new RegExp(`Inkwell Studio · ${tierName} · v1`) }).click();
    await expect(reviewer.getByRole("heading", { name: `${tierName}: terms version 1` })).toBeVisible();
  };

  await test.step("a reviewer who staffs Inkwell Studio cannot approve its terms", async () => {
    const peer = await signedIn(browser, "peer@riverside.demo");
    await openInQueue(peer);
    await peer.getByRole("button", { name: "Approve" }).click();
    await expect(
      peer.getByText("You work for this creator, so another reviewer must decide on its terms"),
    ).toBeVisible();
    await peer.context().close();
    await owner.goto(tierUrl);
    await expect(owner.getByText("No terms version of this tier is approved by a compliance reviewer.")).toBeVisible();
  });

  await test.step("another reviewer approves", async () => {
    const reviewer = await signedIn(browser, "reviewer@riverside.demo");
    // Rainer's interface is German.
    await reviewer.goto("/review/riverside-makers");
    await reviewer.getByRole("link", { name: new RegExp(`Inkwell Studio · ${tierName} · v1`) }).click();
    await reviewer.getByRole("button", { name: "Freigeben" }).click();
    await expect(reviewer.getByText("Gespeichert.")).toBeVisible();
    await reviewer.context().close();
  });

  await test.step("the owner publishes: the gate passes on the real order page and styles", async () => {
    await owner.goto(tierUrl);
    await expect(owner.getByText("Every check passes: this tier can be published.")).toBeVisible();
    await owner.getByRole("button", { name: "Publish tier" }).click();
    await expect(owner.getByText("Tier published.")).toBeVisible();
    await expect(owner.getByText("This tier is published.")).toBeVisible();
    await owner.goto(STUDIO);
    await expect(owner.getByRole("listitem").filter({ hasText: tierName })).toContainText("Published");
  });

  await test.step("a price change starts version 2; the owner sees the diff with the material change", async () => {
    await owner.goto(tierUrl);
    const terms = formWithIntent(owner, "save");
    await terms.getByLabel("Price per period (e.g. 9.90)").fill("14.00");
    await terms.getByRole("button", { name: "Save draft" }).click();
    await expect(owner.getByText("Draft terms saved.")).toBeVisible();
    const diff = owner.getByTestId("terms-diff");
    await expect(diff.getByRole("heading", { name: "Changes from version 1 to 2" })).toBeVisible();
    await expect(diff).toContainText("Material changes: price");
    await expect(diff.locator("ins").filter({ hasText: "$14.00" }).first()).toBeVisible();
    await expect(diff.locator("del").filter({ hasText: "$12.00" }).first()).toBeVisible();
  });
  await owner.context().close();
});

test("the demo members' consents are on the reviewers' consent search (X-C4 records as the order button writes them)", async ({
  browser,
}) => {
  const riverside = await signedIn(browser, "reviewer@riverside.demo");
  await riverside.goto("/review/riverside-makers/consents");
  // The demo's consent is there (other journeys in the same run may have added more by ordering).
  const de = riverside.getByRole("listitem").filter({ hasText: "Zahlungspflichtig bestellen" });
  await expect(de.first()).toBeVisible();
  expect(await de.count()).toBeGreaterThanOrEqual(1);
  await expect(de.first()).toContainText("DE");
  await riverside.context().close();

  const harbor = await signedIn(browser, "reviewer@harbor.demo");
  await harbor.goto("/review/harbor-print/consents");
  const us = harbor.getByRole("listitem").filter({ hasText: "Order with obligation to pay" });
  await expect(us).toHaveCount(2);
  await expect(us.filter({ hasText: "US-CA" })).toHaveCount(1);
  await expect(us.filter({ hasText: "US-NY" })).toHaveCount(1);
  // Search by the member's email finds only theirs.
  await harbor.getByLabel("Member email").fill("member.ny@kiln.demo");
  await harbor.getByRole("button", { name: "Search" }).click();
  await expect(harbor.getByRole("listitem").filter({ hasText: "Order with obligation to pay" })).toHaveCount(1);
  await expect(harbor.getByRole("listitem").filter({ hasText: "US-NY" })).toHaveCount(1);
  await harbor.context().close();
});
