/**
 * Training a co-op's offer ranker end to end (issue 9 §3): load the examples from the exposure log,
 * train and evaluate (train/train-model.ts), check the exported ONNX file in onnxruntime-node, write
 * the files when asked, and register the version as a candidate. Shared by `pnpm train`
 * (src/cli/train.ts) and the pg-boss job `personalization.train` (weekly, and on demand from the
 * co-op admin screen). Server-only.
 *
 * Neither activates anything by itself: the job never does (a co-op admin activates a candidate after
 * reading its card); the CLI only with --activate, and only a model that beats the baseline.
 */
import { asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { loadTrainingExamples } from "./examples.js";
import { registerModel } from "./registry.js";
import { InsufficientDataError } from "./train/split.js";
import { trainModel, type TrainedModel, type TrainModelProgress } from "./train/train-model.js";
import { verifyOnnxExport, type OnnxVerification } from "./train/verify-onnx.js";
import { writeModelFiles, type ModelFiles } from "./train/write-model.js";

/** The seed used when none is given (CLI default, scheduled job). */
export const DEFAULT_TRAIN_SEED = 20261130;

/** The weekly schedule of the training job (Mondays 02:40 UTC). */
export const TRAIN_SCHEDULE = "40 2 * * 1";

/** Thrown when a co-op has no usable examples (no exposures, or none whose label window has closed). */
export class NoTrainingDataError extends InsufficientDataError {
  constructor(readonly coopSlug: string) {
    super(
      `co-op ${coopSlug} has no training examples: no offer lists shown to members whose 7-day label window has closed (seed the demo with \`pnpm db:seed\` or wait for real traffic)`,
    );
    this.name = "NoTrainingDataError";
  }
}

export interface CoopWithExposures {
  id: string;
  slug: string;
  exposures: number;
}

/** The co-ops that have shown offer lists, with how many (system context). */
export async function listCoopsWithExposures(rt: Runtime): Promise<CoopWithExposures[]> {
  const e = schema.offerExposures;
  const rows = await withSystem(rt, "personalization-train-coops", (tx) =>
    tx
      .select({ id: schema.coops.id, slug: schema.coops.slug, exposures: sql<number>`count(${e.id})::int` })
      .from(schema.coops)
      .innerJoin(e, eq(e.coopId, schema.coops.id))
      .groupBy(schema.coops.id, schema.coops.slug)
      .orderBy(asc(schema.coops.slug)),
  );
  return rows.map((r) => ({ ...r, exposures: Number(r.exposures) }));
}

/** A co-op by slug (system context), or null. */
export async function findCoopBySlug(rt: Runtime, slug: string): Promise<{ id: string; slug: string } | null> {
  const [row] = await withSystem(rt, "personalization-train-coop", (tx) =>
    tx.select({ id: schema.coops.id, slug: schema.coops.slug }).from(schema.coops).where(eq(schema.coops.slug, slug)),
  );
  return row ?? null;
}

export type TrainCoopProgress =
  { stage: "load"; examples?: number } | TrainModelProgress | { stage: "verify" } | { stage: "register" };

export interface TrainCoopOptions {
  coop: { id: string; slug: string };
  seed?: number;
  /** Train on exposures before this instant (default: the last 25 % of lists are held out). */
  cutoff?: Date;
  /** Where to write `<version>.onnx`, `.card.json` and `.md` (null: registry only). */
  outDir?: string | null;
  /** Who asked for the run (null: the schedule or the CLI). */
  actorUserId?: string | null;
  onProgress?: (progress: TrainCoopProgress) => void;
}

export interface TrainCoopResult {
  trained: TrainedModel;
  verification: OnnxVerification;
  files: ModelFiles | null;
  registered: { id: string; version: string; sha256: string };
}

/** Loads, trains, verifies, writes and registers one co-op's model (a candidate, never activated here). */
export async function trainCoopModel(rt: Runtime, options: TrainCoopOptions): Promise<TrainCoopResult> {
  const { coop, onProgress } = options;
  onProgress?.({ stage: "load" });
  const examples = await loadTrainingExamples(rt, { coopId: coop.id });
  onProgress?.({ stage: "load", examples: examples.length });
  if (examples.length === 0) throw new NoTrainingDataError(coop.slug);
  const trained = trainModel(examples, {
    seed: options.seed ?? DEFAULT_TRAIN_SEED,
    cutoff: options.cutoff,
    scope: coop.slug,
    now: rt.clock.now(),
    onProgress,
  });
  onProgress?.({ stage: "verify" });
  const verification = await verifyOnnxExport(
    trained.onnx,
    trained.model,
    examples.map((e) => e.features),
  );
  const files = options.outDir ? await writeModelFiles(options.outDir, trained) : null;
  onProgress?.({ stage: "register" });
  const registered = await registerModel(rt, {
    coopId: coop.id,
    version: trained.version,
    onnx: trained.onnx,
    card: trained.card as unknown as Record<string, unknown>,
    trainedAt: new Date(trained.card.createdAt),
    actorUserId: options.actorUserId ?? null,
  });
  return { trained, verification, files, registered };
}

/** The job's payload: one co-op (on demand from its admin screen) or every co-op with exposures (schedule). */
export const TrainJobDataSchema = z.object({
  coopId: z.uuid().optional(),
  seed: z.number().int().optional(),
  requestedBy: z.uuid().nullish(),
});
export type TrainJobData = z.input<typeof TrainJobDataSchema>;

export interface TrainJobOutcome {
  trained: Array<{
    coopSlug: string;
    version: string;
    auc: number;
    ndcg5: number;
    baselineAuc: number;
    baselineNdcg5: number;
  }>;
  skipped: Array<{ coopSlug: string; reason: string }>;
}

/**
 * The pg-boss handler of `personalization.train`. Registers candidates only. On the schedule (every
 * co-op with exposures) a co-op without enough data is skipped with its reason; any other failure is
 * reported after the other co-ops ran and fails the job (pg-boss keeps the error). A co-op asked for
 * by id (an admin's "train now") fails the job on any error, so the admin sees why.
 */
export function createTrainJobHandler(
  rt: Runtime,
  options: { outDir?: string | null; log?: (line: string) => void } = {},
): (job: { data: unknown }) => Promise<TrainJobOutcome> {
  const log = options.log ?? ((line: string) => console.info(`[kiln] personalization: ${line}`));
  return async (job) => {
    const data = TrainJobDataSchema.parse(job.data ?? {});
    let coops: Array<{ id: string; slug: string }>;
    if (data.coopId) {
      const [row] = await withSystem(rt, "personalization-train-coop", (tx) =>
        tx
          .select({ id: schema.coops.id, slug: schema.coops.slug })
          .from(schema.coops)
          .where(eq(schema.coops.id, data.coopId!)),
      );
      if (!row) throw new Error(`no co-op ${data.coopId}`);
      coops = [row];
    } else {
      coops = await listCoopsWithExposures(rt);
    }
    const outcome: TrainJobOutcome = { trained: [], skipped: [] };
    const failures: string[] = [];
    for (const coop of coops) {
      try {
        const result = await trainCoopModel(rt, {
          coop,
          seed: data.seed,
          outDir: options.outDir ?? null,
          actorUserId: data.requestedBy ?? null,
          onProgress: (p) => {
            if (p.stage === "split") log(`${coop.slug}: ${p.train} training and ${p.test} held-out examples`);
          },
        });
        const { model, baseline } = result.trained.metrics;
        log(
          `${coop.slug}: registered candidate ${result.registered.version} — AUC ${model.auc.toFixed(4)} (baseline ${baseline.auc.toFixed(4)}), NDCG@5 ${model.ndcg5.toFixed(4)} (baseline ${baseline.ndcg5.toFixed(4)})`,
        );
        outcome.trained.push({
          coopSlug: coop.slug,
          version: result.registered.version,
          auc: model.auc,
          ndcg5: model.ndcg5,
          baselineAuc: baseline.auc,
          baselineNdcg5: baseline.ndcg5,
        });
      } catch (error) {
        if (data.coopId) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        log(`${coop.slug}: not trained: ${reason}`);
        if (error instanceof InsufficientDataError) outcome.skipped.push({ coopSlug: coop.slug, reason });
        else failures.push(`${coop.slug}: ${reason}`);
      }
    }
    if (failures.length) throw new Error(`training failed for ${failures.join("; ")}`);
    return outcome;
  };
}
