import { describe, expect, it } from "vitest";
import { signIn } from "@kiln/auth";
import { decideTermsVersion, termsToForm } from "@kiln/compliance";
import { createCoopWithPeople, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { argsFor, settle, testIp, testRequest, testServices } from "../../app/app/testing/context";
import * as tierPage from "../../app/app/routes/studio.$creatorSlug.tiers.$tierId";
import * as tiersPage from "../../app/app/routes/studio.$creatorSlug.tiers";
import { getTestRuntime } from "../setup/runtime";
import { sampleTermsFor } from "./samples";

const rt = await getTestRuntime("2026-11-29T10:00:00Z");
const services = testServices(rt);

/** The terms form as the creator's browser posts it (unticked boxes are absent). */
function formOf(values: ReturnType<typeof termsToForm>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(values)) {
    if (v === false || v === "" || v === undefined) continue;
    out[k] = v === true ? "on" : v;
  }
  return out;
}

describe("studio: a tier lacking a required element for a jurisdiction it sells to cannot be published", () => {
  it("US-CA X-D1: without the renewal disclosure the gate lists the rule, why and the citation in English and German", async () => {
    const p = await createCoopWithPeople(rt);
    const session = (
      await signIn(rt, { email: p.owner.email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "t" })
    ).token;
    const slug = p.creator.slug;
    const created = await settle(async () =>
      tiersPage.action(
        await argsFor(
          services,
          testRequest(`/studio/${slug}/tiers`, {
            sessionToken: session,
            form: { intent: "create", name: "Zine Club", jurisdictions: ["US-CA"] },
          }),
          { creatorSlug: slug },
        ),
      ),
    );
    expect(created.status).toBe(302);
    const tierId = created.headers.get("Location")!.split("/").pop()!;
    const url = `/studio/${slug}/tiers/${tierId}`;
    const params = { creatorSlug: slug, tierId };
    const post = async (form: Record<string, string | string[]>) =>
      settle(async () =>
        tierPage.action(await argsFor(services, testRequest(url, { sessionToken: session, form }), params)),
      );
    const load = async () =>
      (
        await settle(async () =>
          tierPage.loader(await argsFor(services, testRequest(url, { sessionToken: session }), params)),
        )
      ).body as Awaited<ReturnType<typeof tierPage.loader>>;

    // The creator's terms do not renew automatically, so the order page has no renewal element.
    const values = { ...termsToForm(sampleTermsFor("US-CA").terms), autoRenew: false };
    expect((await post({ intent: "save", ...formOf(values) })).status).toBe(302);
    const draft = await load();
    expect(draft.current?.status).toBe("draft");
    const draftFailing = draft.findings.filter((f) => f.status === "fail").map((f) => `${f.jurisdiction} ${f.ruleId}`);
    expect(draftFailing).toContain("US-CA X-D1");

    expect((await post({ intent: "submit", termsVersionId: draft.current!.id })).status).toBe(302);
    // Even with a reviewer's approval, the gate re-judges the real order page and refuses.
    await decideTermsVersion(
      rt,
      { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" },
      { termsVersionId: draft.current!.id, decision: "approve", comment: "approved to test the gate" },
    );
    const refused = await post({ intent: "publish" });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain("US-CA X-D1");

    const after = await load();
    expect(after.tier.status).toBe("draft");
    expect(after.publish.ok).toBe(false);
    const blocker = after.publish.blockers.find((b) => b.jurisdiction === "US-CA" && b.ruleId === "X-D1")!;
    expect(blocker.citation).toContain("§ 17601(b)");
    expect(blocker.detail).toContain("renewal");
    expect(blocker.message.en).toContain("does not show every required term");
    expect(blocker.message.de).toContain("Pflichtangaben");
    expect(blocker.fix?.de).toContain("Informationsblock");

    // With the element back (a new version, approved), the same creator can publish.
    expect((await post({ intent: "save", ...formOf({ ...values, autoRenew: true }) })).status).toBe(302);
    const v2 = (await load()).current!;
    expect(v2.version).toBe(2);
    expect((await post({ intent: "submit", termsVersionId: v2.id })).status).toBe(302);
    await decideTermsVersion(
      rt,
      { userId: p.reviewer.id, coopId: p.coop.id, role: "compliance_reviewer" },
      { termsVersionId: v2.id, decision: "approve" },
    );
    expect((await post({ intent: "publish" })).status).toBe(302);
    expect((await load()).tier.status).toBe("live");
  });
});
