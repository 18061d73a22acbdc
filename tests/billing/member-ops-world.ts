import { createSubscription, publishTierForSale } from "@kiln/billing";
import { createTermsDraft, decideTermsVersion, submitTermsVersion } from "@kiln/compliance";
import { createSubscriptionTier } from "@kiln/seed";
import { renderOrderPage } from "../../app/app/compliance.server";
import { sampleTermsFor } from "../compliance/samples";
import type { TestRuntime } from "../setup/runtime";
import type { startBillingWorld } from "./world";

type World = Awaited<ReturnType<typeof startBillingWorld>>;
type Live = Awaited<ReturnType<World["liveTier"]>>;

/** Member-operation fixtures on a billing world: a second tier of the same creator, a subscribed member. */
export function memberOpsHelpers(rt: TestRuntime, world: () => World) {
  /** Another live tier of the same creator at `amountMinor` EUR a month, with its own approved terms. */
  async function siblingTier(live: Live, rank: number, amountMinor: number) {
    const tier = await createSubscriptionTier(rt, {
      coopId: live.p.coop.id,
      creatorId: live.p.creator.id,
      jurisdictions: ["DE"],
      rank,
    });
    const base = sampleTermsFor("DE").terms;
    const terms = { ...base, price: { ...base.price, amountMinor } };
    const v = await createTermsDraft(rt, live.creator, { tierId: tier.id, terms });
    await submitTermsVersion(rt, live.creator, { termsVersionId: v.id }, renderOrderPage);
    await decideTermsVersion(
      rt,
      { userId: live.p.reviewer.id, coopId: live.p.coop.id, role: "compliance_reviewer" },
      { termsVersionId: v.id, decision: "approve" },
    );
    const published = await publishTierForSale(rt, world().stripe, live.creator, tier.id, renderOrderPage);
    return { tier: published.tier, price: published.price, version: v, terms };
  }

  /** A member subscribed to `live`'s tier (rank 0, 9,00 EUR) through the real order flow. */
  async function subscribed(live: Live) {
    const member = live.p.member;
    const session = await world().saveCard(member.id, live.tier.id);
    const { subscription } = await createSubscription(
      rt,
      world().stripe,
      { userId: member.id },
      {
        tierId: live.tier.id,
        checkoutSessionId: session,
        termsVersionId: live.version.id,
        consent: world().consentFor(live.terms),
      },
    );
    await world().drain();
    return { member, subscription };
  }

  return { siblingTier, subscribed };
}
