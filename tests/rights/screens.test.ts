import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { createSubscription } from "@kiln/billing";
import { schema, withSystem } from "@kiln/db";
import { verifyEvidencePack } from "@kiln/rights";
import { createCoopWithPeople, createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import * as accountNotices from "../../app/app/routes/account.notices";
import * as apiEvidence from "../../app/app/routes/api.v1.compliance.$coopSlug.evidence";
import * as apiEvidencePdf from "../../app/app/routes/api.v1.compliance.$coopSlug.evidence.pdf";
import * as evidence from "../../app/app/routes/review.$coopSlug.evidence";
import * as download from "../../app/app/routes/review.$coopSlug.evidence.download";
import * as subscriptionPage from "../../app/app/routes/review.$coopSlug.subscriptions.$id";
import * as studioRights from "../../app/app/routes/studio.$creatorSlug.rights";
import { buildOpenApiDocument } from "../../app/app/api/openapi";
import { startBillingWorld } from "../billing/world";
import { getTestRuntime } from "../setup/runtime";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
const services = testServices(rt);
const world = await startBillingWorld(rt);
afterAll(() => world.stop());

const sessionFor = async (email: string) =>
  (await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" })).token;
const DAY = 86_400_000;

/**
 * A DE member subscribed through the real order flow, with rows the rights and notices flows write
 * (inserted here as those flows would: a sent acknowledgment and a scheduled reminder, an ordinary
 * cancellation, an accepted withdrawal and its refund, overdue by now).
 */
async function world1() {
  const live = await world.liveTier();
  const { p, tier, version, terms } = live;
  const session = await world.saveCard(p.member.id, tier.id);
  const { subscription } = await createSubscription(
    rt,
    world.stripe,
    { userId: p.member.id },
    { tierId: tier.id, checkoutSessionId: session, termsVersionId: version.id, consent: world.consentFor(terms) },
  );
  const now = rt.clock.now();
  const base = {
    coopId: p.coop.id,
    creatorId: p.creator.id,
    memberUserId: p.member.id,
    subscriptionId: subscription.id,
  };
  const ids = await withSystem(rt, "test-rights-rows", async (tx) => {
    const [mail] = await tx
      .insert(schema.emailOutbox)
      .values({
        coopId: p.coop.id,
        toAddress: p.member.email,
        subject: "Ihre Bestellung",
        textBody: "…",
        template: "notice.acknowledgment",
        locale: "de",
      })
      .returning();
    const [ack] = await tx
      .insert(schema.notices)
      .values({
        ...base,
        kind: "acknowledgment",
        periodKey: "conclusion",
        eventAt: now,
        dueAt: now,
        jurisdiction: "DE",
        templateId: "notice.acknowledgment",
        templateVersion: "2026-11",
        language: "de",
        status: "sent",
        sentAt: now,
        outboxEmailId: mail!.id,
      })
      .returning();
    const [reminder] = await tx
      .insert(schema.notices)
      .values({
        ...base,
        kind: "renewal-reminder",
        periodKey: "2027-11-29",
        eventAt: new Date(now.getTime() + 365 * DAY),
        dueAt: new Date(now.getTime() + 335 * DAY),
        jurisdiction: "DE",
        templateId: "notice.renewal-reminder",
        templateVersion: "2026-11",
        language: "de",
      })
      .returning();
    const [cancellation] = await tx
      .insert(schema.cancellations)
      .values({
        ...base,
        declarationId: crypto.randomUUID(),
        submissionKey: crypto.randomUUID(),
        kind: "ordinary",
        name: "Mia Muster",
        email: p.member.email,
        statement: "Ich kündige meinen Vertrag.",
        locale: "de",
        receivedAt: now,
        receiptHash: "c".repeat(64),
        endsAt: new Date(now.getTime() + 30 * DAY),
      })
      .returning();
    const [withdrawal] = await tx
      .insert(schema.withdrawals)
      .values({
        ...base,
        submissionKey: crypto.randomUUID(),
        orderRef: subscription.id,
        name: "Mia Muster",
        email: p.member.email,
        contractKind: "service",
        outcome: "accepted",
        deadlineAt: new Date(now.getTime() + 14 * DAY),
        statement: "Hiermit widerrufe ich den Vertrag.",
        locale: "de",
        receivedAt: now,
        receiptHash: "d".repeat(64),
        acknowledgedAt: now,
      })
      .returning();
    const [refund] = await tx
      .insert(schema.refunds)
      .values({
        coopId: p.coop.id,
        creatorId: p.creator.id,
        memberUserId: p.member.id,
        withdrawalId: withdrawal!.id,
        subscriptionId: subscription.id,
        paidMinor: 900,
        amountMinor: 900,
        currency: "eur",
        basis: "full",
        dueBy: new Date(now.getTime() - DAY),
        stripeAccountId: live.account,
      })
      .returning();
    return { ack: ack!, reminder: reminder!, cancellation: cancellation!, withdrawal: withdrawal!, refund: refund! };
  });
  return {
    ...live,
    subscription,
    ...ids,
    reviewerSession: await sessionFor(p.reviewer.email),
    ownerSession: await sessionFor(p.owner.email),
    memberSession: await sessionFor(p.member.email),
  };
}

let w: Awaited<ReturnType<typeof world1>>;
let other: Awaited<ReturnType<typeof createCoopWithPeople>>;
let otherReviewerSession: string;
beforeAll(async () => {
  w = await world1();
  other = await createCoopWithPeople(rt);
  otherReviewerSession = await sessionFor(other.reviewer.email);
});

const call = async (
  loader: (args: never) => unknown,
  url: string,
  params: Record<string, string>,
  init: { sessionToken?: string; headers?: Record<string, string> } = {},
) => settle(async () => loader((await argsFor(services, testRequest(url, init), params)) as never));

describe("reviewer: evidence search and subscription record", () => {
  it("finds the member by email and links the downloads and the subscription", async () => {
    const url = `/review/${w.p.coop.slug}/evidence?memberEmail=${encodeURIComponent(w.p.member.email)}`;
    const r = await call(evidence.loader, url, { coopSlug: w.p.coop.slug }, { sessionToken: w.reviewerSession });
    expect(r.status).toBe(200);
    const body = r.body as Awaited<ReturnType<typeof evidence.loader>>;
    expect(body.member).toEqual({ id: w.p.member.id, email: w.p.member.email });
    expect(body.subscriptions.map((s) => s.id)).toEqual([w.subscription.id]);
    expect(body.tiers.map((t) => t.id)).toContain(w.tier.id);
    const unknown = await call(
      evidence.loader,
      `/review/${w.p.coop.slug}/evidence?memberEmail=nobody%40example.test`,
      { coopSlug: w.p.coop.slug },
      { sessionToken: w.reviewerSession },
    );
    expect((unknown.body as { member: unknown }).member).toBeNull();
  });

  it("shows the subscription's notices timeline with consents and declarations", async () => {
    const params = { coopSlug: w.p.coop.slug, id: w.subscription.id };
    const url = `/review/${w.p.coop.slug}/subscriptions/${w.subscription.id}`;
    const r = await call(subscriptionPage.loader, url, params, { sessionToken: w.reviewerSession });
    expect(r.status).toBe(200);
    const body = r.body as Awaited<ReturnType<typeof subscriptionPage.loader>>;
    expect(body.subscription.memberEmail).toBe(w.p.member.email);
    expect(body.timeline.map((e) => e.kind)).toEqual(
      expect.arrayContaining(["consent", "subscription", "notice", "cancellation", "withdrawal", "refund"]),
    );
    const notices = body.timeline.filter((e) => e.kind === "notice");
    expect(notices.map((n) => (n.kind === "notice" ? `${n.noticeKind}:${n.status}:${n.template}` : ""))).toEqual([
      "acknowledgment:sent:notice.acknowledgment@2026-11",
      "renewal-reminder:scheduled:notice.renewal-reminder@2026-11",
    ]);
    // Sorted by time: the scheduled reminder (due in 335 days) comes last.
    expect(body.timeline.at(-1)).toMatchObject({ kind: "notice", id: w.reminder.id });
    expect(body.consents[0]!.disclosureText).toBe(world.consentFor(w.terms).disclosureText);
  });

  it("wrong roles are refused and another co-op's reviewer gets 404", async () => {
    const params = { coopSlug: w.p.coop.slug, id: w.subscription.id };
    const url = `/review/${w.p.coop.slug}/subscriptions/${w.subscription.id}`;
    for (const session of [w.ownerSession, w.memberSession])
      expect((await call(subscriptionPage.loader, url, params, { sessionToken: session })).status).toBe(404);
    expect((await call(subscriptionPage.loader, url, params)).status).toBe(302); // to sign-in
    // Another co-op's reviewer, on their own co-op's path, asking for this subscription: 404.
    const foreign = await call(
      subscriptionPage.loader,
      `/review/${other.coop.slug}/subscriptions/${w.subscription.id}`,
      { coopSlug: other.coop.slug, id: w.subscription.id },
      { sessionToken: otherReviewerSession },
    );
    expect(foreign.status).toBe(404);
    const foreignDownload = await call(
      download.loader,
      `/review/${other.coop.slug}/evidence/download?format=json&subscriptionId=${w.subscription.id}`,
      { coopSlug: other.coop.slug },
      { sessionToken: otherReviewerSession },
    );
    expect(foreignDownload.status).toBe(404);
    const ownerDownload = await call(
      download.loader,
      `/review/${w.p.coop.slug}/evidence/download?format=json&subscriptionId=${w.subscription.id}`,
      { coopSlug: w.p.coop.slug },
      { sessionToken: w.ownerSession },
    );
    expect(ownerDownload.status).toBe(404);
  });

  it("the download is the verifiable pack, with notices, cancellations, withdrawals and refunds", async () => {
    const r = await call(
      download.loader,
      `/review/${w.p.coop.slug}/evidence/download?format=json&subscriptionId=${w.subscription.id}`,
      { coopSlug: w.p.coop.slug },
      { sessionToken: w.reviewerSession },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("Content-Disposition")).toMatch(/attachment; filename="evidence-.*\.json"/);
    const pack = r.body as Record<string, Array<{ id: string }>>;
    expect(pack.notices!.map((n) => n.id).sort()).toEqual([w.ack.id, w.reminder.id].sort());
    expect(pack.cancellations!.map((c) => c.id)).toEqual([w.cancellation.id]);
    expect(pack.withdrawals!.map((c) => c.id)).toEqual([w.withdrawal.id]);
    expect(pack.refunds!.map((c) => c.id)).toEqual([w.refund.id]);
    expect(JSON.stringify(pack)).not.toContain("submissionKey");
    expect(verifyEvidencePack(JSON.stringify(pack), services.config.auditCheckpointKey)).toMatchObject({ ok: true });
    const pdf = await call(
      download.loader,
      `/review/${w.p.coop.slug}/evidence/download?format=pdf&subscriptionId=${w.subscription.id}`,
      { coopSlug: w.p.coop.slug },
      { sessionToken: w.reviewerSession },
    );
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("Content-Type")).toBe("application/pdf");
  });
});

describe("API: evidence pack endpoints", () => {
  it("answers reviewers with the pack (JSON and PDF), others with 404, and is in the OpenAPI document", async () => {
    const url = `/api/v1/compliance/${w.p.coop.slug}/evidence?tierId=${w.tier.id}`;
    const ok = await call(apiEvidence.loader, url, { coopSlug: w.p.coop.slug }, { sessionToken: w.reviewerSession });
    expect(ok.status).toBe(200);
    expect(verifyEvidencePack(JSON.stringify(ok.body), services.config.auditCheckpointKey).ok).toBe(true);
    const pdf = await call(
      apiEvidencePdf.loader,
      `/api/v1/compliance/${w.p.coop.slug}/evidence/pdf?tierId=${w.tier.id}&lang=de`,
      { coopSlug: w.p.coop.slug },
      { sessionToken: w.reviewerSession },
    );
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("Content-Type")).toBe("application/pdf");
    const bad = await call(
      apiEvidence.loader,
      `/api/v1/compliance/${w.p.coop.slug}/evidence`,
      { coopSlug: w.p.coop.slug },
      { sessionToken: w.reviewerSession },
    );
    expect(bad.status).toBe(400);
    for (const session of [w.ownerSession, w.memberSession])
      expect((await call(apiEvidence.loader, url, { coopSlug: w.p.coop.slug }, { sessionToken: session })).status).toBe(
        404,
      );
    const foreign = await call(
      apiEvidence.loader,
      `/api/v1/compliance/${other.coop.slug}/evidence?tierId=${w.tier.id}`,
      { coopSlug: other.coop.slug },
      { sessionToken: otherReviewerSession },
    );
    expect(foreign.status).toBe(404);
    expect((await call(apiEvidence.loader, url, { coopSlug: w.p.coop.slug })).status).toBe(401);
    const doc = buildOpenApiDocument("http://kiln.test") as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/compliance/{coopSlug}/evidence", "/compliance/{coopSlug}/evidence/pdf"]),
    );
    expect(JSON.stringify(doc)).not.toContain("responses/undefined");
  });
});

describe("creator: cancellations, withdrawals and refunds due", () => {
  it("lists them with the overdue refund highlighted; other roles and creators get 404", async () => {
    const url = `/studio/${w.p.creator.slug}/rights`;
    const r = await call(studioRights.loader, url, { creatorSlug: w.p.creator.slug }, { sessionToken: w.ownerSession });
    expect(r.status).toBe(200);
    const body = r.body as Awaited<ReturnType<typeof studioRights.loader>>;
    expect(body.cancellations.map((c) => c.id)).toEqual([w.cancellation.id]);
    expect(body.withdrawals.map((c) => c.id)).toEqual([w.withdrawal.id]);
    expect(body.refunds).toEqual([expect.objectContaining({ id: w.refund.id, status: "due", overdue: true })]);
    expect({ due: body.refundsDue, overdue: body.refundsOverdue }).toEqual({ due: 1, overdue: 1 });
    for (const session of [w.reviewerSession, w.memberSession])
      expect(
        (await call(studioRights.loader, url, { creatorSlug: w.p.creator.slug }, { sessionToken: session })).status,
      ).toBe(404);
    // Another co-op's creator owner sees their own (empty) page, never these rows.
    const otherOwner = await sessionFor(other.owner.email);
    const own = await call(
      studioRights.loader,
      `/studio/${other.creator.slug}/rights`,
      { creatorSlug: other.creator.slug },
      { sessionToken: otherOwner },
    );
    expect(own.body).toMatchObject({ cancellations: [], withdrawals: [], refunds: [] });
    const foreign = await call(
      studioRights.loader,
      url,
      { creatorSlug: w.p.creator.slug },
      { sessionToken: otherOwner },
    );
    expect(foreign.status).toBe(404);
  });
});

describe("member: notices received and own declarations", () => {
  it("shows sent notices only, and their own cancellations and withdrawals; another member sees none", async () => {
    const r = await call(accountNotices.loader, "/account/notices", {}, { sessionToken: w.memberSession });
    expect(r.status).toBe(200);
    const body = r.body as Awaited<ReturnType<typeof accountNotices.loader>>;
    expect(body.notices.map((n) => n.id)).toEqual([w.ack.id]);
    expect(body.notices[0]).toMatchObject({ kind: "acknowledgment", tierName: w.tier.name });
    expect(body.cancellations.map((c) => c.id)).toEqual([w.cancellation.id]);
    expect(body.withdrawals.map((c) => c.id)).toEqual([w.withdrawal.id]);
    const stranger = await createUser(rt, { displayName: "Stranger" });
    const theirs = await call(
      accountNotices.loader,
      "/account/notices",
      {},
      {
        sessionToken: await sessionFor(stranger.email),
      },
    );
    expect(theirs.body).toEqual({ notices: [], cancellations: [], withdrawals: [], priceChangesAwaitingOptIn: [] });
    expect((await call(accountNotices.loader, "/account/notices", {})).status).toBe(302);
  });
});
