import { eq, sql } from "drizzle-orm";
import { hashPassword } from "@kiln/auth";
import { sampleTermsData, seedMemberConsent, seedTierWithTerms, type OrderPageRenderer } from "@kiln/compliance";
import { schema, type Tx } from "@kiln/db";
import { serverFeatures, type MemberHistory, type OfferAttributes } from "@kiln/personalization/features";

/**
 * Personalised-offers history with a known structure (issue 9 §4): a taste panel of members, each with
 * a hidden taste over style groups, eight weeks of past (closed) drops of tagged products, the offer
 * lists they were shown (with the server features as of that moment), page views for the members who
 * consented to share them, and claims and orders that follow the tastes: the chance of claiming rises
 * with how well an offer matches the member's taste, on top of each product's general appeal (a few
 * products are liked by nearly everybody, a few by nearly nobody), with noise; mismatches are
 * returned more often. One creator sells two membership tiers (ranks 1 and 2, published through the
 * compliance workflow): some panel members subscribe at some point (consent, price and subscription
 * rows as the order flow leaves them), some of that creator's drops are member-only and small, and
 * members who miss a sold-out drop they wanted join its waitlist (some leave it later); subscribers
 * claim a little more from their creator and waitlisted members claim the product's restock more.
 * Bestsellers are restocked more often. So popularity alone ranks better than chance (held-out AUC
 * about 0.62 on the demo), and a ranker that also learns the taste signal from the features (tag
 * affinity of past claims, of viewed products) beats it (about 0.80).
 *
 * Deterministic for a seed and `now`. The history uses its own closed drops, so the demo's open drops
 * (and the e2e journeys on them) are untouched; a few open drops of tagged products are added for the
 * storefront's ranked offers. The server features are computed with the feature spec's
 * `serverFeatures` over the simulated history as of each list's moment, the same facts
 * `loadMemberHistories`/`loadOfferAttributes` read back (tests/personalization/seed.test.ts checks it).
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Style groups: a product carries tags of one group (sometimes one tag of another). */
export const TASTE_GROUPS = [
  ["botanical", "pastel", "floral"],
  ["monochrome", "minimal", "geometric"],
  ["retro", "bold", "neon"],
  ["earthy", "ceramic", "rustic"],
] as const;

export interface PersonalizationSeedOptions {
  coopId: string;
  /** Creators whose storefronts show the offers (two or more). */
  creatorIds: readonly string[];
  /** The factory orders are routed to. */
  factoryId: string;
  now: Date;
  seed?: number;
  members?: number;
  weeks?: number;
  /** Email domain of the panel members (their password is `password`). */
  emailDomain?: string;
  password: string;
  /**
   * The creator (one of `creatorIds`) whose two membership tiers the panel subscribes to: its owner
   * drafts and publishes them, the co-op's compliance reviewer approves, judged on the real order page.
   */
  membership: {
    creatorId: string;
    ownerUserId: string;
    reviewerUserId: string;
    renderOrderPage: OrderPageRenderer;
  };
}

export interface PersonalizationSeedResult {
  members: number;
  products: number;
  drops: number;
  exposures: number;
  items: number;
  claims: number;
  returns: number;
  views: number;
  consentingMembers: number;
  openDrops: number;
  subscribers: number;
  memberOnlyDrops: number;
  waitlistJoins: number;
}

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic UUID (v4 layout) from the generator, so ids are stable for a seed. */
function uuidFrom(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  hex[12] = "4";
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A row as json_populate_recordset reads it: snake_case keys, dates as ISO strings, no undefined. */
function snakeCaseRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === undefined) continue;
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const isoWeek = (d: Date) => {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / DAY + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
};

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface SimProduct {
  id: string;
  creatorId: string;
  group: number;
  tags: string[];
  priceMinor: number;
  /** General appeal, the same for everyone (what popularity captures). */
  appeal: number;
  title: string;
  sku: string;
}
interface SimDrop {
  id: string;
  /** Tiers whose members may claim (member-only); empty: any member. */
  tierIds: string[];
  /** Creation order: the storefront's tie-break (ids differ between co-ops, the order must not). */
  index: number;
  product: SimProduct;
  opensAt: Date;
  closesAt: Date;
  quantity: number;
  taken: number;
  open: boolean;
}
interface SimClaim {
  id: string;
  memberId: string;
  drop: SimDrop;
  at: Date;
  returnedAt: Date | null;
}

const PRODUCT_NOUNS = ["print", "mug", "tote", "poster", "scarf", "card set", "vase", "tee"];
const GROUP_NAMES = ["Garden", "Line", "Arcade", "Clay"];
/** The membership creator's tiers: name, rank, monthly price in cents. */
const PANEL_TIERS = [
  { name: "Studio Friends", rank: 1, amountMinor: 500 },
  { name: "Studio Patrons", rank: 2, amountMinor: 1500 },
] as const;

/**
 * Seeds the history inside the caller's system transaction; the products, drops, exposures, claims,
 * orders, views and consents are all in `coopId`.
 */
export async function seedPersonalizationHistory(
  tx: Tx,
  options: PersonalizationSeedOptions,
): Promise<PersonalizationSeedResult> {
  const rand = seededRandom(options.seed ?? 20261130);
  // Ids come from their own stream, keyed by the co-op too: the same seed in two co-ops (tests
  // sharing a database) gives the same history with different ids.
  const idRand = seededRandom((options.seed ?? 20261130) ^ hashString(options.coopId));
  const newId = () => uuidFrom(idRand);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const { coopId, creatorIds, factoryId } = options;
  const weeks = options.weeks ?? 8;
  const memberCount = options.members ?? 60;
  const domain = options.emailDomain ?? "panel.kiln.demo";
  const dayZero = new Date(Math.floor(options.now.getTime() / DAY) * DAY - weeks * 7 * DAY);
  const membershipCreatorId = options.membership.creatorId;
  if (!creatorIds.includes(membershipCreatorId))
    throw new Error("seedPersonalizationHistory: the membership creator must be one of creatorIds");

  // Members: a taste over the groups, one of them dominant; about half share page views.
  const passwordHash = await hashPassword(options.password);
  const members = Array.from({ length: memberCount }, (_, i) => {
    const favourite = i % TASTE_GROUPS.length;
    const second = (favourite + 1 + Math.floor(rand() * (TASTE_GROUPS.length - 1))) % TASTE_GROUPS.length;
    const taste = TASTE_GROUPS.map((_, g) => (g === favourite ? 1 : g === second ? 0.35 : 0) + 0.1 * rand());
    return {
      id: newId(),
      email: `panel-${String(i + 1).padStart(2, "0")}@${domain}`,
      taste,
      consents: rand() < 0.5,
      activity: 0.2 + 0.3 * rand(),
    };
  });
  await tx.insert(schema.users).values(
    members.map((m, i) => ({
      id: m.id,
      email: m.email,
      displayName: `Panel member ${i + 1}`,
      passwordHash,
      emailVerifiedAt: dayZero,
      locale: "en",
      country: "DE",
    })),
  );

  // Membership: the creator's two tiers, published a month before the history starts; about a third
  // of the panel subscribes at some point (some before the history, most during it), as the order
  // flow records it: consent at the order button (X-C4), the synced price, an active subscription.
  const tierAt = new Date(dayZero.getTime() - 30 * DAY);
  const tiers: Array<{ id: string; rank: number; priceId: string; termsVersionId: string }> = [];
  for (const spec of PANEL_TIERS) {
    const base = sampleTermsData();
    const seeded = await seedTierWithTerms(
      tx,
      {
        coopId,
        creatorId: membershipCreatorId,
        name: spec.name,
        jurisdictions: ["DE"],
        terms: {
          ...base,
          productDescription: `${spec.name}: a members' print every month and access to member-only drops`,
          price: { ...base.price, amountMinor: spec.amountMinor },
        },
        ownerUserId: options.membership.ownerUserId,
        reviewerUserId: options.membership.reviewerUserId,
        stage: "live",
      },
      options.membership.renderOrderPage,
      tierAt,
    );
    await tx
      .update(schema.subscriptionTiers)
      .set({ rank: spec.rank, benefits: ["Member-only drops"] })
      .where(eq(schema.subscriptionTiers.id, seeded.tier.id));
    const [price] = await tx
      .insert(schema.tierPrices)
      .values({
        coopId,
        creatorId: membershipCreatorId,
        tierId: seeded.tier.id,
        termsVersionId: seeded.version.id,
        currency: "eur",
        amountMinor: spec.amountMinor,
        taxInclusive: true,
        interval: "month",
        stripePriceId: `price_panel_${seeded.tier.id}`,
        createdAt: tierAt,
      })
      .returning({ id: schema.tierPrices.id });
    tiers.push({ id: seeded.tier.id, rank: spec.rank, priceId: price!.id, termsVersionId: seeded.version.id });
  }
  const subscriptionByMember = new Map<string, { rank: number; from: Date }>();
  const joins = members.flatMap((member) => {
    if (rand() >= 0.35) return [];
    const tier = tiers[rand() < 0.6 ? 0 : 1]!;
    const from = new Date(
      dayZero.getTime() + (Math.floor(rand() * weeks * 7 * 0.7) - 14) * DAY + (9 + Math.floor(rand() * 10)) * HOUR,
    );
    return [{ member, tier, from }];
  });
  // In the order they joined, so the audit log's consent entries are in time order too.
  joins.sort((a, b) => a.from.getTime() - b.from.getTime());
  for (const { member, tier, from } of joins) {
    subscriptionByMember.set(member.id, { rank: tier.rank, from });
    const consent = await seedMemberConsent(
      tx,
      {
        memberUserId: member.id,
        tierId: tier.id,
        termsVersionId: tier.termsVersionId,
        jurisdiction: "DE",
        locale: "en",
        ip: "203.0.113.50",
        userAgent: "Mozilla/5.0 (X11; Linux x86_64) Kiln demo panel",
      },
      from,
    );
    // Renewed monthly since: the current period ends within the next 30 days.
    const periods = Math.floor((options.now.getTime() - from.getTime()) / (30 * DAY)) + 1;
    await tx.insert(schema.subscriptions).values({
      coopId,
      creatorId: membershipCreatorId,
      memberUserId: member.id,
      tierId: tier.id,
      tierPriceId: tier.priceId,
      consentId: consent.id,
      stripeAccountId: "acct_demo_panel",
      stripeCustomerId: `cus_panel_${member.id.slice(0, 8)}`,
      stripeSubscriptionId: `sub_panel_${consent.id}`,
      status: "active",
      currentPeriodEnd: new Date(from.getTime() + periods * 30 * DAY),
      createdAt: from,
      updatedAt: from,
    });
  }
  // Every creator's highest published rank, as the storefront reads it (other tiers count too).
  const rankRows = await tx.execute<{ creator_id: string; max_rank: number }>(
    sql`select creator_id, max(rank)::int as max_rank from subscription_tiers
        where coop_id = ${coopId} and status <> 'draft' group by creator_id`,
  );
  const maxTierRankBy = new Map(rankRows.map((r) => [r.creator_id, Math.max(0, Number(r.max_rank))]));
  const tierIds = tiers.map((t) => t.id);

  // Products: six per group, spread over the creators, each with a general appeal: in every group a
  // bestseller and a runner-up almost everybody likes, a dud almost nobody does, the rest in between
  // (which is which rotates with the group, so no position in a line is always the hit).
  const APPEAL_BY_RANK = [3.6, 2.2, 0.65, -0.65, -2.2, -3.6];
  const appealOf = (index: number) => APPEAL_BY_RANK[(index + Math.floor(index / 6) * 2) % 6]! + 0.25 * normal();
  const products: SimProduct[] = [];
  TASTE_GROUPS.forEach((group, g) => {
    for (let k = 0; k < 6; k++) {
      const tags = [group[k % 3]!, group[(k + 1) % 3]!];
      if (rand() < 0.2) tags.push(pick(pick(TASTE_GROUPS.filter((_, o) => o !== g))));
      const noun = PRODUCT_NOUNS[(g * 6 + k) % PRODUCT_NOUNS.length]!;
      products.push({
        id: newId(),
        creatorId: creatorIds[(g + k) % creatorIds.length]!,
        group: g,
        tags: [...new Set(tags)],
        priceMinor: 1200 + 100 * Math.floor(rand() * 60),
        appeal: appealOf(g * 6 + k),
        title: `${GROUP_NAMES[g]} ${noun} ${k + 1}`,
        sku: `PANEL-${g}-${k}`,
      });
    }
  });
  await tx.insert(schema.products).values(
    products.map((p) => ({
      id: p.id,
      coopId,
      creatorId: p.creatorId,
      title: p.title,
      description: `A ${p.tags.join(", ")} piece from the ${GROUP_NAMES[p.group]} line.`,
      priceMinor: p.priceMinor,
      deliveryMinor: 490,
      currency: "EUR",
      capability: "screenprint",
      sku: p.sku,
      tags: p.tags,
      isPublished: true,
      createdAt: dayZero,
    })),
  );

  // Drops: each product drops and is restocked over the weeks, each drop open up to 14 days; then a
  // few open now for the storefront's ranked offers.
  const drops: SimDrop[] = [];
  for (const product of products) {
    // The first drop in the first three weeks, then a restock every two to three weeks, more likely
    // the broader the product's appeal (bestsellers come back, duds rarely do).
    const first = Math.floor(rand() * Math.min(21, weeks * 7 - 3));
    const starts = [first];
    for (let next = first + 14 + Math.floor(rand() * 8); next < weeks * 7 - 3; next += 14 + Math.floor(rand() * 8))
      if (rand() < sigmoid(product.appeal + 0.5)) starts.push(next);
    for (const start of starts) {
      const opensAt = new Date(dayZero.getTime() + start * DAY + 9 * HOUR);
      const closesAt = new Date(Math.min(opensAt.getTime() + 14 * DAY, options.now.getTime() - HOUR));
      // About half of the membership creator's drops are for its members.
      const memberOnly = product.creatorId === membershipCreatorId && rand() < 0.5;
      drops.push({
        id: newId(),
        tierIds: memberOnly ? tierIds : [],
        index: drops.length,
        product,
        opensAt,
        closesAt,
        // Members-only drops are small; now and then a public one is a small edition too.
        quantity: memberOnly ? 5 : rand() < 0.2 ? 12 : 80,
        taken: 0,
        open: false,
      });
    }
  }
  for (const product of products.filter((_, i) => i % 3 === 0)) {
    const opensAt = new Date(options.now.getTime() - 2 * DAY);
    drops.push({
      id: newId(),
      tierIds: [],
      index: drops.length,
      product,
      opensAt,
      // Open for a year: the demo storefronts keep ranked offers while the clock is moved forward
      // (the e2e journeys move it by months through the Stripe emulator).
      closesAt: new Date(options.now.getTime() + 365 * DAY),
      quantity: 50,
      taken: 0,
      open: true,
    });
  }

  // The simulation, day by day: a member visits a creator's storefront, sees its open drops in the
  // storefront's order (by general popularity: what a non-personalised list shows), may view some,
  // and may claim. Everything before a list's moment is its history.
  const claims: SimClaim[] = [];
  const claimsByMember = new Map<string, SimClaim[]>(members.map((m) => [m.id, []]));
  const viewRows: Array<typeof schema.productViewEvents.$inferInsert> = [];
  const viewedByMember = new Map<string, Set<string>>(members.map((m) => [m.id, new Set()]));
  const exposureRows: Array<typeof schema.offerExposures.$inferInsert> = [];
  const itemRows: Array<typeof schema.offerExposureItems.$inferInsert> = [];
  const firstDropAt = new Map<string, number>();
  for (const d of drops)
    firstDropAt.set(d.product.id, Math.min(firstDropAt.get(d.product.id) ?? Infinity, d.opensAt.getTime()));
  const match = (m: (typeof members)[number], p: SimProduct) => m.taste[p.group]!;
  // Waitlist joins: a member who wanted a sold-out drop; some leave the list later.
  interface SimWaitlistEntry {
    id: string;
    memberId: string;
    drop: SimDrop;
    at: Date;
    leftAt: Date | null;
  }
  const waitlist: SimWaitlistEntry[] = [];
  const rankAt = (memberId: string, at: Date) => {
    const sub = subscriptionByMember.get(memberId);
    return sub && sub.from.getTime() <= at.getTime() ? sub.rank : undefined;
  };
  const waitingAt = (memberId: string, at: Date) =>
    waitlist
      .filter(
        (w) =>
          w.memberId === memberId &&
          w.at.getTime() < at.getTime() &&
          (w.leftAt === null || w.leftAt.getTime() > at.getTime()),
      )
      .map((w) => w.drop.product.id);

  const historyAt = (memberId: string, at: Date): MemberHistory => ({
    purchases: (claimsByMember.get(memberId) ?? [])
      .filter((c) => c.at.getTime() < at.getTime() && c.at.getTime() >= at.getTime() - 180 * DAY)
      .map((c) => ({
        productId: c.drop.product.id,
        creatorId: c.drop.product.creatorId,
        tags: c.drop.product.tags,
        returned: c.returnedAt !== null && c.returnedAt.getTime() <= at.getTime(),
      })),
    waitlistedProductIds: waitingAt(memberId, at),
    tierRankByCreator: rankAt(memberId, at) === undefined ? {} : { [membershipCreatorId]: rankAt(memberId, at)! },
  });
  const offerAt = (d: SimDrop, at: Date): OfferAttributes => ({
    offerId: d.id,
    productId: d.product.id,
    creatorId: d.product.creatorId,
    tags: d.product.tags,
    priceMinor: d.product.priceMinor,
    minorPerMajor: 100,
    memberOnly: d.tierIds.length > 0,
    restock: (firstDropAt.get(d.product.id) ?? Infinity) < d.opensAt.getTime(),
    quantity: d.quantity,
    remaining: Math.max(0, d.quantity - claims.filter((c) => c.drop === d && c.at.getTime() < at.getTime()).length),
    recentClaims: claims.filter(
      (c) =>
        c.drop.product.id === d.product.id &&
        c.at.getTime() < at.getTime() &&
        c.at.getTime() >= at.getTime() - 30 * DAY,
    ).length,
    maxTierRank: maxTierRankBy.get(d.product.creatorId) ?? 0,
  });

  const consentAt = new Date(dayZero.getTime() - DAY);
  const arms = ["device", "server", "holdout"] as const;
  // The visits first, then played in time order: every list then sees exactly the claims made before it.
  const visits: Array<{ member: (typeof members)[number]; order: number; shownAt: Date; creatorId: string }> = [];
  for (let day = 0; day < weeks * 7; day++) {
    for (const member of members) {
      if (rand() > member.activity) continue;
      const shownAt = new Date(
        dayZero.getTime() + day * DAY + (8 + Math.floor(rand() * 12)) * HOUR + Math.floor(rand() * HOUR),
      );
      if (shownAt.getTime() >= options.now.getTime() - HOUR) continue;
      visits.push({ member, order: visits.length, shownAt, creatorId: pick(creatorIds) });
    }
  }
  visits.sort((a, b) => a.shownAt.getTime() - b.shownAt.getTime() || a.order - b.order);
  {
    for (const { member, shownAt, creatorId } of visits) {
      const open = drops.filter(
        (d) =>
          !d.open &&
          d.product.creatorId === creatorId &&
          d.opensAt.getTime() <= shownAt.getTime() &&
          d.closesAt.getTime() > shownAt.getTime(),
      );
      if (open.length === 0) continue;
      const offers = open.map((d) => offerAt(d, shownAt));
      const history = historyAt(member.id, shownAt);
      // The storefront's non-personalised order: recent claims, then id.
      const order = open
        .map((d, i) => ({ d, offer: offers[i]! }))
        .sort((a, b) => b.offer.recentClaims - a.offer.recentClaims || a.d.index - b.d.index);
      const exposureId = newId();
      // No model existed yet: every arm saw the storefront's order; the device arm's browsers reported
      // serving it themselves unless they could not.
      const assignedArm = arms[Math.floor(rand() * 3)]!;
      const deviceServed = assignedArm === "device" && rand() < 0.85;
      exposureRows.push({
        id: exposureId,
        coopId,
        creatorId,
        memberUserId: member.id,
        // Not the live experiment's key (experimentKey(coopId, version)): this is history from before any
        // model, when every arm saw the same order, so it trains the ranker but stays out of the uplift report.
        experimentKey: "offers-2026",
        assignedArm,
        servedArm: assignedArm === "holdout" ? "holdout" : deviceServed ? "device" : "server",
        fallbackReason: assignedArm === "device" && !deviceServed ? "no-webassembly" : null,
        modelVersion: null,
        shownAt,
        createdAt: shownAt,
        updatedAt: shownAt,
      });
      for (const [position, { d, offer }] of order.entries()) {
        itemRows.push({
          exposureId,
          position,
          coopId,
          creatorId,
          memberUserId: member.id,
          dropId: d.id,
          productId: d.product.id,
          serverFeatures: serverFeatures(history, offer),
        });
      }
      // Consenting members look at a few products first (taste-biased), with dwell that follows taste.
      if (member.consents) {
        for (const { d } of order) {
          const m = match(member, d.product);
          if (rand() > 0.15 + 0.5 * m) continue;
          const at = new Date(shownAt.getTime() - Math.floor(rand() * 20 + 1) * 60_000);
          viewRows.push({
            id: newId(),
            coopId,
            creatorId,
            memberUserId: member.id,
            productId: d.product.id,
            dwellMs: Math.round(Math.min(600_000, 5_000 + 90_000 * m * (0.5 + rand()))),
            occurredAt: at,
            createdAt: at,
          });
          viewedByMember.get(member.id)!.add(d.product.id);
        }
      }
      // Claims: the taste match drives the chance, the product's general appeal about as much; a
      // subscriber favours the creator, a waitlisted member the product; position adds a little. Only
      // entitled members claim member-only drops; one who wanted a sold-out drop joins its waitlist.
      let claimed = 0;
      const rank = rankAt(member.id, shownAt);
      const waiting = new Set(history.waitlistedProductIds as string[]);
      for (const [position, { d }] of order.entries()) {
        if (claimed >= 2) continue;
        if (d.tierIds.length > 0 && rank === undefined) continue;
        const m = match(member, d.product);
        const already = history.purchases.some((p) => p.productId === d.product.id);
        const logit =
          -5 +
          3.4 * m +
          d.product.appeal +
          (rank !== undefined && d.product.creatorId === membershipCreatorId ? 0.3 + 0.2 * rank : 0) +
          (waiting.has(d.product.id) ? 1 : 0) -
          0.15 * position -
          (already ? 1.5 : 0) +
          0.4 * normal();
        if (rand() >= sigmoid(logit)) continue;
        if (d.taken >= d.quantity) {
          if (!waitlist.some((w) => w.drop === d && w.memberId === member.id)) {
            const at = new Date(shownAt.getTime() + Math.floor(1 + rand() * 10) * 60_000);
            const leaves = rand() < 0.3 ? new Date(at.getTime() + Math.floor(2 + rand() * 8) * DAY) : null;
            if (at.getTime() < options.now.getTime() - HOUR)
              waitlist.push({
                id: newId(),
                memberId: member.id,
                drop: d,
                at,
                leftAt: leaves && leaves.getTime() < options.now.getTime() ? leaves : null,
              });
          }
          continue;
        }
        const at = new Date(shownAt.getTime() + Math.floor(2 + rand() * 60 * 48) * 60_000);
        if (at.getTime() >= options.now.getTime() - HOUR || at.getTime() >= d.closesAt.getTime()) continue;
        const returnChance = m >= 0.9 ? 0.04 : m >= 0.3 ? 0.12 : 0.4;
        const returnedAt = rand() < returnChance ? new Date(at.getTime() + 12 * DAY) : null;
        const claim: SimClaim = {
          id: newId(),
          memberId: member.id,
          drop: d,
          at,
          returnedAt: returnedAt && returnedAt.getTime() < options.now.getTime() ? returnedAt : null,
        };
        d.taken++;
        claimed++;
        claims.push(claim);
        claimsByMember.get(member.id)!.push(claim);
      }
    }
  }
  // Claims are appended in list order, not time order; the features above read them by time.

  // Thousands of rows: one JSON parameter per statement (a bound parameter per value is slow on the
  // embedded server).
  const chunk = async (rows: Array<Record<string, unknown>>, table: string) => {
    for (let i = 0; i < rows.length; i += 2000) {
      const part = rows.slice(i, i + 2000).map(snakeCaseRow);
      const columns = sql.join(
        Object.keys(part[0]!).map((c) => sql.identifier(c)),
        sql`, `,
      );
      await tx.execute(
        sql`insert into ${sql.identifier(table)} (${columns}) select ${columns} from json_populate_recordset(null::${sql.identifier(table)}, ${JSON.stringify(part)}::json)`,
      );
    }
  };
  await chunk(
    drops.map((d) => ({
      id: d.id,
      coopId,
      creatorId: d.product.creatorId,
      productId: d.product.id,
      title: `${d.product.title} drop`,
      quantity: d.quantity,
      capability: "screenprint",
      period: isoWeek(d.opensAt),
      opensAt: d.opensAt,
      closesAt: d.closesAt,
      tierIds: d.tierIds,
      isPublished: true,
      createdAt: new Date(d.opensAt.getTime() - DAY),
    })),
    "drops",
  );
  await chunk(
    drops.map((d) => ({
      dropId: d.id,
      bucket: 0,
      coopId,
      creatorId: d.product.creatorId,
      remaining: d.quantity - d.taken,
    })),
    "drop_stock",
  );
  const consenting = members.filter((m) => m.consents);
  if (consenting.length > 0)
    await tx
      .insert(schema.personalizationConsents)
      .values(
        consenting.map((m) => ({ id: newId(), coopId, creatorId: null, memberUserId: m.id, grantedAt: consentAt })),
      );
  if (waitlist.length > 0)
    await chunk(
      waitlist.map((w) => ({
        id: w.id,
        coopId,
        creatorId: w.drop.product.creatorId,
        dropId: w.drop.id,
        memberUserId: w.memberId,
        status: w.leftAt ? "left" : "waiting",
        createdAt: w.at,
        updatedAt: w.leftAt ?? w.at,
      })),
      "drop_waitlist",
    );
  await chunk(exposureRows, "offer_exposures");
  await chunk(itemRows, "offer_exposure_items");
  await chunk(viewRows, "product_view_events");

  const address = {
    name: "Panel member",
    line1: "Musterstr. 1",
    line2: null,
    postalCode: "04109",
    city: "Leipzig",
    country: "DE",
  };
  await chunk(
    claims.map((c) => ({
      id: c.id,
      coopId,
      creatorId: c.drop.product.creatorId,
      dropId: c.drop.id,
      memberUserId: c.memberId,
      quantity: 1,
      status: "confirmed" as const,
      takenFrom: { "0": 1 },
      idempotencyKey: `panel-${c.id}`,
      expiresAt: new Date(c.at.getTime() + 10 * 60_000),
      confirmedAt: new Date(c.at.getTime() + 2 * 60_000),
      createdAt: c.at,
      updatedAt: c.at,
    })),
    "drop_claims",
  );
  const amounts = (c: SimClaim) => ({
    itemsMinor: c.drop.product.priceMinor,
    deliveryMinor: 490,
    totalMinor: c.drop.product.priceMinor + 490,
  });
  await chunk(
    claims.map((c) => ({
      claimId: c.id,
      coopId,
      creatorId: c.drop.product.creatorId,
      memberUserId: c.memberId,
      status: "captured" as const,
      stripeAccountId: "acct_demo_panel",
      stripeCustomerId: `cus_panel_${c.memberId.slice(0, 8)}`,
      stripePaymentIntentId: `pi_panel_${c.id}`,
      currency: "EUR",
      ...amounts(c),
      applicationFeeMinor: Math.round((c.drop.product.priceMinor + 490) * 0.05),
      shippingAddress: address,
      disclosureText: "Seeded history (personalised offers demo)",
      buttonLabel: "Order with obligation to pay",
      locale: "en",
      authorisedAt: c.at,
      capturedAt: new Date(c.at.getTime() + 2 * 60_000),
      createdAt: c.at,
      updatedAt: c.at,
    })),
    "drop_payments",
  );
  await chunk(
    claims.map((c) => {
      const delivered = new Date(c.at.getTime() + 6 * DAY);
      const isDelivered = delivered.getTime() < options.now.getTime();
      return {
        coopId,
        creatorId: c.drop.product.creatorId,
        claimId: c.id,
        dropId: c.drop.id,
        productId: c.drop.product.id,
        memberUserId: c.memberId,
        factoryId,
        quantity: 1,
        currency: "EUR",
        ...amounts(c),
        shippingAddress: address,
        stripePaymentIntentId: `pi_panel_${c.id}`,
        status: c.returnedAt ? ("returned" as const) : isDelivered ? ("delivered" as const) : ("placed" as const),
        placedAt: new Date(c.at.getTime() + 2 * 60_000),
        producedAt: isDelivered ? new Date(c.at.getTime() + 3 * DAY) : null,
        shippedAt: isDelivered ? new Date(c.at.getTime() + 4 * DAY) : null,
        deliveredAt: isDelivered ? delivered : null,
        returnedAt: c.returnedAt,
        createdAt: c.at,
        updatedAt: c.returnedAt ?? c.at,
      };
    }),
    "orders",
  );

  return {
    members: members.length,
    products: products.length,
    drops: drops.length,
    exposures: exposureRows.length,
    items: itemRows.length,
    claims: claims.length,
    returns: claims.filter((c) => c.returnedAt !== null).length,
    views: viewRows.length,
    consentingMembers: consenting.length,
    openDrops: drops.filter((d) => d.open).length,
    subscribers: subscriptionByMember.size,
    memberOnlyDrops: drops.filter((d) => d.tierIds.length > 0).length,
    waitlistJoins: waitlist.length,
  };
}
