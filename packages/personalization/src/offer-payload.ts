/**
 * What the storefront loader sends the browser for personalised offers (issue 9). Browser-safe: it
 * imports nothing but the feature spec, so the on-device scorer can import it.
 */
import type { FEATURE_SPEC_VERSION } from "./features.js";

/** The experiment arms as the browser sees them (the same strings as the package's ARMS). */
export type OfferArm = "device" | "server" | "holdout";

/** Why a device-arm browser did not score on the device (reported with the served-arm beacon). */
export const FALLBACK_REASONS = [
  "no-webassembly",
  "model-error",
  "runtime-error",
  "time-budget",
  "memory-budget",
] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

/** One offer: a product on sale (or soon on sale) in one of the creator's published drops. */
export interface OfferCard {
  /** The drop id (the offer is the drop). */
  offerId: string;
  productId: string;
  dropId: string;
  title: string;
  productTitle: string;
  /** The storefront page of the drop. */
  href: string;
  /** Gross price in the currency's minor unit. */
  priceMinor: number;
  currency: string;
  tags: string[];
  imageUrl?: string;
  isOpen: boolean;
  isMemberOnly: boolean;
  /** ISO timestamp. */
  opensAt: string;
  /** SERVER_FEATURES values for this member and offer (the browser appends its device features). */
  serverFeatures: number[];
}

export interface OfferPayload {
  /** The recorded exposure (null for a visitor, who is not in the experiment, or when nothing is on offer). */
  exposureId: string | null;
  /** The member's arm by assignment (null when no exposure was recorded). */
  assignedArm: OfferArm | null;
  /** What produced `offers`' order on the server: "server" (model) or "holdout" (non-personalised; also visitors and fallbacks). */
  servedArm: "server" | "holdout" | null;
  /** Why the server could not score when it should have (no usable model), else null. */
  serverFallback: "no-model" | "model-error" | null;
  /** The model version that ordered `offers` on the server (null: not ranked by a model). */
  modelVersion: string | null;
  /** The model file to re-rank with on the device: set only for the device arm when the server ranked too. */
  modelUrl: string | null;
  featureSpec: typeof FEATURE_SPEC_VERSION;
  /** In the server's order. */
  offers: OfferCard[];
}
