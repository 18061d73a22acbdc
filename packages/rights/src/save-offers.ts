import type { Jurisdiction } from "@kiln/compliance";

/**
 * Save (retention) offers in the cancel flow, per jurisdiction (checklist X-X6;
 * consumer-law-2026.md §8.4): DE and the EU allow none between the cancel button and the
 * confirmation page (§ 312k BGB "unmittelbar"); California at most one, shown together with an
 * equally prominent "Cancel" that goes straight on to the cancellation; the UK cap awaits CMA guidance
 * (none until then); elsewhere in the US at most one on the same terms as California.
 */
export interface SaveOfferPolicy {
  enabled: boolean;
  maxOffers: number;
  /** The "Cancel" action must be shown at the same time and as prominently as the offer. */
  requiresEqualProminenceCancel: boolean;
}

export const SAVE_OFFER_POLICY: Readonly<Record<Jurisdiction, SaveOfferPolicy>> = {
  DE: { enabled: false, maxOffers: 0, requiresEqualProminenceCancel: true },
  EU: { enabled: false, maxOffers: 0, requiresEqualProminenceCancel: true },
  UK: { enabled: false, maxOffers: 0, requiresEqualProminenceCancel: true },
  "US-CA": { enabled: true, maxOffers: 1, requiresEqualProminenceCancel: true },
  "US-NY": { enabled: true, maxOffers: 1, requiresEqualProminenceCancel: true },
  US: { enabled: true, maxOffers: 1, requiresEqualProminenceCancel: true },
  DEFAULT: { enabled: false, maxOffers: 0, requiresEqualProminenceCancel: true },
};

/**
 * How many save offers the cancel flow may show a member of this jurisdiction, given how many the
 * creator configured (tier terms `cancellation.saveOffers`). Unknown jurisdiction (a logged-out
 * visitor) → treated as DE: none. The cancel page itself never shows one today.
 */
export function allowedSaveOffers(jurisdiction: Jurisdiction | null, configured: number): number {
  const policy = SAVE_OFFER_POLICY[jurisdiction ?? "DE"];
  return policy.enabled ? Math.max(0, Math.min(configured, policy.maxOffers)) : 0;
}
