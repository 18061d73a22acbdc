/**
 * Per-co-op experiment settings (issue 9 §7, decision 021): the arm weights co-op admins choose, as
 * numbered experiment versions. A co-op without rows runs version 1 with DEFAULT_ARM_WEIGHTS. Changing
 * the weights ends the current version and starts the next one, whose experiment key differs
 * (experimentKey(coopId, version)): every member is assigned afresh, and each version's intention-to-
 * treat analysis only ever mixes members randomised under the same weights. Changes are audited.
 */
import { and, desc, eq, isNull, min, sql } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { AppError, parseInput } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { DEFAULT_ARM_WEIGHTS, experimentKey, type ArmWeights } from "./experiment.js";

const x = schema.offerExperiments;

/**
 * The smallest holdout that still measures uplift. At 5 % of, say, 2 000 exposed members the holdout
 * has 100 members: its Wilson interval at 20 % conversion is about ±8 points, wide but usable. A
 * smaller non-zero holdout gives intervals too wide to read and is refused; 0 switches measurement
 * off and must be confirmed.
 */
export const MIN_HOLDOUT_PERCENT = 5;

const percent = (label: string) =>
  z
    .number({ error: `${label}: enter a whole number from 0 to 100` })
    .int(`${label}: enter a whole number from 0 to 100`)
    .min(0, `${label}: enter a whole number from 0 to 100`)
    .max(100, `${label}: enter a whole number from 0 to 100`);

/** What a co-op admin submits: three whole percentages, and the confirmation a 0 % holdout needs. */
export const ArmWeightsInputSchema = z
  .object({
    device: percent("On device"),
    server: percent("Server"),
    holdout: percent("Holdout"),
    /** Required when holdout is 0: without a holdout, uplift cannot be measured. */
    noHoldout: z.boolean().optional(),
  })
  .superRefine((w, issue) => {
    if (w.device + w.server + w.holdout !== 100)
      issue.addIssue({
        code: "custom",
        path: ["form"],
        message: `The three arms must add up to 100 % (they add up to ${w.device + w.server + w.holdout} %)`,
      });
    if (w.device + w.server === 0)
      issue.addIssue({
        code: "custom",
        path: ["form"],
        message: "At least one personalised arm (on device or server) needs a share above 0 %",
      });
    if (w.holdout > 0 && w.holdout < MIN_HOLDOUT_PERCENT)
      issue.addIssue({
        code: "custom",
        path: ["holdout"],
        message: `A holdout under ${MIN_HOLDOUT_PERCENT} % is too small to measure uplift: use at least ${MIN_HOLDOUT_PERCENT} %, or 0 to stop measuring`,
      });
    if (w.holdout === 0 && w.noHoldout !== true)
      issue.addIssue({
        code: "custom",
        path: ["noHoldout"],
        message: "Without a holdout, uplift cannot be measured: confirm that you want no holdout",
      });
  });
export type ArmWeightsInput = z.input<typeof ArmWeightsInputSchema>;

export interface ExperimentVersion {
  version: number;
  key: string;
  weights: ArmWeights;
  /** Null for an implicit version 1 before anyone exposed or changed anything. */
  startedAt: Date | null;
  /** Null while current. */
  endedAt: Date | null;
  current: boolean;
  /** False for the implicit version 1 (default weights, never stored). */
  stored: boolean;
}

type Row = typeof x.$inferSelect;
const fromRow = (r: Row): ExperimentVersion => ({
  version: r.version,
  key: experimentKey(r.coopId, r.version),
  weights: { device: r.deviceWeight, server: r.serverWeight, holdout: r.holdoutWeight },
  startedAt: r.startedAt,
  endedAt: r.endedAt,
  current: r.endedAt === null,
  stored: true,
});

/** Version 1 of a co-op that never changed its weights. */
const implicitFirst = (coopId: string, startedAt: Date | null): ExperimentVersion => ({
  version: 1,
  key: experimentKey(coopId, 1),
  weights: DEFAULT_ARM_WEIGHTS,
  startedAt,
  endedAt: null,
  current: true,
  stored: false,
});

/** The co-op's current version (any context that can read the co-op's rows; the serving path: system). */
export async function currentExperiment(tx: Tx, coopId: string): Promise<ExperimentVersion> {
  const [row] = await tx
    .select()
    .from(x)
    .where(and(eq(x.coopId, coopId), isNull(x.endedAt)))
    .limit(1);
  return row ? fromRow(row) : implicitFirst(coopId, null);
}

/** When version 1's first list was shown (its start when it was never stored). */
async function firstExposureOf(tx: Tx, coopId: string): Promise<Date | null> {
  const [row] = await tx
    .select({ first: min(schema.offerExposures.shownAt) })
    .from(schema.offerExposures)
    .where(
      and(eq(schema.offerExposures.coopId, coopId), eq(schema.offerExposures.experimentKey, experimentKey(coopId))),
    );
  return row?.first ? new Date(row.first) : null;
}

/** Every version of the co-op's experiment in the transaction's context, newest first. */
export async function experimentVersions(tx: Tx, coopId: string): Promise<ExperimentVersion[]> {
  const rows = await tx.select().from(x).where(eq(x.coopId, coopId)).orderBy(desc(x.version));
  if (rows.length > 0) return rows.map(fromRow);
  return [implicitFirst(coopId, await firstExposureOf(tx, coopId))];
}

/** Every version of the co-op's experiment, newest first (co-op admins and the co-op's creator teams). */
export async function listExperiments(rt: Runtime, ctx: TenantContext): Promise<ExperimentVersion[]> {
  if (!ctx.coopId) throw new AppError("NOT_FOUND", "Not found");
  const coopId = ctx.coopId;
  return withTenant(rt, ctx, (tx) => experimentVersions(tx, coopId));
}

/**
 * A co-op admin sets new arm weights: the current version ends now and the next one starts with them
 * (members re-assigned). The same weights as the current version are refused (nothing would change).
 * Audited as `personalization.experiment.weights_changed`.
 */
export async function setArmWeights(
  rt: Runtime,
  ctx: TenantContext,
  input: ArmWeightsInput,
): Promise<{ version: number; previousVersion: number; weights: ArmWeights }> {
  if (ctx.role !== "coop_admin" || !ctx.coopId || !ctx.userId) throw new AppError("NOT_FOUND", "Not found");
  const coopId = ctx.coopId;
  const userId = ctx.userId;
  const v = parseInput(ArmWeightsInputSchema, input);
  const weights: ArmWeights = { device: v.device, server: v.server, holdout: v.holdout };
  return withTenant(rt, ctx, async (tx) => {
    // Two admins saving at once: one after the other, the second sees the first's version.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`kiln-offer-experiment:${coopId}`}, 0))`);
    const now = rt.clock.now();
    let current = await currentExperiment(tx, coopId);
    const same = (["device", "server", "holdout"] as const).every((arm) => current.weights[arm] === weights[arm]);
    if (same)
      throw new AppError("CONFLICT", `Version ${current.version} already runs with these weights: nothing was changed`);
    if (!current.stored) {
      // Store the implicit version 1 so its span (and its weights) stay on record.
      const startedAt = (await firstExposureOf(tx, coopId)) ?? now;
      const [row] = await tx
        .insert(x)
        .values({
          coopId,
          version: 1,
          deviceWeight: DEFAULT_ARM_WEIGHTS.device,
          serverWeight: DEFAULT_ARM_WEIGHTS.server,
          holdoutWeight: DEFAULT_ARM_WEIGHTS.holdout,
          startedAt: startedAt.getTime() > now.getTime() ? now : startedAt,
        })
        .returning();
      current = fromRow(row!);
    }
    await tx
      .update(x)
      .set({ endedAt: now })
      .where(and(eq(x.coopId, coopId), eq(x.version, current.version)));
    const version = current.version + 1;
    const [row] = await tx
      .insert(x)
      .values({
        coopId,
        version,
        deviceWeight: weights.device,
        serverWeight: weights.server,
        holdoutWeight: weights.holdout,
        startedAt: now,
        startedBy: userId,
      })
      .returning({ id: x.id });
    await appendAudit(tx, now, {
      coopId,
      actorUserId: userId,
      action: "personalization.experiment.weights_changed",
      subjectType: "offer_experiment",
      subjectId: row!.id,
      data: { version, previousVersion: current.version, weights: { ...weights }, previous: { ...current.weights } },
    });
    return { version, previousVersion: current.version, weights };
  });
}
