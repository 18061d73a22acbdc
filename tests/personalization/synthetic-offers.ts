/**
 * A synthetic offer world with known structure, for the trainer's tests: members with latent tag
 * tastes, products with tags and very unequal popularity, exposures of 8 offers each over 90 days.
 * Whether a member takes an offer depends on both their taste and the product's popularity, so a
 * model that reads the taste features must beat "most bought first". Features come from the real
 * feature spec (serverFeatures/deviceFeatures) over the history as of each exposure.
 */
import {
  deviceFeatures,
  serverFeatures,
  type DeviceView,
  type MemberHistory,
  type OfferAttributes,
} from "@kiln/personalization";
import { seededRandom } from "../../packages/personalization/src/train/random";
import type { TrainingExample } from "../../packages/personalization/src/types";

const TAGS = ["linen", "denim", "wool", "print", "ceramic", "leather"];

export function syntheticOfferWorld(options: {
  seed: number;
  members?: number;
  products?: number;
  days?: number;
}): TrainingExample[] {
  const random = seededRandom(options.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const start = Date.parse("2026-08-01T00:00:00Z");
  const productCount = options.products ?? 40;
  const products = Array.from({ length: productCount }, (_, i) => {
    const tags = [pick(TAGS)];
    if (random() < 0.4) tags.push(pick(TAGS));
    const offer: OfferAttributes = {
      offerId: `offer-${String(i).padStart(3, "0")}`,
      productId: `product-${String(i).padStart(3, "0")}`,
      creatorId: `creator-${i % 4}`,
      tags: [...new Set(tags)],
      priceMinor: 1500 + Math.floor(random() * 20000),
      minorPerMajor: 100,
      memberOnly: random() < 0.3,
      restock: random() < 0.2,
      quantity: 100,
      remaining: Math.floor(random() * 100),
      recentClaims: 0,
      maxTierRank: 2,
    };
    // Zipf-like appeal: a few products everyone likes a bit more.
    return { offer, appeal: 1.6 / Math.sqrt(i + 1) };
  });
  const memberCount = options.members ?? 250;
  const examples: TrainingExample[] = [];
  for (let m = 0; m < memberCount; m++) {
    const memberId = `member-${String(m).padStart(4, "0")}`;
    const likes = new Set([pick(TAGS), pick(TAGS)]);
    const history: MemberHistory = { purchases: [], waitlistedProductIds: [], tierRankByCreator: {} };
    const purchases = history.purchases as MemberHistory["purchases"][number][];
    const views: DeviceView[] = [];
    const hasDevice = random() < 0.7;
    const days = options.days ?? 90;
    const times = Array.from({ length: 6 }, () => start + Math.floor(random() * days * 86_400_000)).sort(
      (a, b) => a - b,
    );
    for (const [session, time] of times.entries()) {
      const shownAt = new Date(time);
      // Browsing before the exposure: mostly products with liked tags.
      for (let v = 0; v < 3; v++) {
        const liked = products.filter((p) => p.offer.tags.some((t) => likes.has(t)));
        const viewed = random() < 0.75 && liked.length ? pick(liked) : pick(products);
        views.push({ productId: viewed.offer.productId, tags: viewed.offer.tags, dwellMs: 20_000 + random() * 60_000 });
      }
      const shown = new Set<number>();
      while (shown.size < 8) shown.add(Math.floor(random() * products.length));
      const listId = `${memberId}-list-${session}`;
      const taken: typeof products = [];
      for (const index of [...shown].sort((a, b) => a - b)) {
        const { offer, appeal } = products[index]!;
        const match = offer.tags.some((t) => likes.has(t)) ? 1 : 0;
        const p = 1 / (1 + Math.exp(-(-3.2 + 2.6 * match + appeal)));
        const label = random() < p ? 1 : 0;
        examples.push({
          listId,
          memberId,
          offerId: offer.offerId,
          productId: offer.productId,
          shownAt,
          features: [...serverFeatures(history, offer), ...deviceFeatures(hasDevice ? views : null, offer)],
          label,
        });
        if (label) taken.push(products[index]!);
      }
      for (const t of taken)
        purchases.push({
          productId: t.offer.productId,
          creatorId: t.offer.creatorId,
          tags: t.offer.tags,
          returned: false,
        });
    }
  }
  return examples;
}
