import { describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { listExperiments, type UpliftReport } from "@kiln/personalization";
import { createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { testIp, testRequest, testServices, callRoute, type RouteModule } from "../../app/app/testing/context";
import * as coopPage from "../../app/app/routes/coop.$coopSlug.personalization";
import * as studioPage from "../../app/app/routes/studio.$creatorSlug.personalization";
import { getTestRuntime } from "../setup/runtime";
import { createOffersShop } from "./offers-world";

/** The co-op admin's weights form and the creator's per-version report (decision 021). */
const rt = await getTestRuntime("2026-12-08T10:00:00Z");
const services = testServices(rt);

const call = (route: RouteModule, kind: "loader" | "action", request: Request, params: Record<string, string> = {}) =>
  callRoute(services, route, kind, request, params);
const tokenFor = async (email: string) =>
  (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;

/** Every message of a Conform reply (form-level and per field). */
const messagesOf = (body: unknown) =>
  Object.values((body as { error?: Record<string, string[] | null> }).error ?? {}).flatMap((m) => m ?? []);

describe("co-op admin: experiment weights", () => {
  it("shows the versions, refuses bad input with a message and changes nothing, starts a version on a good one", async () => {
    const shop = await createOffersShop(rt, { offers: 1 });
    const path = `/coop/${shop.coop.slug}/personalization`;
    const params = { coopSlug: shop.coop.slug };
    const token = await tokenFor(shop.admin.email);
    const submit = (form: Record<string, string>) =>
      call(
        coopPage,
        "action",
        testRequest(path, { sessionToken: token, form: { intent: "weights", ...form } }),
        params,
      );

    const page = await call(coopPage, "loader", testRequest(path, { sessionToken: token }), params);
    expect(page.status).toBe(200);
    expect((page.body as { experiments: unknown[] }).experiments).toEqual([
      expect.objectContaining({
        version: 1,
        current: true,
        stored: false,
        weights: { device: 45, server: 45, holdout: 10 },
      }),
    ]);

    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ device: "60", server: "45", holdout: "10" }, /add up to 100 % \(they add up to 115 %\)/],
      [{ device: "45.5", server: "44.5", holdout: "10" }, /On device: enter a whole number from 0 to 100/],
      [{ device: "abc", server: "90", holdout: "10" }, /On device: enter a whole number from 0 to 100/],
      [{ device: "", server: "90", holdout: "10" }, /On device: enter a whole number from 0 to 100/],
      [{ device: "0", server: "0", holdout: "100" }, /At least one personalised arm/],
      [{ device: "49", server: "49", holdout: "2" }, /too small to measure uplift/],
      [{ device: "50", server: "50", holdout: "0" }, /uplift cannot be measured: confirm/],
      [{ device: "45", server: "45", holdout: "10" }, /Version 1 already runs with these weights: nothing was changed/],
    ];
    for (const [form, message] of cases) {
      const refused = await submit(form);
      expect(refused.status, JSON.stringify(form)).toBeGreaterThanOrEqual(400);
      expect(messagesOf(refused.body).join(" | "), JSON.stringify(form)).toMatch(message);
    }
    expect((await listExperiments(rt, shop.adminCtx)).map((e) => e.stored)).toEqual([false]);

    // Holdout 0 with the confirmation ticked: version 2, a toast, the page shows the warning data.
    const saved = await submit({ device: "50", server: "50", holdout: "0", noHoldout: "on" });
    expect(saved.status).toBe(302);
    expect(saved.headers.get("Location")).toBe(path);
    const after = await call(coopPage, "loader", testRequest(path, { sessionToken: token }), params);
    expect(
      (after.body as { experiments: Array<{ version: number; current: boolean; weights: unknown }> }).experiments.map(
        (e) => [e.version, e.current, e.weights],
      ),
    ).toEqual([
      [2, true, { device: 50, server: 50, holdout: 0 }],
      [1, false, { device: 45, server: 45, holdout: 10 }],
    ]);

    // Not a co-op admin: 404, nothing changes.
    const owner = await tokenFor(shop.owner.email);
    const refused = await call(
      coopPage,
      "action",
      testRequest(path, {
        sessionToken: owner,
        form: { intent: "weights", device: "40", server: "40", holdout: "20" },
      }),
      params,
    );
    expect(refused.status).toBe(404);
    expect((await listExperiments(rt, shop.adminCtx)).map((e) => e.version)).toEqual([2, 1]);

    // The creator's screen: the current version by default, an earlier one with ?version=, 404 otherwise.
    const studio = `/studio/${shop.creator.slug}/personalization`;
    const sParams = { creatorSlug: shop.creator.slug };
    const current = await call(studioPage, "loader", testRequest(studio, { sessionToken: owner }), sParams);
    expect(current.status).toBe(200);
    const report = (current.body as { report: UpliftReport }).report;
    expect(report.experiment).toMatchObject({ version: 2, current: true, measurable: false });
    expect(report.versions.map((v) => v.version)).toEqual([2, 1]);
    const earlier = await call(
      studioPage,
      "loader",
      testRequest(`${studio}?version=1`, { sessionToken: owner }),
      sParams,
    );
    expect((earlier.body as { report: UpliftReport }).report.experiment).toMatchObject({ version: 1, current: false });
    for (const bad of ["3", "0", "abc", "-1"]) {
      const missing = await call(
        studioPage,
        "loader",
        testRequest(`${studio}?version=${bad}`, { sessionToken: owner }),
        sParams,
      );
      expect(missing.status, bad).toBe(404);
    }
    const stranger = await createUser(rt);
    const notTeam = await call(
      studioPage,
      "loader",
      testRequest(studio, { sessionToken: await tokenFor(stranger.email) }),
      sParams,
    );
    expect(notTeam.status).toBe(404);
  });
});
