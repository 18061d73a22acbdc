import { createHash, createHmac } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { inflateSync } from "node:zlib";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "@kiln/audit";
import { createSubscription } from "@kiln/billing";
import { eraseExpiredConsentData } from "@kiln/compliance";
import { schema, withSystem } from "@kiln/db";
import {
  buildEvidencePack,
  evidencePackJson,
  exportEvidencePack,
  readEvidencePdf,
  renderEvidencePdf,
  runNoticeSweep,
  submitWithdrawal,
  verifyEvidencePack,
  type EvidencePack,
} from "@kiln/rights";
import { createCoopWithPeople, createSubscriptionTier } from "@kiln/seed";
import { startBillingWorld } from "../billing/world";
import { getTestRuntime } from "../setup/runtime";
import { launchChromium } from "../setup/browser";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
const world = await startBillingWorld(rt);
afterAll(() => world.stop());

const KEY = "evidence-test-checkpoint-key";
const options = () => ({ checkpointDir: mkdtempSync(path.join(tmpdir(), "kiln-evidence-")), key: KEY });

async function subscribedMember() {
  const live = await world.liveTier();
  const { p, tier, version, terms } = live;
  const session = await world.saveCard(p.member.id, tier.id);
  const result = await createSubscription(
    rt,
    world.stripe,
    { userId: p.member.id },
    { tierId: tier.id, checkoutSessionId: session, termsVersionId: version.id, consent: world.consentFor(terms) },
  );
  const reviewer = { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" };
  return { ...live, reviewer, subscription: result.subscription, consentId: result.consentId };
}

let w: Awaited<ReturnType<typeof subscribedMember>>;
let pack: EvidencePack;
let opts: ReturnType<typeof options>;
beforeAll(async () => {
  w = await subscribedMember();
  opts = options();
  pack = await buildEvidencePack(rt, w.reviewer, { memberEmail: w.p.member.email }, opts);
});

const clone = (p: EvidencePack) => JSON.parse(evidencePackJson(p)) as EvidencePack;

describe("evidence pack: contents", () => {
  it("holds the terms versions, the consent with the exact disclosure shown, the subscription and the chain proof", () => {
    expect(pack.scope).toMatchObject({ kind: "member", memberUserId: w.p.member.id });
    expect(pack.member).toEqual({ id: w.p.member.id, email: w.p.member.email });
    expect(pack.tiers.map((t) => t.id)).toEqual([w.tier.id]);
    const [version] = pack.termsVersions;
    expect(version).toMatchObject({ id: w.version.id, status: "approved", previous: null });
    expect((version!.reviews as Array<{ decision: string }>).map((r) => r.decision)).toEqual(["approve"]);
    const [consent] = pack.consents;
    const shown = world.consentFor(w.terms);
    expect(consent).toMatchObject({
      id: w.consentId,
      disclosureText: shown.disclosureText,
      buttonLabel: shown.buttonLabel,
      termsHash: version!.contentHash,
      personalData: { ip: "203.0.113.9", userAgent: "vitest" },
      personalDataErased: false,
    });
    expect(pack.subscriptions.map((s) => s.id)).toEqual([w.subscription.id]);
    // Sections from the rights tables are present (empty: nothing was cancelled or withdrawn).
    expect(pack.cancellations).toEqual([]);
    expect(pack.withdrawals).toEqual([]);
    // The chain proof: the consent's and the subscription's entries, up to a signed checkpoint.
    const actions = pack.audit.entries.filter((e) => pack.audit.relevantSeqs.includes(e.seq)).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "compliance.terms_approval",
        "billing.tier_price_synced",
        "compliance.tier_published",
        "compliance.consent_recorded",
        "billing.subscription_created",
      ]),
    );
    expect(pack.audit.relevantSeqs).toContain(consent!.auditSeq);
    expect(pack.audit.checkpoint!.seq).toBe(pack.audit.entries.at(-1)!.seq);
    expect(pack.audit.entries[0]!.seq).toBe(pack.audit.relevantSeqs[0]);
  });

  it("a tier pack and a subscription pack cover the same member's records", async () => {
    const byTier = await buildEvidencePack(rt, w.reviewer, { tierId: w.tier.id }, opts);
    const bySub = await buildEvidencePack(rt, w.reviewer, { subscriptionId: w.subscription.id }, opts);
    for (const p of [byTier, bySub]) {
      expect(p.consents.map((c) => c.id)).toEqual([w.consentId]);
      expect(verifyEvidencePack(evidencePackJson(p), KEY)).toMatchObject({ ok: true });
    }
    expect(byTier.scope.kind).toBe("tier");
    expect(bySub.scope).toMatchObject({ kind: "subscription", memberUserId: w.p.member.id });
  });
});

describe("evidence pack: verification", () => {
  it("the JSON verifies against the audit chain and its checkpoint", () => {
    const result = verifyEvidencePack(evidencePackJson(pack), KEY);
    expect(result).toEqual({
      ok: true,
      packHash: pack.packHash,
      entries: pack.audit.entries.length,
      checkpointSeq: pack.audit.checkpoint!.seq,
    });
  });

  const tamperings: Array<[string, (p: EvidencePack) => void]> = [
    ["the disclosure text", (p) => (p.consents[0]!.disclosureText = `${String(p.consents[0]!.disclosureText)} `)],
    ["the button label", (p) => (p.consents[0]!.buttonLabel = "Buy")],
    ["a checkbox", (p) => ((p.consents[0]!.checkboxes as Array<{ checked: boolean }>)[0]!.checked = false)],
    ["the subscription status", (p) => (p.subscriptions[0]!.status = "canceled")],
    [
      "the terms",
      (p) => {
        const renewal = (p.termsVersions[0]!.terms as { renewal: { automatic: boolean } }).renewal;
        renewal.automatic = !renewal.automatic;
      },
    ],
    ["a review", (p) => ((p.termsVersions[0]!.reviews as Array<{ decision: string }>)[0]!.decision = "reject")],
    ["an audit entry", (p) => (p.audit.entries[0]!.data = { ...p.audit.entries[0]!.data, forged: true })],
    ["an audit entry's time", (p) => (p.audit.entries[0]!.occurredAt = "2020-01-01T00:00:00.000Z")],
    ["the checkpoint", (p) => (p.audit.checkpoint!.at = "2020-01-01T00:00:00.000Z")],
    ["the member", (p) => (p.member = { id: p.member!.id, email: "someone@else.test" })],
    ["the generation time", (p) => (p.generatedAt = "2020-01-01T00:00:00.000Z")],
    ["a dropped entry", (p) => p.audit.entries.splice(0, 1)],
  ];
  it.each(tamperings)("changing %s fails verification", (_name, tamper) => {
    const copy = clone(pack);
    tamper(copy);
    const result = verifyEvidencePack(JSON.stringify(copy), KEY);
    expect(result.ok).toBe(false);
  });

  it("re-hashing a changed pack does not help without the key, and the chain still catches a re-signed forgery", () => {
    const copy = clone(pack);
    copy.consents[0]!.buttonLabel = "Buy";
    // An attacker recomputes packHash (plain SHA-256) but cannot sign it.
    const { packHash: _h, mac: _m, ...body } = copy;
    const rehashed = { ...copy, packHash: verifyHash(body) };
    const r1 = verifyEvidencePack(JSON.stringify(rehashed), KEY);
    expect(r1).toMatchObject({ ok: false });
    expect((r1 as { problems: string[] }).problems.join("\n")).toMatch(/signature is invalid/);
    expect((r1 as { problems: string[] }).problems.join("\n")).toMatch(/differs from its audit entry/);
    // Someone holding the key re-signs a forged audit entry: the recomputed chain still fails.
    const forged = clone(pack);
    forged.audit.entries[0]!.action = "something.else";
    const { packHash: _h2, mac: _m2, ...forgedBody } = forged;
    const hash = verifyHash(forgedBody);
    const resigned = { ...forged, packHash: hash, mac: macFor(hash) };
    const r2 = verifyEvidencePack(JSON.stringify(resigned), KEY);
    expect(r2.ok).toBe(false);
    expect((r2 as { problems: string[] }).problems.join("\n")).toMatch(/does not match its hash/);
    // … and re-signed changed terms no longer match their content hash.
    const terms = clone(pack);
    const renewal = (terms.termsVersions[0]!.terms as { renewal: { automatic: boolean } }).renewal;
    renewal.automatic = !renewal.automatic;
    const { packHash: _h3, mac: _m3, ...termsBody } = terms;
    const termsHash = verifyHash(termsBody);
    const r3 = verifyEvidencePack(JSON.stringify({ ...terms, packHash: termsHash, mac: macFor(termsHash) }), KEY);
    expect((r3 as { problems: string[] }).problems.join("\n")).toMatch(/terms do not match their hash/);
  });

  it("another key does not verify", () => {
    expect(verifyEvidencePack(evidencePackJson(pack), "another-key").ok).toBe(false);
  });
});

const verifyHash = (body: unknown) => createHash("sha256").update(canonicalJson(body)).digest("hex");
const macFor = (hash: string) => createHmac("sha256", KEY).update(`kiln.evidence-pack.v1\n${hash}`).digest("hex");

describe("evidence pack: who may export, and the export is audited", () => {
  it("creators, members and reviewers of another co-op cannot; unknown members are not found", async () => {
    const creator = { userId: w.p.owner.id, coopId: w.p.coop.id, creatorId: w.p.creator.id, role: "creator_owner" };
    await expect(buildEvidencePack(rt, creator, { tierId: w.tier.id }, opts)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(buildEvidencePack(rt, { userId: w.p.member.id }, { tierId: w.tier.id }, opts)).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const other = await createCoopWithPeople(rt);
    const otherReviewer = { userId: other.reviewer.id, coopId: other.coop.id, role: "compliance_reviewer" };
    for (const scope of [
      { tierId: w.tier.id },
      { subscriptionId: w.subscription.id },
      { memberUserId: w.p.member.id },
      { memberEmail: w.p.member.email },
    ])
      await expect(buildEvidencePack(rt, otherReviewer, scope, opts)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(buildEvidencePack(rt, w.reviewer, { memberEmail: "nobody@example.test" }, opts)).rejects.toMatchObject(
      { code: "NOT_FOUND" },
    );
    await expect(buildEvidencePack(rt, w.reviewer, {}, opts)).rejects.toMatchObject({ code: "BAD_INPUT" });
    // A tier of this co-op without any consent still has a pack (its terms versions).
    const empty = await createSubscriptionTier(rt, {
      coopId: w.p.coop.id,
      creatorId: w.p.creator.id,
      jurisdictions: ["DE"],
    });
    const emptyPack = await buildEvidencePack(rt, w.reviewer, { tierId: empty.id }, opts);
    expect(emptyPack.consents).toEqual([]);
  });

  it("each export is an audit entry naming who exported which pack in which format", async () => {
    const out = await exportEvidencePack(
      rt,
      w.reviewer,
      { subscriptionId: w.subscription.id },
      { ...opts, format: "json" },
    );
    const entries = await withSystem(rt, "test", (tx) =>
      tx
        .select()
        .from(schema.auditLog)
        .where(
          and(eq(schema.auditLog.coopId, w.p.coop.id), eq(schema.auditLog.action, "rights.evidence_pack_exported")),
        ),
    );
    expect(entries.at(-1)).toMatchObject({
      actorUserId: w.reviewer.userId,
      subjectType: "evidence_pack",
      subjectId: out.pack.packHash,
      data: { format: "json", scope: "subscription", scopeId: w.subscription.id },
    });
    // The export entry is not about the member's records: a later pack does not list it, and verifies.
    const next = await buildEvidencePack(rt, w.reviewer, { subscriptionId: w.subscription.id }, opts);
    expect(next.audit.relevantSeqs).not.toContain(entries.at(-1)!.seq);
    expect(verifyEvidencePack(evidencePackJson(next), KEY).ok).toBe(true);
  });

  it("IP and user agent appear only while retained", async () => {
    const live = await subscribedMember();
    const local = options();
    rt.clock.advance(8 * 365 * 86_400_000);
    try {
      await eraseExpiredConsentData(rt);
      const after = await buildEvidencePack(rt, live.reviewer, { subscriptionId: live.subscription.id }, local);
      expect(after.consents[0]).toMatchObject({ personalData: null, personalDataErased: true });
      expect(evidencePackJson(after)).not.toContain("203.0.113.9");
      expect(verifyEvidencePack(evidencePackJson(after), KEY).ok).toBe(true);
    } finally {
      rt.clock.advance(-8 * 365 * 86_400_000);
    }
  });
});

describe("evidence pack: the rights flows' records", () => {
  it("holds the notices sent, the withdrawal and its refund, with their audit entries, and verifies", async () => {
    const live = await subscribedMember();
    await runNoticeSweep(rt, { appUrl: "http://kiln.test", coopId: live.p.coop.id });
    const answer = await submitWithdrawal(
      rt,
      world.stripe,
      {
        name: "Mia Muster",
        order: live.subscription.id,
        email: live.p.member.email,
        submission: `evidence-${crypto.randomUUID()}`,
        locale: "de",
      },
      { receiptKey: "evidence-test-receipt-key" },
    );
    expect(answer.status).toBe("received");
    const local = options();
    const p = await buildEvidencePack(rt, live.reviewer, { subscriptionId: live.subscription.id }, local);
    const ack = p.notices!.find((n) => n.kind === "acknowledgment");
    expect(ack).toMatchObject({ status: "sent", channel: "email", language: "de" });
    expect(ack!.templateVersion).toBeTruthy();
    expect(p.withdrawals).toEqual([expect.objectContaining({ outcome: "accepted", name: "Mia Muster" })]);
    expect(p.refunds).toHaveLength(1);
    // Their audit entries are in the proof.
    const relevant = p.audit.entries.filter((e) => p.audit.relevantSeqs.includes(e.seq));
    expect(relevant.map((e) => e.action)).toEqual(expect.arrayContaining(["rights.notice_sent", "rights.refund_due"]));
    expect(relevant.find((e) => e.action === "rights.notice_sent")!.subjectId).toBe(ack!.id);
    expect(verifyEvidencePack(evidencePackJson(p), KEY)).toMatchObject({ ok: true });
    // The PDF shows them.
    const text = pdfText(await renderEvidencePdf(p, "de"));
    expect(text).toContain("Versandte Mitteilungen");
    expect(text).toContain("acknowledgment");
    expect(text).toContain((ack!.id as string).slice(0, 8));
    expect(text).toContain("Widerrufe");
  });
});

describe("acceptance: an evidence pack opens as a PDF and its JSON verifies against the audit chain", () => {
  it("the PDF loads, renders in Chromium with its pages, and the JSON verifies while a modified one does not", async () => {
    for (const locale of ["en", "de"] as const) {
      const out = await exportEvidencePack(
        rt,
        w.reviewer,
        { memberEmail: w.p.member.email },
        { ...opts, format: "pdf", locale },
      );
      expect(out.format).toBe("pdf");
      const pdf = out.body as Uint8Array;
      expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe("%PDF-");
      const info = await readEvidencePdf(pdf);
      expect(info.pages).toBeGreaterThanOrEqual(2);
      expect(info.packHash).toBe(out.pack.packHash);
      const text = pdfText(pdf);
      expect(text).toContain(locale === "de" ? "Nachweispaket" : "Evidence pack");
      expect(text).toContain(locale === "de" ? `Seite 1 von ${info.pages}` : `Page 1 of ${info.pages}`);
      expect(text).toContain(out.pack.packHash);
      expect(text).toContain(String(out.pack.consents[0]!.buttonLabel));
      if (locale === "en") await renderedPages(pdf, info.pages, "Evidence pack");
      expect(verifyEvidencePack(evidencePackJson(out.pack), KEY).ok).toBe(true);
      const modified = clone(out.pack);
      modified.subscriptions[0]!.cancelAtPeriodEnd = true;
      expect(verifyEvidencePack(JSON.stringify(modified), KEY).ok).toBe(false);
    }
  });
});

/** The text drawn in a pdf-lib PDF: its content streams inflated, hex strings of Tj decoded (WinAnsi ≈ latin1). */
function pdfText(pdf: Uint8Array): string {
  const raw = Buffer.from(pdf).toString("latin1");
  const out: string[] = [];
  const re = /stream\r?\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(raw))) {
    const start = m.index + m[0].length;
    const end = raw.indexOf("endstream", start);
    let content: string;
    try {
      content = inflateSync(Buffer.from(raw.slice(start, end), "latin1")).toString("latin1");
    } catch {
      continue;
    }
    for (const t of content.matchAll(/<([0-9A-Fa-f]*)> Tj/g)) out.push(Buffer.from(t[1]!, "hex").toString("latin1"));
  }
  return out.join("\n");
}

/** Opens the PDF in Chromium's own viewer (served over HTTP as a download would be) and reads its toolbar. */
async function renderedPages(pdf: Uint8Array, pages: number, title: string) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/pdf" });
    res.end(Buffer.from(pdf));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const response = await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/pack.pdf`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.frames().some((f) => f.url().startsWith("chrome-extension://"))).toBe(true);
    const viewer = page.frames().find((f) => f.url().startsWith("chrome-extension://"))!;
    await expect.poll(() => viewer.locator("#pagelength").first().innerText(), { timeout: 15_000 }).toBe(String(pages));
    await expect.poll(() => viewer.locator("#title").first().innerText(), { timeout: 15_000 }).toContain(title);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
