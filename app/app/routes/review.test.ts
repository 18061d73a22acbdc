import { describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { createTermsDraft, submitTermsVersion } from "@kiln/compliance";
import { createCoopWithPeople, createSubscriptionTier, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { sampleTermsFor } from "../../../tests/compliance/samples";
import { renderOrderPage } from "../compliance.server";
import { argsFor, settle, testIp, testRequest, testServices } from "../testing/context";
import * as home from "./review.$coopSlug";
import * as consents from "./review.$coopSlug.consents";
import * as rules from "./review.$coopSlug.rules";
import * as terms from "./review.$coopSlug.terms.$termsVersionId";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
const services = testServices(rt);
const sessionFor = async (email: string) =>
  (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;

async function setup() {
  const p = await createCoopWithPeople(rt);
  const tier = await createSubscriptionTier(rt, {
    coopId: p.coop.id,
    creatorId: p.creator.id,
    jurisdictions: ["DE", "US-CA"],
  });
  const creator = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
  const base = sampleTermsFor("DE").terms;
  const v = await createTermsDraft(rt, creator, {
    tierId: tier.id,
    terms: { ...base, cancellation: { ...base.cancellation, saveOffers: 1 } },
  });
  await submitTermsVersion(rt, creator, { termsVersionId: v.id }, renderOrderPage);
  return {
    p,
    v,
    tier,
    reviewerSession: await sessionFor(p.reviewer.email),
    ownerSession: await sessionFor(p.owner.email),
  };
}

describe("reviewer workspace", () => {
  it("shows the queue with failing counts and the audit chain's verification status", async () => {
    const { p, v, reviewerSession } = await setup();
    const result = await settle(async () =>
      home.loader(
        await argsFor(services, testRequest(`/review/${p.coop.slug}`, { sessionToken: reviewerSession }), {
          coopSlug: p.coop.slug,
        }),
      ),
    );
    const body = result.body as Awaited<ReturnType<typeof home.loader>>;
    expect(body.queue.find((q) => q.id === v.id)?.failing).toBe(1); // DE X-X6: a save offer
    expect(body.chain).toMatchObject({ ok: true });
  });

  it("a finding fails with its citation; the reviewer waives it, then rejects with a comment", async () => {
    const { p, v, reviewerSession } = await setup();
    const params = { coopSlug: p.coop.slug, termsVersionId: v.id };
    const url = `/review/${p.coop.slug}/terms/${v.id}`;
    const loaded = (
      await settle(async () =>
        terms.loader(await argsFor(services, testRequest(url, { sessionToken: reviewerSession }), params)),
      )
    ).body as Awaited<ReturnType<typeof terms.loader>>;
    const failing = loaded.detail.findings.filter((f) => f.status === "fail");
    expect(failing.map((f) => `${f.jurisdiction} ${f.ruleId}`)).toEqual(["DE X-X6"]);
    expect(failing[0]!.citation).toContain("§ 312k");
    const waive = await settle(async () =>
      terms.action(
        await argsFor(
          services,
          testRequest(url, {
            sessionToken: reviewerSession,
            form: {
              intent: "waive",
              jurisdiction: "DE",
              ruleId: "X-X6",
              reason: "The offer is shown after cancelling",
              expiresAt: "2027-01-15",
            },
          }),
          params,
        ),
      ),
    );
    expect(waive.status).toBe(302);
    const reject = await settle(async () =>
      terms.action(
        await argsFor(
          services,
          testRequest(url, {
            sessionToken: reviewerSession,
            form: { intent: "decide", decision: "reject", comment: "" },
          }),
          params,
        ),
      ),
    );
    expect(reject.status).toBe(400);
  });

  it("the creator cannot open the reviewer screens (404); the rule browser and consent search load", async () => {
    const { p, ownerSession, reviewerSession } = await setup();
    const denied = await settle(async () =>
      rules.loader(
        await argsFor(services, testRequest(`/review/${p.coop.slug}/rules`, { sessionToken: ownerSession }), {
          coopSlug: p.coop.slug,
        }),
      ),
    );
    expect(denied.status).toBe(404);
    const packs = (
      await settle(async () =>
        rules.loader(
          await argsFor(services, testRequest(`/review/${p.coop.slug}/rules`, { sessionToken: reviewerSession }), {
            coopSlug: p.coop.slug,
          }),
        ),
      )
    ).body as Awaited<ReturnType<typeof rules.loader>>;
    expect(
      packs.packs.find((x) => x.jurisdiction === "UK")?.rules.some((r) => r.id === "X-W7" && r.effectiveFrom > "2027"),
    ).toBe(true);
    const search = await settle(async () =>
      consents.loader(
        await argsFor(
          services,
          testRequest(`/review/${p.coop.slug}/consents?memberUserId=${p.member.id}`, { sessionToken: reviewerSession }),
          { coopSlug: p.coop.slug },
        ),
      ),
    );
    expect(search.status).toBe(200);
  });
});
