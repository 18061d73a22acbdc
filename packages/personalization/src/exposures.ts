/**
 * STABLE (P1, issue 9): the exposure log. The offers service (offers.ts) calls `recordExposure` once
 * per offer list it renders for a signed-in member, and `markServed` when the browser reports that it
 * ranked the list on the device (or could not, and why). Both take the caller's transaction and are
 * meant for the system context (`withSystem`): members only read their own exposures.
 *
 * The items keep the server features exactly as shown: that row is the point-in-time training record
 * (examples.ts), so training never recomputes a feature from a history that has moved on since.
 */
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { AppError, parseInput } from "@kiln/core";
import { schema, type Tx } from "@kiln/db";
import { SERVER_FEATURE_COUNT } from "./features.js";
import { ARMS, type Arm } from "./types.js";

export const ExposureInputSchema = z.object({
  coopId: z.uuid(),
  creatorId: z.uuid(),
  memberUserId: z.uuid(),
  experimentKey: z.string().min(1).max(100),
  assignedArm: z.enum(ARMS),
  /** Who ranked what the member first saw: the server's order (server, holdout) until the device reports. */
  servedArm: z.enum(ARMS),
  fallbackReason: z.string().min(1).max(200).nullish(),
  modelVersion: z.string().min(1).max(100).nullish(),
  shownAt: z.date(),
  /** The offers in the order shown, each with its SERVER_FEATURES as computed for this list. */
  items: z
    .array(
      z.object({
        dropId: z.uuid(),
        productId: z.uuid(),
        serverFeatures: z
          .array(z.number().finite())
          .length(SERVER_FEATURE_COUNT, `expected ${SERVER_FEATURE_COUNT} server features`),
      }),
    )
    .max(500),
});
export type ExposureInput = z.input<typeof ExposureInputSchema>;

/**
 * Records one rendered offer list and its items; returns the exposure id (the list id in training).
 * The id is made here (a random UUID, as the column's default would be), so the list and its items go
 * to the database as two pipelined inserts in the caller's transaction: one round trip, not two.
 */
export async function recordExposure(tx: Tx, input: ExposureInput): Promise<{ exposureId: string }> {
  const e = parseInput(ExposureInputSchema, input);
  const exposureId = randomUUID();
  const list = tx.insert(schema.offerExposures).values({
    id: exposureId,
    coopId: e.coopId,
    creatorId: e.creatorId,
    memberUserId: e.memberUserId,
    experimentKey: e.experimentKey,
    assignedArm: e.assignedArm,
    servedArm: e.servedArm,
    fallbackReason: e.fallbackReason ?? null,
    modelVersion: e.modelVersion ?? null,
    shownAt: e.shownAt,
  });
  const items =
    e.items.length === 0
      ? null
      : tx.insert(schema.offerExposureItems).values(
          e.items.map((item, position) => ({
            exposureId,
            position,
            coopId: e.coopId,
            creatorId: e.creatorId,
            memberUserId: e.memberUserId,
            dropId: item.dropId,
            productId: item.productId,
            serverFeatures: item.serverFeatures,
          })),
        );
  // Both are sent before either is awaited; the database runs them in order (the list, then its items).
  await Promise.all(items ? [list.execute(), items.execute()] : [list.execute()]);
  return { exposureId };
}

export const MarkServedSchema = z.object({
  exposureId: z.uuid(),
  /** The member the report comes from: another member's exposure is NOT_FOUND. */
  memberUserId: z.uuid(),
  servedArm: z.enum(ARMS),
  /** Why the device did not rank (no WebAssembly, budget exceeded, model failed to load…). */
  fallbackReason: z.string().min(1).max(200).nullish(),
});
export type MarkServedInput = z.input<typeof MarkServedSchema>;

/**
 * Records which arm actually served an exposure (the browser reports it). The assigned arm never
 * changes (intention to treat); a holdout list stays holdout whatever is reported.
 */
export async function markServed(tx: Tx, input: MarkServedInput): Promise<{ servedArm: Arm }> {
  const m = parseInput(MarkServedSchema, input);
  const [row] = await tx
    .update(schema.offerExposures)
    .set({
      servedArm: sql`case when ${schema.offerExposures.assignedArm} = 'holdout' then 'holdout' else ${m.servedArm} end`,
      fallbackReason: m.fallbackReason ?? null,
      updatedAt: sql`kiln_now()`,
    })
    .where(and(eq(schema.offerExposures.id, m.exposureId), eq(schema.offerExposures.memberUserId, m.memberUserId)))
    .returning({ servedArm: schema.offerExposures.servedArm });
  if (!row) throw new AppError("NOT_FOUND", "Not found");
  return { servedArm: row.servedArm };
}
