import { and, asc, eq, gt, isNull, or } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "@kiln/core";
import { schema, withSystem, type Runtime, type Tx } from "@kiln/db";
import {
  DEVICE_DEFAULTS,
  FEATURE_SPEC_VERSION,
  featureMatrix,
  rankByScore,
  serverFeatures,
  type OfferAttributes,
} from "./features.js";
import { markServed, recordExposure } from "./exposures.js";
import { emptyHistory, loadMemberHistories, loadOfferAttributes } from "./history.js";
import { assignArm, DEFAULT_ARM_WEIGHTS, experimentKey, type ArmWeights } from "./experiment.js";
import { getDefaultModelStore, modelUrl, type ModelStore } from "./model-store.js";
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
  /** Arm weights (default 45/45/10 device/server/holdout). */
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
  const [creator] = await tx
    .select({ id: schema.creators.id, coopId: schema.creators.coopId, slug: schema.creators.slug })
    .from(schema.creators)
    .where(and(eq(schema.creators.slug, creatorSlug), eq(schema.creators.isPublished, true)));
  if (!creator) throw new AppError("NOT_FOUND", "Storefront not found");
  const rows = await tx
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
    .innerJoin(schema.products, eq(schema.products.id, schema.drops.productId))
    .where(
      and(
        eq(schema.drops.creatorId, creator.id),
        eq(schema.drops.isPublished, true),
        or(isNull(schema.drops.closesAt), gt(schema.drops.closesAt, now)),
      ),
    )
    .orderBy(asc(schema.drops.opensAt), asc(schema.drops.id));
  const listed: Listed[] = rows.map(({ tierIds, ...row }) => ({ ...row, isMemberOnly: tierIds.length > 0 }));
  return { creator, listed };
}

export async function rankOffersForMember(rt: Runtime, input: RankOffersInput): Promise<OfferPayload> {
  const { memberId, now } = input;
  const models = input.models ?? getDefaultModelStore();

  // 1. What is on offer, its attributes and the member's history as of now (one transaction).
  const loaded = await withSystem(rt, "personalization-offers", async (tx) => {
    const { creator, listed } = await listOffers(tx, input.creatorSlug, now);
    const attributes = await loadOfferAttributes(tx, {
      coopId: creator.coopId,
      dropIds: listed.map((l) => l.dropId),
      asOf: now,
    });
    const history =
      memberId === null || listed.length === 0
        ? emptyHistory()
        : ((await loadMemberHistories(tx, { coopId: creator.coopId, memberIds: [memberId], asOf: now })).get(
            memberId,
          ) ?? emptyHistory());
    return { creator, listed, attributes, history };
  });
  const { creator, listed, history } = loaded;
  const attributesById = new Map<string, OfferAttributes>(loaded.attributes.map((a) => [a.offerId, a]));

  const offers = listed.map((l) => {
    const attributes = attributesById.get(l.dropId);
    if (!attributes) throw new Error(`no offer attributes for drop ${l.dropId}`);
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
      serverFeatures: serverFeatures(history, attributes),
    };
    return { card, offerId: l.dropId, opensAt: l.opensAt, recentClaims: attributes.recentClaims };
  });
  const nonPersonalised = () => fallbackOrder(offers, now).map((o) => o.card);

  // Visitors are not in the experiment; an empty list shows nothing to measure.
  if (memberId === null || offers.length === 0) {
    return {
      exposureId: null,
      assignedArm: null,
      servedArm: null,
      serverFallback: null,
      modelVersion: null,
      modelUrl: null,
      featureSpec: FEATURE_SPEC_VERSION,
      offers: nonPersonalised(),
    };
  }

  // 2. The arm, and the model's order when the arm personalises.
  const key = experimentKey(creator.coopId);
  const assignedArm = assignArm(key, memberId, input.weights ?? DEFAULT_ARM_WEIGHTS);
  let ordered: OfferCard[];
  let servedArm: "server" | "holdout" = "holdout";
  let serverFallback: OfferPayload["serverFallback"] = null;
  let model: { version: string; url: string } | null = null;
  if (assignedArm === "holdout") {
    ordered = nonPersonalised();
  } else {
    const found = await models.scorerFor(rt, creator.coopId);
    if (!found.ok) {
      serverFallback = found.reason;
      ordered = nonPersonalised();
    } else {
      try {
        const matrix = featureMatrix(offers.map((o) => ({ server: o.card.serverFeatures, device: DEVICE_DEFAULTS })));
        const scores = await found.scorer.score(matrix);
        ordered = rankByScore(
          offers.map((o) => o.card),
          scores,
        );
        servedArm = "server";
        model = { version: found.ref.version, url: modelUrl(found.ref) };
      } catch (error) {
        console.error(
          `[kiln] offer ranker: co-op ${creator.coopId} model ${found.ref.version} failed to score: ${(error as Error).message}`,
        );
        serverFallback = "model-error";
        ordered = nonPersonalised();
      }
    }
  }

  // 3. The exposure: what was shown, in which order, with which features, by which arm.
  const { exposureId } = await withSystem(rt, "personalization-exposure", (tx) =>
    recordExposure(tx, {
      coopId: creator.coopId,
      creatorId: creator.id,
      memberUserId: memberId,
      experimentKey: key,
      assignedArm,
      servedArm,
      fallbackReason: serverFallback,
      modelVersion: model?.version ?? null,
      shownAt: now,
      items: ordered.map((card) => ({
        dropId: card.dropId,
        productId: card.productId,
        serverFeatures: card.serverFeatures,
      })),
    }),
  );

  const deviceMayRerank = assignedArm === "device" && model !== null;
  return {
    exposureId,
    assignedArm,
    servedArm,
    serverFallback,
    modelVersion: model?.version ?? null,
    modelUrl: deviceMayRerank ? model!.url : null,
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
