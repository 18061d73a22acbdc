import { AppError } from "@kiln/core";
import type { TenantContext } from "@kiln/db";
import type { Locale } from "./disclosure";
import type { Jurisdiction } from "./rule-packs";
import type { Terms } from "./terms";

/** Who acts: a tenant context that names the user and the co-op (see @kiln/auth tenantContextFor). */
export type Actor = TenantContext & { userId: string; coopId: string; role: string };

/**
 * Renders the real order page for terms (the app passes app/app/compliance.server.ts renderOrderPage).
 * `stylesheet` (the app's CSS, read when called) lets the engine judge X-D2 on the real styles.
 */
export type OrderPageRenderer = ((terms: Terms, locale: Locale, asOf: Date) => string) & {
  stylesheet?: () => string;
  /**
   * The real cancel page and withdrawal function in a language (app/app/compliance.server.ts
   * renderRightsPages), so X-X2, X-X3 and X-W2 judge them instead of being skipped.
   */
  rightsPages?: (locale: Locale) => { cancel: string; withdraw: string };
};

/** The pages the engine judges for one language: the order page, plus the rights pages when the renderer has them. */
export const pagesFor = (render: OrderPageRenderer, locale: Locale, order: string) => ({
  order,
  ...(render.rightsPages ? render.rightsPages(locale) : {}),
});

/** The language a jurisdiction's order page is judged in (its members see it in this language). */
export const localeOf = (jurisdiction: Jurisdiction): Locale => (jurisdiction === "DE" ? "de" : "en");

export function requireActor(actor: TenantContext): Actor {
  if (!actor.userId || !actor.coopId || !actor.role) throw new AppError("NOT_FOUND", "Not found");
  return actor as Actor;
}

export function requireReviewer(actor: TenantContext): Actor {
  const a = requireActor(actor);
  if (a.role !== "compliance_reviewer") throw new AppError("NOT_FOUND", "Not found");
  return a;
}

export function requireCreatorTeam(actor: TenantContext): Actor & { creatorId: string } {
  const a = requireActor(actor);
  if (!a.creatorId || (a.role !== "creator_owner" && a.role !== "creator_staff"))
    throw new AppError("NOT_FOUND", "Not found");
  return a as Actor & { creatorId: string };
}

/** Submitting terms for review and publishing a tier are the owner's decisions; staff may draft and view. */
export function requireCreatorOwner(actor: TenantContext): Actor & { creatorId: string } {
  const a = requireCreatorTeam(actor);
  if (a.role !== "creator_owner")
    throw new AppError("FORBIDDEN", "Only the creator's owner can submit terms for review or publish a tier");
  return a;
}
