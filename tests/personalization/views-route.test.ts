import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { withSystem } from "@kiln/db";
import { RateLimiter } from "@kiln/drops";
import { limitViewBeaconByIp, limitViewBeaconByMember, VIEW_BEACON_LIMITS } from "@kiln/personalization";
import { DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import { ErrorResponseSchema } from "../../app/app/api/schemas";
import { ViewRecordedEnvelope } from "../../app/app/api/openapi-personalization";
import * as privacyPage from "../../app/app/routes/account.privacy";
import * as viewsRoute from "../../app/app/routes/api.v1.personalization.views";
import * as openapi from "../../app/app/routes/api.v1.openapi";
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

describe("page-view beacon rate limits", () => {
  it("answers 429 with Retry-After and a JSON error once a member sends too many views; nothing more is stored", async () => {
    const w = await createWorld(rt);
    const p = await product(rt, w, { tags: ["mono"] });
    const consent = (memberId: string) =>
      withSystem(rt, "test", (tx) =>
        tx.execute(sql`insert into personalization_consents (coop_id, member_user_id, granted_at)
          values (${w.coop.id}, ${memberId}, ${rt.clock.now().toISOString()})`),
      );
    await consent(w.member.id);
    await consent(w.otherMember.id);
    const tokenOf = async (email: string) =>
      (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;
    const token = await tokenOf(w.member.email);
    const post = (sessionToken: string) =>
      call(
        viewsRoute,
        "action",
        testRequest("/api/v1/personalization/views", { json: { productId: p, dwellMs: 1500 }, sessionToken }),
      );
    const stored = (memberId: string) =>
      withSystem(rt, "test", (tx) =>
        tx.execute(sql`select 1 from product_view_events where member_user_id = ${memberId}`),
      ).then((rows) => rows.length);

    const limit = VIEW_BEACON_LIMITS.member.limit;
    for (let i = 0; i < limit; i++) {
      const ok = await post(token);
      expect(ok.status).toBe(201);
      // The 201 body is what the OpenAPI document says.
      expect(ViewRecordedEnvelope.safeParse(ok.body).success).toBe(true);
    }
    const limited = await post(token);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(ErrorResponseSchema.safeParse(limited.body).success).toBe(true);
    expect(limited.body).toEqual({
      error: {
        code: "RATE_LIMITED",
        message: `Too many page views reported for your account: at most ${limit} a minute. Try again in ${retryAfter} s.`,
      },
    });
    expect(await stored(w.member.id)).toBe(limit);

    // Another member behind the same address is not held back by this member's limit.
    expect((await post(await tokenOf(w.otherMember.email))).status).toBe(201);
    expect(await stored(w.otherMember.id)).toBe(1);
  });

  it("limits per member and per address in fixed windows, then lets them through again", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    const code = (run: () => void) => {
      try {
        run();
        return "ok";
      } catch (error) {
        return (error as { code: string; retryAfterSeconds: number }).code;
      }
    };
    for (let i = 0; i < VIEW_BEACON_LIMITS.ip.limit; i++) limitViewBeaconByIp("198.51.100.4", limiter);
    expect(code(() => limitViewBeaconByIp("198.51.100.4", limiter))).toBe("RATE_LIMITED");
    expect(code(() => limitViewBeaconByIp("198.51.100.5", limiter))).toBe("ok");
    expect(code(() => limitViewBeaconByIp(null, limiter))).toBe("ok"); // no address known: member limit only
    expect(() => limitViewBeaconByIp("198.51.100.4", limiter)).toThrow(
      /^Too many page views reported from your network address: at most 600 a minute\. Try again in 60 s\.$/,
    );
    now += VIEW_BEACON_LIMITS.ip.windowMs;
    expect(code(() => limitViewBeaconByIp("198.51.100.4", limiter))).toBe("ok");

    for (let i = 0; i < VIEW_BEACON_LIMITS.member.limit; i++) limitViewBeaconByMember("m-1", limiter);
    expect(code(() => limitViewBeaconByMember("m-1", limiter))).toBe("RATE_LIMITED");
    expect(code(() => limitViewBeaconByMember("m-2", limiter))).toBe("ok");
  });

  it("is in the OpenAPI document with its body, its responses and the 429 with Retry-After", async () => {
    const doc = (await call(openapi, "loader", testRequest("/api/v1/openapi.json"))).body as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    const post = doc.paths["/personalization/views"]?.post;
    expect(post?.requestBody).toEqual({
      required: true,
      content: { "application/json": { schema: { $ref: "#/components/schemas/ProductView" } } },
    });
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(["201", "400", "401", "403", "404", "429"]);
    expect(Object.keys((post?.responses["429"] as { headers?: object } | undefined)?.headers ?? {})).toEqual([
      "Retry-After",
    ]);
    expect(Object.keys(doc.components.schemas.ProductView?.properties ?? {})).toEqual(["productId", "dwellMs"]);
    expect(Object.keys(doc.components.schemas.ViewRecordedEnvelope?.properties ?? {})).toEqual(["view"]);
  });
});
