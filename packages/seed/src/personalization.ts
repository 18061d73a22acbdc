import { sql } from "drizzle-orm";
import { hashPassword } from "@kiln/auth";
import { schema, type Tx } from "@kiln/db";
import { serverFeatures, type MemberHistory, type OfferAttributes } from "@kiln/personalization/features";

/**
 * Personalised-offers history with a known structure (issue 9 §4): a taste panel of members, each with
 * a hidden taste over style groups, eight weeks of past (closed) drops of tagged products, the offer
 * lists they were shown (with the server features as of that moment), page views for the members who
 * consented to share them, and claims and orders that follow the tastes: the chance of claiming rises
 * with how well an offer matches the member's taste, on top of each product's general appeal, with
 * noise; mismatches are returned more often. A ranker that learns the taste signal from the features
 * (tag affinity of past claims, of viewed products) beats a popularity baseline; one that only sees
 * popularity does not.
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

  // Products: six per group, spread over the creators, each with a general appeal.
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
        appeal: normal() * 0.6,
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

  // Drops: each product drops once or twice over the weeks (a second one is a restock), open ~10 days;
  // then a few open now for the storefront's ranked offers.
  const drops: SimDrop[] = [];
  for (const product of products) {
    const first = Math.floor(rand() * (weeks * 7 - 14));
    const starts = [first];
    if (rand() < 0.5 && first + 20 < weeks * 7 - 3) starts.push(first + 14 + Math.floor(rand() * 6));
    for (const start of starts) {
      const opensAt = new Date(dayZero.getTime() + start * DAY + 9 * HOUR);
      const closesAt = new Date(Math.min(opensAt.getTime() + 14 * DAY, options.now.getTime() - HOUR));
      drops.push({ id: newId(), index: drops.length, product, opensAt, closesAt, quantity: 80, taken: 0, open: false });
    }
  }
  for (const product of products.filter((_, i) => i % 3 === 0)) {
    const opensAt = new Date(options.now.getTime() - 2 * DAY);
    drops.push({
      id: newId(),
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

  const historyAt = (memberId: string, at: Date): MemberHistory => ({
    purchases: (claimsByMember.get(memberId) ?? [])
      .filter((c) => c.at.getTime() < at.getTime() && c.at.getTime() >= at.getTime() - 180 * DAY)
      .map((c) => ({
        productId: c.drop.product.id,
        creatorId: c.drop.product.creatorId,
        tags: c.drop.product.tags,
        returned: c.returnedAt !== null && c.returnedAt.getTime() <= at.getTime(),
      })),
    waitlistedProductIds: [],
    tierRankByCreator: {},
  });
  const offerAt = (d: SimDrop, at: Date): OfferAttributes => ({
    offerId: d.id,
    productId: d.product.id,
    creatorId: d.product.creatorId,
    tags: d.product.tags,
    priceMinor: d.product.priceMinor,
    minorPerMajor: 100,
    memberOnly: false,
    restock: (firstDropAt.get(d.product.id) ?? Infinity) < d.opensAt.getTime(),
    quantity: d.quantity,
    remaining: Math.max(0, d.quantity - claims.filter((c) => c.drop === d && c.at.getTime() < at.getTime()).length),
    recentClaims: claims.filter(
      (c) =>
        c.drop.product.id === d.product.id &&
        c.at.getTime() < at.getTime() &&
        c.at.getTime() >= at.getTime() - 30 * DAY,
    ).length,
    maxTierRank: 0,
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
      // Claims: the taste match drives the chance; position and appeal add a little; at most two.
      let claimed = 0;
      for (const [position, { d }] of order.entries()) {
        if (claimed >= 2 || d.taken >= d.quantity) continue;
        const m = match(member, d.product);
        const already = history.purchases.some((p) => p.productId === d.product.id);
        const logit = -4.5 + 3.4 * m + d.product.appeal - 0.15 * position - (already ? 1.5 : 0) + 0.4 * normal();
        if (rand() >= sigmoid(logit)) continue;
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
  };
}
