import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { withSystem } from "@kiln/db";
import { DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import * as privacyPage from "../../app/app/routes/account.privacy";
import * as viewsRoute from "../../app/app/routes/api.v1.personalization.views";
import { getTestRuntime } from "../setup/runtime";
import { at, claim, createWorld, drop, product } from "./data-world";

/** The view beacon and the member's privacy page (issue 9 §1): no consent, no stored view. */
const rt = await getTestRuntime("2026-06-01T12:00:00Z");
const services = testServices(rt);

type Route = { loader?: unknown; action?: unknown };
const call = async (route: Route, kind: "loader" | "action", request: Request) => {
  const args = await argsFor(services, request, {});
  return settle(() => (route[kind] as (a: typeof args) => unknown)(args));
};

describe("page-view beacon and privacy page", () => {
  it("refuses views until the member turns sharing on, then stores them; turning it off deletes them", async () => {
    const w = await createWorld(rt);
    const p = await product(rt, w, { tags: ["pastel"] });
    const d = await drop(rt, w, { productId: p, opensAt: at(rt.clock.now(), -5) });
    await claim(rt, w, { dropId: d, memberId: w.member.id, at: at(rt.clock.now(), -1) });
    const { token } = await signIn(rt, {
      email: w.member.email,
      password: DEFAULT_TEST_PASSWORD,
      ip: testIp(),
      userAgent: "test",
    });
    const post = (json: unknown, signedIn = true) =>
      call(
        viewsRoute,
        "action",
        testRequest("/api/v1/personalization/views", { json, ...(signedIn ? { sessionToken: token } : {}) }),
      );
    const stored = () =>
      withSystem(rt, "test", (tx) =>
        tx.execute<{ dwell_ms: number }>(
          sql`select dwell_ms from product_view_events where member_user_id = ${w.member.id}`,
        ),
      ).then((rows) => rows.map((r) => r.dwell_ms));

    expect(await post({ productId: p, dwellMs: 3000 }, false)).toMatchObject({ status: 401 });
    expect(await post({ productId: p, dwellMs: 3000 })).toMatchObject({
      status: 403,
      body: { error: { code: "FORBIDDEN" } },
    });
    expect(await post({ productId: p, dwellMs: "long" })).toMatchObject({ status: 400 });
    // A form post (what a cross-site page could send with the cookie) is refused.
    const form = await call(
      viewsRoute,
      "action",
      testRequest("/api/v1/personalization/views", { form: { productId: p, dwellMs: "1" }, sessionToken: token }),
    );
    expect(form.status).toBe(400);
    expect(await stored()).toEqual([]);

    // The privacy page offers the creator the member claimed from, off by default.
    const page = await call(privacyPage, "loader", testRequest("/account/privacy", { sessionToken: token }));
    const choices = (
      page.body as {
        choices: Array<{ coopId: string; allCreators: boolean; creators: Array<{ id: string; granted: boolean }> }>;
      }
    ).choices;
    const here = choices.find((c) => c.coopId === w.coop.id)!;
    expect(here.allCreators).toBe(false);
    expect(here.creators).toEqual([expect.objectContaining({ id: w.creator.id, granted: false })]);

    const grant = await call(
      privacyPage,
      "action",
      testRequest("/account/privacy", {
        sessionToken: token,
        form: { intent: "grant", coopId: w.coop.id, creatorId: w.creator.id },
      }),
    );
    expect(grant.status).toBe(302);
    expect(await post({ productId: p, dwellMs: 3000 })).toMatchObject({ status: 201 });
    expect(await stored()).toEqual([3000]);

    const bad = await call(
      privacyPage,
      "action",
      testRequest("/account/privacy", { sessionToken: token, form: { intent: "withdraw", coopId: "nope" } }),
    );
    expect(bad.status).toBe(400);
    expect(await stored()).toEqual([3000]);

    const withdraw = await call(
      privacyPage,
      "action",
      testRequest("/account/privacy", {
        sessionToken: token,
        form: { intent: "withdraw", coopId: w.coop.id, creatorId: w.creator.id },
      }),
    );
    expect(withdraw.status).toBe(302);
    expect(await stored()).toEqual([]);
    expect(await post({ productId: p, dwellMs: 3000 })).toMatchObject({ status: 403 });
  });
});
