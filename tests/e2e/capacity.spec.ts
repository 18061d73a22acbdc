import { expect, test, type Page } from "@playwright/test";
import { signedIn } from "./helpers";

/**
 * The capacity journey (issue 7) on the demo co-op Harbor Print Collective (English accounts): the
 * admin adds a risograph factory and this week's windows (the new factory and the demo's Oakland Print
 * Shop), two creators request more than fits, the admin runs the allocation in the background (the
 * server's pg-boss worker; the page shows its progress), compares both plans and locks the fair one;
 * the creator sees the allocation with its explanation; Oakland's operator sees the batch placed at
 * Oakland and nothing of the new factory, marks it started and shipped and downloads the CSV; the admin
 * then sees the lead-time charts per factory, per creator and per batch. It expects the fresh demo
 * database `pnpm test:e2e` starts (the demo has no risograph requests), in whatever week Kiln's clock is.
 */

const formWithIntent = (page: Page, intent: string) =>
  page.locator("form").filter({ has: page.locator(`input[name="intent"][value="${intent}"]`) });

test("admin adds a factory and a window, creators request, admin runs, compares and locks; creator and operator see it", async ({
  browser,
}) => {
  // Risograph: the demo's Oakland Print Shop has it too, so the run spreads over both factories and
  // Oakland's operator gets a batch of this journey (whatever week the clock is in).
  const capability = "risograph";
  const factoryName = `Berkeley Riso Lab ${Date.now().toString(36).slice(-4)}`;
  const admin = await signedIn(browser, "admin@harbor.demo");

  await test.step("the admin registers a factory and this week's risograph capacity at both factories", async () => {
    await admin.goto("/coop/harbor-print/capacity");
    await expect(admin.getByRole("heading", { name: "Capacity pool: Harbor Print Collective" })).toBeVisible();
    const factory = formWithIntent(admin, "factory");
    await factory.getByLabel("Name").fill(factoryName);
    await factory.getByLabel("Location").fill("Berkeley, CA, US");
    await factory.getByLabel("Capabilities").fill(capability);
    await factory.getByLabel("Standard lead time (days)").fill("3");
    await factory.getByLabel("Cost per capacity unit (cents)").fill("500");
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
    const windows = admin.getByRole("region", { name: /^Capacity in / });
    await expect(
      windows.getByRole("row").filter({ hasText: factoryName }).filter({ hasText: capability }),
    ).toContainText("40");
    // Oakland's risograph window in the same week: 20 units (60 creators ask for 80 in all).
    await formWithIntent(admin, "window").getByLabel("Factory").selectOption({ label: "Oakland Print Shop" });
    await formWithIntent(admin, "window").getByLabel("Capability").fill(capability);
    await formWithIntent(admin, "window").getByLabel("Units").fill("20");
    await formWithIntent(admin, "window").getByRole("button", { name: "Save" }).click();
    await expect(
      windows.getByRole("row").filter({ hasText: "Oakland Print Shop" }).filter({ hasText: capability }),
    ).toContainText("20");
  });

  for (const [email, units] of [
    ["tidewater@harbor.demo", "40"],
    ["fogline@harbor.demo", "40"],
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
      const mine = creator.getByRole("region", { name: "Your requests" });
      await expect(mine.getByRole("row").filter({ hasText: capability })).toContainText(units);
      await creator.context().close();
    });
  }

  await test.step("the admin runs the allocation in the background (pg-boss) and watches its progress", async () => {
    await admin.goto("/coop/harbor-print/capacity");
    // The factory, its window and the two requests.
    await expect(
      admin
        .getByRole("region", { name: /^Requests for / })
        .getByRole("row")
        .filter({ hasText: capability }),
    ).toHaveCount(2);
    const run = formWithIntent(admin, "run");
    await run.getByLabel("Run in the background").check();
    await run.getByRole("button", { name: "Run allocation" }).click();
    // The server's pg-boss worker computes it; the page polls the job's stage and percent.
    const jobs = admin.getByRole("region", { name: "Background runs" });
    await expect(jobs.getByRole("progressbar", { name: "Progress" })).toBeVisible();
    await expect(jobs.getByText(/done · finished/)).toBeVisible({ timeout: 45_000 });
    await expect(jobs.getByRole("progressbar", { name: "Progress" })).toHaveAttribute("value", "100");
    // The list may re-render under the pointer while the page polls: click until the run page opens.
    const open = jobs.getByRole("link", { name: "Open the run" });
    await expect(async () => {
      if (!/\/capacity\/runs\//.test(admin.url())) await open.click({ timeout: 2_000 });
      await expect(admin).toHaveURL(/\/capacity\/runs\//, { timeout: 3_000 });
    }).toPass({ timeout: 20_000 });
  });

  await test.step("the admin compares both plans and locks the fair one", async () => {
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
      creator.getByText(`You got 30 of the 40 ${capability} units you asked for`, { exact: false }),
    ).toBeVisible();
    await expect(
      creator.getByText(
        "Capacity bound you: primary capacity for risograph was 60 units for 2 requests, and your weighted fair share was 30 units.",
      ),
    ).toBeVisible();
    await creator.context().close();
  });

  await test.step("the operator of Oakland Print Shop sees the batch at their factory only", async () => {
    // Tidewater (submitted first) is placed first, at the cheaper Oakland (20) and 10 at Berkeley;
    // Fogline's 30 all go to Berkeley, which Oakland's operator does not see.
    const operator = await signedIn(browser, "factory@harbor.demo");
    await operator.goto("/home");
    await expect(operator.getByRole("heading", { name: "Factory: Oakland Print Shop" })).toBeVisible();
    const work = operator.getByRole("table").first();
    await expect(
      work.getByRole("row").filter({ hasText: "Tidewater Press" }).filter({ hasText: capability }),
    ).toContainText("20");
    await expect(
      work.getByRole("row").filter({ hasText: "Fogline Goods" }).filter({ hasText: capability }),
    ).toHaveCount(0);

    // The operator marks the batch started, then shipped, and downloads the factory's work as CSV.
    const batch = () => work.getByRole("row").filter({ hasText: "Tidewater Press" }).filter({ hasText: capability });
    await batch().getByRole("button", { name: "Production started" }).click();
    await expect(batch().getByText(/started /)).toBeVisible();
    await batch().getByRole("button", { name: "Shipped" }).click();
    await expect(batch().getByText(/shipped /)).toBeVisible();
    const csvLink = operator.getByRole("link", { name: "Download as CSV" });
    const csv = await operator.request.get((await csvLink.getAttribute("href"))!);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe("window,capability,creator,units,ship_by,started_at,shipped_at,batch_id");
    expect(text).toMatch(/,risograph,Tidewater Press,20,\d{4}-\d{2}-\d{2},\d{4}-.+Z,\d{4}-.+Z,/);
    await operator.context().close();
  });

  await test.step("the admin sees lead times per factory, per creator and per batch, as charts and tables", async () => {
    await admin.goto("/coop/harbor-print/capacity");
    const leadTimes = admin.getByRole("region", { name: "Lead times" });
    for (const [group, chart] of [
      ["By factory", "Mean lead time per factory"],
      ["By creator", "Mean lead time per creator"],
      ["Per batch: promised vs actual", "Actual lead time per shipped batch"],
    ] as const) {
      const figure = leadTimes.getByRole("figure", { name: group });
      await expect(figure.getByRole("img", { name: new RegExp(chart) })).toBeVisible();
      await expect(figure.getByRole("table")).toBeVisible();
    }
    const byCreator = leadTimes.getByRole("figure", { name: "By creator" });
    await expect(byCreator.getByRole("rowheader", { name: "Tidewater Press" })).toBeVisible();
    await expect(byCreator.getByRole("row").filter({ hasText: "Tidewater Press" })).toContainText("100 %");
    await expect(
      leadTimes.getByRole("figure", { name: "By factory" }).getByRole("rowheader", { name: "Oakland Print Shop" }),
    ).toBeVisible();
    await expect(
      leadTimes.getByRole("figure", { name: "Per batch: promised vs actual" }).getByRole("row").filter({
        hasText: "Tidewater Press",
      }),
    ).toContainText("Oakland Print Shop");
  });
  await admin.context().close();
});
