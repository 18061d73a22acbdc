/**
 * The offer ranker's feature spec, implemented once for the browser and the server.
 *
 * Browser-safe: no Node, no database, no server package. The storefront sends each offer with its
 * server-known features already computed (`serverFeatures`); the browser appends the device-only ones
 * from the history it keeps in its own storage (`deviceFeatures`) and never sends that history
 * anywhere. The server, scoring for a member whose device cannot, uses `DEVICE_DEFAULTS`.
 *
 * Changing a feature's meaning, order or scaling is a new `FEATURE_SPEC_VERSION`: a model is only
 * served with the spec version it was trained on (its model card names it).
 */

export const FEATURE_SPEC_VERSION = "offer-features/1";

/** Server-known features: the server has these facts anyway (claims, purchases, tiers, offers). */
export const SERVER_FEATURES = [
  /** Share of the member's claims/purchases (last 180 days) whose product shares a tag with the offer, 0..1. */
  "s_tag_affinity_purchases",
  /** The member has bought this very product before, 0/1. */
  "s_same_product_purchased",
  /** log1p(purchases from this creator) / log1p(20), capped at 1. */
  "s_creator_purchases",
  /** Returned ÷ bought among the member's purchases sharing a tag with the offer, 0..1 (0 with none). */
  "s_tag_return_rate",
  /** The member is entitled to a tier of the offer's creator, 0/1. */
  "s_subscriber",
  /** The member's tier rank ÷ the creator's highest rank, 0..1 (0 when not subscribed). */
  "s_tier_rank",
  /** The member is on a waitlist for this product, 0/1. */
  "s_waitlisted_product",
  /** log1p(gross price in major units) / log1p(1000), capped at 1. */
  "o_price",
  /** log1p(claims of this product, all members, last 30 days) / log1p(1000), capped at 1. */
  "o_popularity",
  /** The offer is member-only (gated to tiers), 0/1. */
  "o_member_only",
  /** The offer is a restock (the product sold before), 0/1. */
  "o_restock",
  /** Sell-through of the offer's drop, 1 − remaining ÷ quantity, 0..1. */
  "o_sellthrough",
] as const;

/** Device-only features: computed in the browser from its own history, never sent. */
export const DEVICE_FEATURES = [
  /** 1 when the device supplied its history, 0 when the defaults are used. */
  "d_present",
  /** Share of products viewed on this device sharing a tag with the offer, 0..1. */
  "d_tag_affinity_views",
  /** log1p(seconds spent on products sharing a tag with the offer) / log1p(600), capped at 1. */
  "d_tag_dwell",
  /** This product was viewed on this device, 0/1. */
  "d_viewed_product",
] as const;

export const FEATURE_NAMES = [...SERVER_FEATURES, ...DEVICE_FEATURES] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;
export const SERVER_FEATURE_COUNT = SERVER_FEATURES.length;
export const DEVICE_FEATURE_COUNT = DEVICE_FEATURES.length;

/** The documented defaults when device-only features are absent (no JavaScript, server arm, no history). */
export const DEVICE_DEFAULTS: readonly number[] = Object.freeze([0, 0, 0, 0]);

/** The model's input and output names in the ONNX graph. */
export const MODEL_INPUT = "features";
export const MODEL_OUTPUT = "score";

/** What the server knows about the member, as of the moment the offer is shown. */
export interface MemberHistory {
  /** Products the member claimed or bought (last 180 days), with their tags and whether returned. */
  purchases: ReadonlyArray<{ productId: string; creatorId: string; tags: readonly string[]; returned: boolean }>;
  /** Product ids the member is waitlisted for. */
  waitlistedProductIds: ReadonlySet<string> | readonly string[];
  /** Tier rank per creator id the member is entitled to (absent: not subscribed). */
  tierRankByCreator: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
}

/** What the storefront knows about an offer (a product on sale in a drop). */
export interface OfferAttributes {
  offerId: string;
  productId: string;
  creatorId: string;
  tags: readonly string[];
  priceMinor: number;
  /** Minor units per major unit of the currency (100 for EUR/USD/GBP, 1 for JPY). */
  minorPerMajor: number;
  memberOnly: boolean;
  restock: boolean;
  quantity: number;
  remaining: number;
  /** Claims of this product by all members in the last 30 days. */
  recentClaims: number;
  /** The creator's highest tier rank (0 when the creator has no tiers). */
  maxTierRank: number;
}

/** One product view kept in the browser's storage. */
export interface DeviceView {
  productId: string;
  tags: readonly string[];
  dwellMs: number;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
/** log1p(x) / log1p(cap), capped at 1; `logCap` is log1p(cap), computed once below. */
const logScaled = (x: number, logCap: number) => clamp01(Math.log1p(Math.max(0, x)) / logCap);
const LOG1P_20 = Math.log1p(20);
const LOG1P_600 = Math.log1p(600);
const LOG1P_1000 = Math.log1p(1000);
function sharesTag(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (b.includes(a[i]!)) return true;
  return false;
}

function has(set: ReadonlySet<string> | readonly string[], id: string): boolean {
  return set instanceof Set ? set.has(id) : (set as readonly string[]).includes(id);
}
function rankOf(ranks: MemberHistory["tierRankByCreator"], creatorId: string): number | undefined {
  if (ranks instanceof Map) return (ranks as ReadonlyMap<string, number>).get(creatorId);
  return (ranks as Readonly<Record<string, number>>)[creatorId];
}

/**
 * The SERVER_FEATURES row from what was counted in the member's purchases for the offer: those sharing
 * a tag with it (and how many of them were returned), those from its creator, and whether its product
 * was bought. The features' formulas, in one place.
 */
function serverRow(
  member: MemberHistory,
  offer: OfferAttributes,
  overlapping: number,
  overlappingReturned: number,
  fromCreator: number,
  samePurchased: boolean,
): number[] {
  const purchases = member.purchases.length;
  const rank = rankOf(member.tierRankByCreator, offer.creatorId);
  return [
    purchases === 0 ? 0 : overlapping / purchases,
    samePurchased ? 1 : 0,
    logScaled(fromCreator, LOG1P_20),
    overlapping === 0 ? 0 : overlappingReturned / overlapping,
    rank === undefined ? 0 : 1,
    rank === undefined || offer.maxTierRank <= 0 ? 0 : clamp01(rank / offer.maxTierRank),
    has(member.waitlistedProductIds, offer.productId) ? 1 : 0,
    logScaled(offer.priceMinor / Math.max(1, offer.minorPerMajor), LOG1P_1000),
    logScaled(offer.recentClaims, LOG1P_1000),
    offer.memberOnly ? 1 : 0,
    offer.restock ? 1 : 0,
    offer.quantity <= 0 ? 1 : clamp01(1 - offer.remaining / offer.quantity),
  ];
}

/** The server-known part of the feature vector (SERVER_FEATURES order) of one offer. */
export function serverFeatures(member: MemberHistory, offer: OfferAttributes): number[] {
  let overlapping = 0;
  let overlappingReturned = 0;
  let fromCreator = 0;
  let samePurchased = false;
  for (const p of member.purchases) {
    if (sharesTag(p.tags, offer.tags)) {
      overlapping++;
      if (p.returned) overlappingReturned++;
    }
    if (p.productId === offer.productId) samePurchased = true;
    if (p.creatorId === offer.creatorId) fromCreator++;
  }
  return serverRow(member, offer, overlapping, overlappingReturned, fromCreator, samePurchased);
}

/**
 * `serverFeatures` of many offers for one member (the storefront does this for every list it
 * renders): the member's purchases are indexed once by tag, product and creator, so each offer costs
 * a few lookups instead of a pass comparing every purchase's tags. Same counts, same formulas
 * (serverRow), same numbers as one serverFeatures call per offer.
 */
export function serverFeatureRows(member: MemberHistory, offers: readonly OfferAttributes[]): number[][] {
  const purchases = member.purchases;
  const byTag = new Map<string, number[]>(); // tag → positions of the purchases carrying it (once each)
  const products = new Set<string>();
  const perCreator = new Map<string, number>();
  for (let i = 0; i < purchases.length; i++) {
    const p = purchases[i]!;
    for (const tag of p.tags) {
      const positions = byTag.get(tag);
      if (!positions) byTag.set(tag, [i]);
      else if (positions[positions.length - 1] !== i) positions.push(i);
    }
    products.add(p.productId);
    perCreator.set(p.creatorId, (perCreator.get(p.creatorId) ?? 0) + 1);
  }
  // seen[i] === stamp: purchase i is already counted for the current offer (it shares several tags).
  const seen = new Uint32Array(purchases.length);
  const rows: number[][] = [];
  for (let o = 0; o < offers.length; o++) {
    const offer = offers[o]!;
    const stamp = o + 1;
    let overlapping = 0;
    let overlappingReturned = 0;
    for (const tag of offer.tags) {
      const positions = byTag.get(tag);
      if (!positions) continue;
      for (const i of positions) {
        if (seen[i] === stamp) continue;
        seen[i] = stamp;
        overlapping++;
        if (purchases[i]!.returned) overlappingReturned++;
      }
    }
    rows.push(
      serverRow(
        member,
        offer,
        overlapping,
        overlappingReturned,
        perCreator.get(offer.creatorId) ?? 0,
        products.has(offer.productId),
      ),
    );
  }
  return rows;
}

/** The device-only part (DEVICE_FEATURES order); `null` history gives DEVICE_DEFAULTS. */
export function deviceFeatures(
  history: readonly DeviceView[] | null,
  offer: Pick<OfferAttributes, "productId" | "tags">,
): number[] {
  if (history === null) return [...DEVICE_DEFAULTS];
  const overlapping = history.filter((v) => sharesTag(v.tags, offer.tags));
  const dwellSeconds = overlapping.reduce((sum, v) => sum + Math.max(0, v.dwellMs), 0) / 1000;
  return [
    1,
    history.length === 0 ? 0 : overlapping.length / history.length,
    logScaled(dwellSeconds, LOG1P_600),
    history.some((v) => v.productId === offer.productId) ? 1 : 0,
  ];
}

/**
 * Rows of [server ‖ device] features as one float32 matrix [rows × FEATURE_COUNT], the model's
 * input. Both scorers build their input with this, so the same numbers reach the same model.
 */
export function featureMatrix(
  rows: ReadonlyArray<{ server: readonly number[]; device: readonly number[] }>,
): Float32Array {
  const out = new Float32Array(rows.length * FEATURE_COUNT);
  for (let i = 0; i < rows.length; i++) {
    const { server, device } = rows[i]!;
    if (server.length !== SERVER_FEATURE_COUNT || device.length !== DEVICE_FEATURE_COUNT) {
      throw new Error(
        `feature row ${i}: expected ${SERVER_FEATURE_COUNT}+${DEVICE_FEATURE_COUNT} values, ` +
          `got ${server.length}+${device.length}`,
      );
    }
    // Element by element: TypedArray.set from a plain array is several times slower for 16 values.
    let at = i * FEATURE_COUNT;
    for (let j = 0; j < SERVER_FEATURE_COUNT; j++) out[at++] = server[j]!;
    for (let j = 0; j < DEVICE_FEATURE_COUNT; j++) out[at++] = device[j]!;
  }
  return out;
}

/**
 * Offers ordered by score, highest first; ties (equal float32 scores) broken by offer id so browser
 * and server give the same order.
 */
export function rankByScore<T extends { offerId: string }>(offers: readonly T[], scores: ArrayLike<number>): T[] {
  if (scores.length !== offers.length) throw new Error(`${offers.length} offers but ${scores.length} scores`);
  // Sort positions over a float32 copy of the scores (no per-offer wrapper objects).
  const score = scores instanceof Float32Array ? scores : Float32Array.from(scores);
  const order = new Array<number>(offers.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => {
    const byScore = score[b]! - score[a]!;
    if (byScore) return byScore;
    const x = offers[a]!.offerId;
    const y = offers[b]!.offerId;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return order.map((i) => offers[i]!);
}
