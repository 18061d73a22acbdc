import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import {
  canPublishTier,
  decideTermsVersion,
  decideWaiverRequest,
  getTierWorkspace,
  listWaiverRequests,
  requestWaiver,
  saveTermsDraft,
  submitTermsVersion,
} from "@kiln/compliance";
import { withSystem } from "@kiln/db";
import {
  assignRole,
  createCoopWithPeople,
  createSubscriptionTier,
  createUser,
  DEFAULT_TEST_PASSWORD,
} from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import * as reviewHome from "../../app/app/routes/review.$coopSlug";
import * as reviewPage from "../../app/app/routes/review.$coopSlug.terms.$termsVersionId";
import * as tierPage from "../../app/app/routes/studio.$creatorSlug.tiers.$tierId";
import { getTestRuntime } from "../setup/runtime";
import { sampleTermsFor } from "./samples";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
const services = testServices(rt);
const DAY = 86_400_000;

/** A DE tier whose terms carry a save offer (fails DE X-X6), submitted for review. */
async function setup() {
  const p = await createCoopWithPeople(rt);
  const tier = await createSubscriptionTier(rt, { coopId: p.coop.id, creatorId: p.creator.id, jurisdictions: ["DE"] });
  const owner = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
  const staffUser = await createUser(rt);
  await assignRole(rt, { userId: staffUser.id, coopId: p.coop.id, role: "creator_staff", creatorId: p.creator.id });
  const staff = { userId: staffUser.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_staff" };
  const reviewer = { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" };
  // A reviewer of the same co-op who also staffs this creator.
  const tiedUser = await createUser(rt);
  await assignRole(rt, { userId: tiedUser.id, coopId: p.coop.id, role: "compliance_reviewer" });
  await assignRole(rt, { userId: tiedUser.id, coopId: p.coop.id, role: "creator_staff", creatorId: p.creator.id });
  const tied = { userId: tiedUser.id, coopId: p.coop.id, role: "compliance_reviewer" };
  const base = sampleTermsFor("DE").terms;
  const terms = { ...base, cancellation: { ...base.cancellation, saveOffers: 1 } };
  const v = await saveTermsDraft(rt, owner, { tierId: tier.id, terms });
  return { p, tier, owner, staff, reviewer, tied, v, terms };
}

const auditActions = (coopId: string) =>
  withSystem(rt, "test", (tx) =>
    tx.execute<{ action: string }>(sql`select action from audit_log where coop_id = ${coopId} order by seq`),
  ).then((rows) => rows.map((r) => r.action));

describe("waiver requests: the creator asks, a reviewer decides in the waiver flow", () => {
  it("DE X-X6: staff request a waiver of a failing finding; a tied reviewer cannot grant it, another reviewer can; audited", async () => {
    const s = await setup();
    await submitTermsVersion(rt, s.owner, { termsVersionId: s.v.id }, renderOrderPage);
    const reason = "Our save offer is shown after the confirmation, not between the button and it";

    // Only findings that fail can be the subject of a request.
    await expect(
      requestWaiver(rt, s.staff, { tierId: s.tier.id, jurisdiction: "DE", ruleId: "X-C2", reason }, renderOrderPage),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      requestWaiver(
        rt,
        s.staff,
        { tierId: s.tier.id, jurisdiction: "DE", ruleId: "X-X6", reason: "too short" },
        renderOrderPage,
      ),
    ).rejects.toMatchObject({ code: "BAD_INPUT" });
    const req = await requestWaiver(
      rt,
      s.staff,
      { tierId: s.tier.id, jurisdiction: "DE", ruleId: "X-X6", reason },
      renderOrderPage,
    );
    expect(req.status).toBe("open");
    expect(req.termsVersionId).toBe(s.v.id);
    await expect(
      requestWaiver(rt, s.owner, { tierId: s.tier.id, jurisdiction: "DE", ruleId: "X-X6", reason }, renderOrderPage),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    // Reviewers may not file requests, creators may not decide them.
    await expect(
      requestWaiver(rt, s.reviewer, { tierId: s.tier.id, jurisdiction: "DE", ruleId: "X-X6", reason }, renderOrderPage),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      decideWaiverRequest(rt, s.owner, { requestId: req.id, decision: "grant", expiresAt: new Date(Date.now() + DAY) }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });

    const expiresAt = new Date(rt.clock.now().getTime() + 30 * DAY);
    await expect(
      decideWaiverRequest(rt, s.tied, { requestId: req.id, decision: "grant", expiresAt }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(decideWaiverRequest(rt, s.reviewer, { requestId: req.id, decision: "grant" })).rejects.toMatchObject({
      code: "BAD_INPUT",
    });
    const granted = await decideWaiverRequest(rt, s.reviewer, {
      requestId: req.id,
      decision: "grant",
      comment: "Confirmed on the live page",
      expiresAt,
    });
    expect(granted.status).toBe("granted");
    expect(granted.waiverId).toBeTruthy();
    await expect(
      decideWaiverRequest(rt, s.reviewer, { requestId: req.id, decision: "decline", comment: "changed my mind" }),
    ).rejects.toMatchObject({ code: "CONFLICT" });

    // The waiver covers the finding: once approved, the gate lets the tier through; the creator sees it.
    await decideTermsVersion(rt, s.reviewer, { termsVersionId: s.v.id, decision: "approve" });
    expect((await canPublishTier(rt, s.owner, s.tier.id, renderOrderPage)).ok).toBe(true);
    const ws = await getTierWorkspace(rt, s.staff, s.tier.id, renderOrderPage);
    expect(ws.findings.find((f) => f.ruleId === "X-X6")?.waiver?.reason).toContain(reason);
    expect(await auditActions(s.p.coop.id)).toEqual(
      expect.arrayContaining([
        "compliance.waiver_requested",
        "compliance.waiver_created",
        "compliance.waiver_request_granted",
      ]),
    );
  });

  it("DE X-X6: a declined request keeps the finding blocking, with the reviewer's comment; other creators see no requests", async () => {
    const s = await setup();
    const req = await requestWaiver(
      rt,
      s.owner,
      { tierId: s.tier.id, jurisdiction: "DE", ruleId: "X-X6", reason: "We think the draft is judged too strictly" },
      renderOrderPage,
    );
    await expect(decideWaiverRequest(rt, s.reviewer, { requestId: req.id, decision: "decline" })).rejects.toMatchObject(
      {
        code: "BAD_INPUT",
      },
    );
    const declined = await decideWaiverRequest(rt, s.reviewer, {
      requestId: req.id,
      decision: "decline",
      comment: "A save offer before the confirmation is not allowed in Germany",
    });
    expect(declined.status).toBe("declined");
    expect(declined.waiverId).toBeNull();
    const ws = await getTierWorkspace(rt, s.owner, s.tier.id, renderOrderPage);
    expect(ws.findings.find((f) => f.ruleId === "X-X6")?.status).toBe("fail");
    expect(ws.findings.find((f) => f.ruleId === "X-X6")?.waiver).toBeUndefined();
    expect((await listWaiverRequests(rt, s.owner, { tierId: s.tier.id }))[0]?.decisionComment).toContain("Germany");

    const other = await setup();
    expect(await listWaiverRequests(rt, other.owner, { tierId: s.tier.id })).toEqual([]);
    expect(await auditActions(s.p.coop.id)).toContain("compliance.waiver_request_declined");
  });
});

describe("the studio tier page: version diff and waiver requests", () => {
  it("the creator sees the diff between two terms versions (latest two by default, or chosen) and requests a waiver", async () => {
    const s = await setup();
    await submitTermsVersion(rt, s.owner, { termsVersionId: s.v.id }, renderOrderPage);
    const v2 = await saveTermsDraft(rt, s.owner, {
      tierId: s.tier.id,
      terms: { ...s.terms, price: { ...s.terms.price, amountMinor: 1500 } },
    });
    expect(v2.version).toBe(2);
    const session = (
      await signIn(rt, { email: s.p.owner.email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "t" })
    ).token;
    const params = { creatorSlug: s.p.creator.slug, tierId: s.tier.id };
    const url = `/studio/${s.p.creator.slug}/tiers/${s.tier.id}`;
    const load = async (path = url) =>
      (
        await settle(async () =>
          tierPage.loader(await argsFor(services, testRequest(path, { sessionToken: session }), params)),
        )
      ).body as Awaited<ReturnType<typeof tierPage.loader>>;

    const page = await load();
    expect(page.diff?.from.version).toBe(1);
    expect(page.diff?.to.version).toBe(2);
    expect(page.diff?.material).toEqual(["price"]);
    expect(page.diff?.disclosure.some((c) => c.kind === "added" && c.value.includes("15.00"))).toBe(true);
    const same = await load(`${url}?from=${v2.id}&to=${v2.id}`);
    expect(same.diff?.material).toEqual([]);

    // The draft (v2) still fails DE X-X6: the creator asks for a waiver through the page.
    const posted = await settle(async () =>
      tierPage.action(
        await argsFor(
          services,
          testRequest(url, {
            sessionToken: session,
            form: {
              intent: "request-waiver",
              jurisdiction: "DE",
              ruleId: "X-X6",
              reason: "The offer is a newsletter link, not a retention offer",
            },
          }),
          params,
        ),
      ),
    );
    expect(posted.status).toBe(302);
    const after = await load();
    expect(after.waiverRequests).toHaveLength(1);
    expect(after.waiverRequests[0]).toMatchObject({ ruleId: "X-X6", jurisdiction: "DE", status: "open" });
    expect(after.waiverRequests[0]!.termsVersionId).toBe(v2.id);
  });
});

describe("the reviewer's terms page: waiver requests in the waiver flow", () => {
  it("DE X-X6: the reviewer sees the creator's request with its reason and grants it with an expiry", async () => {
    const s = await setup();
    await submitTermsVersion(rt, s.owner, { termsVersionId: s.v.id }, renderOrderPage);
    const req = await requestWaiver(
      rt,
      s.owner,
      {
        tierId: s.tier.id,
        jurisdiction: "DE",
        ruleId: "X-X6",
        reason: "The offer is shown after the confirmation page",
      },
      renderOrderPage,
    );
    const session = (
      await signIn(rt, {
        email: s.p.reviewer.email,
        password: DEFAULT_TEST_PASSWORD,
        ip: "198.51.100.1",
        userAgent: "t",
      })
    ).token;
    const params = { coopSlug: s.p.coop.slug, termsVersionId: s.v.id };
    const url = `/review/${s.p.coop.slug}/terms/${s.v.id}`;
    const load = async () =>
      (
        await settle(async () =>
          reviewPage.loader(await argsFor(services, testRequest(url, { sessionToken: session }), params)),
        )
      ).body as Awaited<ReturnType<typeof reviewPage.loader>>;
    const post = async (form: Record<string, string>) =>
      settle(async () =>
        reviewPage.action(await argsFor(services, testRequest(url, { sessionToken: session, form }), params)),
      );

    // The reviewers' home lists the open request, linking to the version it was made on.
    const home = async () =>
      (
        await settle(async () =>
          reviewHome.loader(
            await argsFor(services, testRequest(`/review/${s.p.coop.slug}`, { sessionToken: session }), {
              coopSlug: s.p.coop.slug,
            }),
          ),
        )
      ).body as Awaited<ReturnType<typeof reviewHome.loader>>;
    expect((await home()).waiverRequests).toEqual([
      expect.objectContaining({ id: req.id, termsVersionId: s.v.id, ruleId: "X-X6", jurisdiction: "DE" }),
    ]);
    expect((await load()).waiverRequests).toEqual([
      expect.objectContaining({ id: req.id, ruleId: "X-X6", status: "open", reason: req.reason }),
    ]);
    // Granting without an expiry is refused and changes nothing.
    const refused = await post({ intent: "decide-request", requestId: req.id, decision: "grant" });
    expect(refused.status).toBe(400);
    expect((await load()).waiverRequests[0]?.status).toBe("open");
    const expiresAt = new Date(rt.clock.now().getTime() + 60 * DAY).toISOString().slice(0, 10);
    expect((await post({ intent: "decide-request", requestId: req.id, decision: "grant", expiresAt })).status).toBe(
      302,
    );
    const after = await load();
    expect(after.waiverRequests[0]?.status).toBe("granted");
    expect((await home()).waiverRequests).toEqual([]);
    const x6 = after.detail.findings.find((f) => f.ruleId === "X-X6");
    expect(x6?.waiver?.expiresAt.slice(0, 10)).toBe(expiresAt);
  });
});
