import { and, asc, eq, gt, isNull, or } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import { FEATURE_SPEC_VERSION, serverFeatureRows, type OfferAttributes } from "./features.js";
import { markServed, recordExposure } from "./exposures.js";
import { emptyHistory, loadMemberHistories, loadOfferAttributes } from "./history.js";
import { assignArm, type ArmWeights } from "./experiment.js";
import { currentExperiment } from "./experiment-settings.js";
import { getDefaultModelStore, modelUrl, type ModelStore, type ScorerResult } from "./model-store.js";
import { rankWithScorer } from "./scorer-node.js";
import { FALLBACK_REASONS, type OfferArm, type OfferCard, type OfferPayload } from "./offer-payload.js";
import type { Arm } from "./types.js";

/**
 * The storefront's offers for one member (issue 9 §5–7): the creator's open and upcoming published
 * drops, ordered
 * - for a visitor, a holdout member, or when the co-op has no usable model: non-personalised (open
 *   before upcoming, then by opening time, then most claimed in the last 30 days, then id);
 * - for the server and device arms: by the co-op's active model over the server features and
 *   DEVICE_DEFAULTS, one batched run. The device arm also gets the model URL and each offer's server
 *   features so the browser can re-rank with its own history; until it reports that it did
 *   (markExposureServed), the exposure says the server served it — which is what a browser without
 *   JavaScript or WebAssembly shows.
 * Every member's (non-empty) list is recorded as an exposure with the assigned and the served arm;
 * visitors are not in the experiment and nothing is recorded for them.
 */

export interface RankOffersInput {
  creatorSlug: string;
  /** The signed-in member, or null for a visitor. */
  memberId: string | null;
  now: Date;
  /** The process's models (server/main.ts makes it at start); default: a lazily loading store. */
  models?: ModelStore;
  /** Arm weights overriding the co-op's current experiment version's (tests). */
  weights?: ArmWeights;
}

// The browser's arm type and the package's must stay the same strings.
const sameArms: [OfferArm, Arm] extends [Arm, OfferArm] ? true : never = true;
void sameArms;

interface Listed {
  dropId: string;
  productId: string;
  title: string;
  productTitle: string;
  priceMinor: number;
  currency: string;
  tags: string[];
  opensAt: Date;
  isMemberOnly: boolean;
}

/** Non-personalised order: open before upcoming, opening time, 30-day claims (more first), id. */
export function fallbackOrder<T extends { offerId: string; opensAt: Date; recentClaims: number }>(
  offers: readonly T[],
  now: Date,
): T[] {
  const open = (o: T) => (o.opensAt.getTime() <= now.getTime() ? 0 : 1);
  return [...offers].sort(
    (a, b) =>
      open(a) - open(b) ||
      a.opensAt.getTime() - b.opensAt.getTime() ||
      b.recentClaims - a.recentClaims ||
      (a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0),
  );
}

async function listOffers(tx: Tx, creatorSlug: string, now: Date) {
  const published = and(eq(schema.creators.slug, creatorSlug), eq(schema.creators.isPublished, true));
  // The storefront and its drops (joined to it by slug) are sent together: one round trip.
  const creatorQuery = tx
    .select({ id: schema.creators.id, coopId: schema.creators.coopId, slug: schema.creators.slug })
    .from(schema.creators)
    .where(published);
  const rowsQuery = tx
    .select({
      dropId: schema.drops.id,
      productId: schema.drops.productId,
      title: schema.drops.title,
      productTitle: schema.products.title,
      priceMinor: schema.products.priceMinor,
      currency: schema.products.currency,
      tags: schema.products.tags,
      opensAt: schema.drops.opensAt,
      tierIds: schema.drops.tierIds,
    })
    .from(schema.drops)
    .innerJoin(schema.creators, and(eq(schema.creators.id, schema.drops.creatorId), published))
    .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
    .where(and(eq(schema.drops.isPublished, true), or(isNull(schema.drops.closesAt), gt(schema.drops.closesAt, now))))
    .orderBy(asc(schema.drops.opensAt), asc(schema.drops.id));
  const [[creator], rows] = await Promise.all([creatorQuery.execute(), rowsQuery.execute()]);
  if (!creator) throw new AppError("NOT_FOUND", "Storefront not found");
  const listed: Listed[] = rows.map(({ tierIds, ...row }) => ({ ...row, isMemberOnly: tierIds.length > 0 }));
  return { creator, listed };
}

interface Ranking {
  ordered: OfferCard[];
  servedArm: "server" | "holdout";
  serverFallback: OfferPayload["serverFallback"];
  model: { version: string; url: string } | null;
}

/**
 * The storefront's offers for one member, in ONE transaction in the usual case: the reads (the
 * storefront and its drops; then the offers' attributes, the member's history and the experiment,
 * pipelined), the ranking, and the exposure (the list and its items, pipelined). The exposure is
 * written in the transaction that read what it records, so a list is never shown without its exposure.
 * Only when the co-op's model is not at hand (its active version is due for a re-read every
 * `recheckMs`, or it is still loading) does the read commit first: the store reads the registry in its
 * own transaction (they cannot nest), and the exposure is then written in a second one.
 */
export async function rankOffersForMember(rt: Runtime, input: RankOffersInput): Promise<OfferPayload> {
  const { memberId, now } = input;
  const models = input.models ?? getDefaultModelStore();

  const first = await withSystem(rt, "personalization-offers", async (tx) => {
    // 1. What is on offer, its attributes and the member's history as of now.
    const { creator, listed } = await listOffers(tx, input.creatorSlug, now);
    // Visitors and empty lists are not in the experiment.
    const member = memberId !== null && listed.length > 0 ? memberId : null;
    const [attributes, histories, experiment] = await Promise.all([
      loadOfferAttributes(tx, { coopId: creator.coopId, dropIds: listed.map((l) => l.dropId), asOf: now }),
      member === null ? null : loadMemberHistories(tx, { coopId: creator.coopId, memberIds: [member], asOf: now }),
      member === null ? null : currentExperiment(tx, creator.coopId),
    ]);
    const history = (member === null ? undefined : histories?.get(member)) ?? emptyHistory();
    const attributesById = new Map<string, OfferAttributes>(attributes.map((a) => [a.offerId, a]));
    const listedAttributes = listed.map((l) => {
      const found = attributesById.get(l.dropId);
      if (!found) throw new Error(`no offer attributes for drop ${l.dropId}`);
      return found;
    });
    const features = serverFeatureRows(history, listedAttributes);
    const offers = listed.map((l, i) => {
      const card: OfferCard = {
        offerId: l.dropId,
        productId: l.productId,
        dropId: l.dropId,
        title: l.title,
        productTitle: l.productTitle,
        href: `/s/${creator.slug}/drops/${l.dropId}`,
        priceMinor: l.priceMinor,
        currency: l.currency,
        tags: l.tags,
        isOpen: l.opensAt.getTime() <= now.getTime(),
        isMemberOnly: l.isMemberOnly,
        opensAt: l.opensAt.toISOString(),
        serverFeatures: features[i]!,
      };
      return { card, offerId: l.dropId, opensAt: l.opensAt, recentClaims: listedAttributes[i]!.recentClaims };
    });
    const nonPersonalised = () => fallbackOrder(offers, now).map((o) => o.card);

    if (member === null || experiment === null) {
      return {
        done: {
          exposureId: null,
          assignedArm: null,
          servedArm: null,
          serverFallback: null,
          modelVersion: null,
          modelUrl: null,
          featureSpec: FEATURE_SPEC_VERSION,
          offers: nonPersonalised(),
        } satisfies OfferPayload,
      };
    }

    // 2. The arm (the co-op's current experiment version: its key and weights, decision 021), and the
    // model's order when the arm personalises.
    const key = experiment.key;
    const assignedArm = assignArm(key, member, input.weights ?? experiment.weights);
    const exposure = { coopId: creator.coopId, creatorId: creator.id, memberId: member, key, assignedArm };
    const cards = offers.map((o) => o.card);
    const withModel = (found: ScorerResult) => rankWithModel(found, cards, nonPersonalised, creator.coopId);
    if (assignedArm === "holdout") {
      const ranking: Ranking = { ordered: nonPersonalised(), servedArm: "holdout", serverFallback: null, model: null };
      return { done: await expose(tx, exposure, ranking, now) };
    }
    const found = models.current(creator.coopId);
    if (found) return { done: await expose(tx, exposure, await withModel(found), now) };
    return { pending: { exposure, withModel } };
  });
  if (first.done) return first.done;

  // The model was not at hand: the store reads (and maybe loads) it in its own transaction.
  const { exposure, withModel } = first.pending;
  const ranking = await withModel(await models.scorerFor(rt, exposure.coopId));
  return withSystem(rt, "personalization-exposure", (tx) => expose(tx, exposure, ranking, now));
}

/** The model's order, or the non-personalised one with the reason when there is no usable model. */
async function rankWithModel(
  found: ScorerResult,
  cards: OfferCard[],
  nonPersonalised: () => OfferCard[],
  coopId: string,
): Promise<Ranking> {
  if (!found.ok) {
    return { ordered: nonPersonalised(), servedArm: "holdout", serverFallback: found.reason, model: null };
  }
  try {
    return {
      ordered: await rankWithScorer(found.scorer, cards),
      servedArm: "server",
      serverFallback: null,
      model: { version: found.ref.version, url: modelUrl(found.ref) },
    };
  } catch (error) {
    console.error(
      `[kiln] offer ranker: co-op ${coopId} model ${found.ref.version} failed to score: ${(error as Error).message}`,
    );
    return { ordered: nonPersonalised(), servedArm: "holdout", serverFallback: "model-error", model: null };
  }
}

/** 3. The exposure (what was shown, in which order, with which features, by which arm), and the payload. */
async function expose(
  tx: Tx,
  e: { coopId: string; creatorId: string; memberId: string; key: string; assignedArm: Arm },
  ranking: Ranking,
  now: Date,
): Promise<OfferPayload> {
  const { ordered, servedArm, serverFallback, model } = ranking;
  const { exposureId } = await recordExposure(tx, {
    coopId: e.coopId,
    creatorId: e.creatorId,
    memberUserId: e.memberId,
    experimentKey: e.key,
    assignedArm: e.assignedArm,
    servedArm,
    fallbackReason: serverFallback,
    modelVersion: model?.version ?? null,
    shownAt: now,
    items: ordered.map((card) => ({
      dropId: card.dropId,
      productId: card.productId,
      serverFeatures: card.serverFeatures,
    })),
  });
  const deviceMayRerank = e.assignedArm === "device" && model !== null;
  return {
    exposureId,
    assignedArm: e.assignedArm,
    servedArm,
    serverFallback,
    modelVersion: model?.version ?? null,
    modelUrl: deviceMayRerank ? model.url : null,
    featureSpec: FEATURE_SPEC_VERSION,
    offers: ordered,
  };
}

/** The served-arm beacon's body: the browser ranked on the device, or kept the server's order and why. */
export const ServedArmReportSchema = z
  .object({
    servedArm: z.enum(["device", "server"], { error: 'servedArm is "device" or "server"' }),
    fallbackReason: z.enum(FALLBACK_REASONS).optional(),
  })
  .strict()
  .refine((r) => r.servedArm === "server" || r.fallbackReason === undefined, {
    message: 'fallbackReason is only for servedArm "server"',
    path: ["fallbackReason"],
  });
export type ServedArmReport = z.infer<typeof ServedArmReportSchema>;

/**
 * The browser's report for an exposure (the served-arm beacon): it ranked on the device, or kept the
 * server's order and why. Another member's exposure is NOT_FOUND; a holdout exposure stays holdout.
 */
export async function reportServedArm(
  rt: Runtime,
  input: { exposureId: string; memberId: string; servedArm: Arm; fallbackReason?: string | null },
): Promise<{ servedArm: Arm }> {
  return withSystem(rt, "personalization-served-arm", (tx) =>
    markServed(tx, {
      exposureId: input.exposureId,
      memberUserId: input.memberId,
      servedArm: input.servedArm,
      fallbackReason: input.fallbackReason ?? null,
    }),
  );
}
