import { expect, test, type Browser, type Page } from "@playwright/test";

/**
 * The capacity journey (issue 7) on the demo co-op Harbor Print Collective (English accounts): the
 * admin adds a factory and its window, two creators request capacity, the admin runs the allocation,
 * compares both plans and locks one; the creator sees the allocation with its explanation and the
 * demo factory operator sees their factory's batches (the run covers the whole window, including the
 * demo's screenprint requests at Oakland) and nothing of the new factory. The journey adds its own
 * factory and capability; it expects the fresh demo database that `pnpm test:e2e` starts.
 */

const PASSWORD = "kiln-demo-2026";

async function signedIn(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  return page;
}

const formWithIntent = (page: Page, intent: string) =>
  page.locator("form").filter({ has: page.locator(`input[name="intent"][value="${intent}"]`) });

test("admin adds a factory and a window, creators request, admin runs, compares and locks; creator and operator see it", async ({
  browser,
}) => {
  const capability = `emboss-${Date.now().toString(36)}`;
  const factoryName = `Berkeley Emboss ${capability.slice(-4)}`;
  const admin = await signedIn(browser, "admin@harbor.demo");

  await test.step("the admin registers a factory and its capacity for next week", async () => {
    await admin.goto("/coop/harbor-print/capacity");
    await expect(admin.getByRole("heading", { name: "Capacity pool: Harbor Print Collective" })).toBeVisible();
    const factory = formWithIntent(admin, "factory");
    await factory.getByLabel("Name").fill(factoryName);
    await factory.getByLabel("Location").fill("Berkeley, CA, US");
    await factory.getByLabel("Capabilities").fill(capability);
    await factory.getByLabel("Standard lead time (days)").fill("3");
    await factory.getByRole("button", { name: "Add a factory" }).click();
    await expect(admin.getByRole("cell", { name: factoryName })).toBeVisible();

    const window = formWithIntent(admin, "window");
    await window.getByLabel("Factory").selectOption({ label: factoryName });
    await window.getByLabel("Capability").fill(capability);
    // A window that is over is refused by the server with a clear message, and nothing is saved.
    await window.getByLabel("Production window").fill("2020-W01");
    await window.getByLabel("Units").fill("40");
    await window.getByRole("button", { name: "Save" }).click();
    await expect(admin.getByRole("alert").filter({ hasText: "This production window is in the past" })).toBeVisible();
    await admin.goto("/coop/harbor-print/capacity");
    await formWithIntent(admin, "window").getByLabel("Factory").selectOption({ label: factoryName });
    await formWithIntent(admin, "window").getByLabel("Capability").fill(capability);
    await formWithIntent(admin, "window").getByLabel("Units").fill("40");
    await formWithIntent(admin, "window").getByRole("button", { name: "Save" }).click();
    await expect(admin.getByRole("cell", { name: capability })).toBeVisible();
  });

  for (const [email, units] of [
    ["tidewater@harbor.demo", "30"],
    ["fogline@harbor.demo", "30"],
  ] as const) {
    await test.step(`${email} requests ${units} units`, async () => {
      const creator = await signedIn(browser, email);
      await creator.goto(
        email.startsWith("tidewater") ? "/studio/tidewater-press/capacity" : "/studio/fogline-goods/capacity",
      );
      const form = formWithIntent(creator, "request");
      await form.getByLabel("Capability").selectOption(capability);
      await form.getByLabel("Units").fill(units);
      await form.getByRole("button", { name: "Send request" }).click();
      await expect(creator.getByRole("cell", { name: capability })).toBeVisible();
      await creator.context().close();
    });
  }

  await test.step("the admin runs the allocation, compares both plans and locks the fair one", async () => {
    await admin.goto("/coop/harbor-print/capacity");
    // The factory, its window and the two requests.
    await expect(admin.getByRole("cell", { name: capability })).toHaveCount(4);
    await formWithIntent(admin, "run").getByRole("button", { name: "Run allocation" }).click();
    await expect(admin.getByRole("heading", { name: /Allocation run for/ })).toBeVisible();
    await expect(admin.getByRole("heading", { name: "Weighted fair share" })).toBeVisible();
    await expect(admin.getByRole("heading", { name: "Optimal plan (HiGHS)" })).toBeVisible();
    await expect(admin.getByText(/Solver: optimal, MIP gap/)).toBeVisible();
    await admin.getByRole("button", { name: "Lock this plan" }).first().click();
    await expect(admin.getByText("Locked: Weighted fair share")).toBeVisible();
  });

  await test.step("the creator sees the allocation and why", async () => {
    const creator = await signedIn(browser, "tidewater@harbor.demo");
    await creator.goto("/studio/tidewater-press/capacity");
    await expect(
      creator.getByText(`You got 20 of the 30 ${capability} units you asked for`, { exact: false }),
    ).toBeVisible();
    await expect(
      creator.getByText(/Capacity bound you: primary capacity for .* was 40 units for 2 requests/),
    ).toBeVisible();
    await creator.context().close();
  });

  await test.step("the operator of Oakland Print Shop sees the locked batches of their factory only", async () => {
    // The run covers the whole window: the demo's screenprint requests were allocated at Oakland too.
    const operator = await signedIn(browser, "factory@harbor.demo");
    await operator.goto("/home");
    await expect(operator.getByRole("heading", { name: "Factory: Oakland Print Shop" })).toBeVisible();
    const work = operator.getByRole("table").first();
    await expect(
      work.getByRole("row").filter({ hasText: "Tidewater Press" }).filter({ hasText: "screenprint" }),
    ).toBeVisible();
    await expect(work.getByRole("cell", { name: capability })).toHaveCount(0);
    await operator.context().close();
  });
  await admin.context().close();
});
