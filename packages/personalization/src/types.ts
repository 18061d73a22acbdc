/**
 * Shared types of the personalization package (issue 9). Kept free of runtime imports so the trainer,
 * the scorer and the tests can import them from anywhere.
 */

/** One (offer shown → claimed or bought within the label window) training example. */
export interface TrainingExample {
  /** The exposure (one rendered offer list): examples of one list are ranked together (NDCG). */
  listId: string;
  memberId: string;
  /** The offer (drop) id as shown. */
  offerId: string;
  productId: string;
  shownAt: Date;
  /** FEATURE_COUNT values: the server features as stored at shownAt ‖ the device features. */
  features: number[];
  /** 1 when the member claimed or bought the product within LABEL_WINDOW_DAYS after shownAt. */
  label: 0 | 1;
}

/** The experiment arms (issue 9 §7). */
export const ARMS = ["device", "server", "holdout"] as const;
export type Arm = (typeof ARMS)[number];

/** A model version's lifecycle in the registry. */
export const MODEL_STATUSES = ["candidate", "active", "retired"] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
