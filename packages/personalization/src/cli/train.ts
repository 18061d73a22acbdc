/**
 * `pnpm train`: trains each co-op's offer ranker on the configured database (DATABASE_URL, else the
 * embedded data folder — the same runtime `pnpm db:seed` opens), evaluates it against the popularity
 * baseline on the held-out split, writes `models/offer-ranker/<version>.onnx` with its card, and
 * registers it as a candidate. With --activate (and the co-op admin on whose authority it is done)
 * the new version becomes active — only when it beats the baseline on AUC, unless --force.
 *
 *   pnpm train [--coop <slug>] [--seed <n>] [--cutoff <ISO time>] [--out <dir>]
 *              [--activate --admin <email> [--force]]
 */
import path from "node:path";
import { parseArgs } from "node:util";
import type { Runtime } from "@kiln/db";
import type { TrainCoopProgress } from "../train-job.js";

/**
 * The database, training and ONNX modules, loaded once the options are known to be good: a mistyped
 * flag is answered at once instead of after loading onnxruntime and the schema.
 */
async function loadModules() {
  const [drizzle, db, dbCli, registry, card, job] = await Promise.all([
    import("drizzle-orm"),
    import("@kiln/db"),
    import("@kiln/db/cli"),
    import("../registry.js"),
    import("../train/model-card.js"),
    import("../train-job.js"),
  ]);
  return { ...drizzle, ...db, ...dbCli, ...registry, ...card, ...job };
}
type Modules = Awaited<ReturnType<typeof loadModules>>;

const usage = (defaultSeed: number) => `Usage: pnpm train [options]
  --coop <slug>      train this co-op only (default: every co-op that has shown offer lists)
  --seed <n>         seed (default ${defaultSeed}); same data + seed → same model
  --cutoff <time>    train on lists shown before this ISO time, evaluate on the rest
                     (default: the last 25 % of lists are held out)
  --out <dir>        where the .onnx, .card.json and .md files go (default models/offer-ranker)
  --activate         make the new version active (needs --admin)
  --admin <email>    the co-op admin on whose authority --activate is done (audited as theirs)
  --force            activate even when the model does not beat the popularity baseline on AUC
  --help             this text`;

class UsageError extends Error {}

/** An ISO 8601 date or date-time (what --cutoff takes); `new Date` alone would take "1" as 2001. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** A path relative to the working directory when it is inside it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") ? file : relative;
}

function readOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        coop: { type: "string" },
        seed: { type: "string" },
        cutoff: { type: "string" },
        out: { type: "string", default: "models/offer-ranker" },
        activate: { type: "boolean", default: false },
        admin: { type: "string" },
        force: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    });
  } catch (error) {
    // node:util's messages go on with advice about positionals; the first sentence is the point.
    throw new UsageError((error as Error).message.split(". ")[0]);
  }
  const { values } = parsed;
  // Undefined: the trainer's default seed.
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && (!/^-?\d+$/.test(values.seed!.trim()) || !Number.isSafeInteger(seed)))
    throw new UsageError(`--seed must be an integer, got "${values.seed}"`);
  const cutoff = values.cutoff === undefined ? undefined : new Date(values.cutoff);
  if (cutoff && (!ISO_TIME.test(values.cutoff!) || Number.isNaN(cutoff.getTime())))
    throw new UsageError(`--cutoff must be an ISO time such as 2026-11-01T00:00:00Z, got "${values.cutoff}"`);
  if (values.coop !== undefined && values.coop.trim() === "") throw new UsageError("--coop needs a co-op slug");
  if (values.out.trim() === "") throw new UsageError("--out needs a directory");
  if (values.activate && !values.admin) {
    throw new UsageError("--activate needs --admin <email>: the co-op admin on whose authority the model goes live");
  }
  if (values.force && !values.activate) throw new UsageError("--force only makes sense with --activate");
  return { ...values, seed, cutoff, out: path.resolve(values.out) };
}

/** The co-op admin named by --admin, checked against the co-op's role assignments. */
async function resolveAdmin(m: Modules, rt: Runtime, coopId: string, coopSlug: string, email: string): Promise<string> {
  const { and, eq, schema, withSystem } = m;
  const [row] = await withSystem(rt, "personalization-train-admin", (tx) =>
    tx
      .select({ userId: schema.users.id })
      .from(schema.users)
      .innerJoin(schema.roleAssignments, eq(schema.roleAssignments.userId, schema.users.id))
      .where(
        and(
          eq(schema.users.email, email.trim().toLowerCase()),
          eq(schema.roleAssignments.coopId, coopId),
          eq(schema.roleAssignments.role, "coop_admin"),
        ),
      ),
  );
  if (!row)
    throw new UsageError(`${email} is not a co-op admin of ${coopSlug}, so nothing was trained or activated there`);
  return row.userId;
}

function progressPrinter(slug: string) {
  return (p: TrainCoopProgress) => {
    switch (p.stage) {
      case "load":
        console.log(p.examples === undefined ? `[${slug}] loading examples…` : `[${slug}] ${p.examples} examples`);
        break;
      case "split":
        console.log(`[${slug}] split at ${p.cutoff.toISOString()}: ${p.train} training, ${p.test} held-out examples`);
        break;
      case "fit":
        console.log(
          `[${slug}] fit: iteration ${p.iteration}/${p.maxIterations}, objective ${p.objective.toFixed(6)}, step ${p.step.toExponential(2)}`,
        );
        break;
      case "evaluate":
        console.log(`[${slug}] evaluating on the held-out split (model and popularity baseline, bootstrap)…`);
        break;
      case "export":
        console.log(`[${slug}] exporting ${p.version}.onnx`);
        break;
      case "verify":
        console.log(`[${slug}] checking the ONNX file in onnxruntime-node…`);
        break;
      case "register":
        console.log(`[${slug}] registering the candidate…`);
        break;
    }
  };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof readOptions>;
  try {
    options = readOptions();
  } catch (error) {
    // One line: what was wrong; the options are one --help away.
    console.error(`train: ${(error as Error).message} (pnpm train --help lists the options)`);
    return 1;
  }
  const m = await loadModules();
  const {
    activateModel,
    describeTarget,
    findCoopBySlug,
    listCoopsWithExposures,
    loadConfigOrExit,
    metricsTable,
    migrateAndReport,
    openConfiguredDatabase,
    systemClock,
    trainCoopModel,
  } = m;
  if (options.help) {
    console.log(usage(m.DEFAULT_TRAIN_SEED));
    return 0;
  }
  const seed = options.seed ?? m.DEFAULT_TRAIN_SEED;
  const config = loadConfigOrExit();
  const target = describeTarget(config);
  const database = await openConfiguredDatabase(config);
  const rt: Runtime = { database, clock: systemClock };
  try {
    const applied = await migrateAndReport(database);
    if (applied.length > 0) console.log(`train: applied ${applied.length} pending migrations first.`);
    let coops: Array<{ id: string; slug: string }>;
    if (options.coop) {
      const coop = await findCoopBySlug(rt, options.coop);
      if (!coop) {
        console.error(`train: no co-op with the slug "${options.coop}" in the ${target}`);
        return 1;
      }
      coops = [coop];
    } else {
      coops = await listCoopsWithExposures(rt);
      if (coops.length === 0) {
        console.error(
          `train: no co-op in the ${target} has shown offer lists to members yet: nothing to train on (\`pnpm db:seed\` seeds a demo history)`,
        );
        return 1;
      }
    }
    console.log(`train: ${coops.length} co-op(s) on the ${target}, seed ${seed}`);
    let failed = 0;
    for (const coop of coops) {
      try {
        // Checked first: a wrong --admin should not cost a training run.
        const adminUserId = options.activate ? await resolveAdmin(m, rt, coop.id, coop.slug, options.admin!) : null;
        const result = await trainCoopModel(rt, {
          coop,
          seed,
          cutoff: options.cutoff,
          outDir: options.out,
          onProgress: progressPrinter(coop.slug),
        });
        const { card } = result.trained;
        console.log(
          `\n[${coop.slug}] ${card.version}: ${card.data.test.lists} held-out lists, ${card.metrics.evaluatedLists} with a positive\n\n${metricsTable(card)}\n`,
        );
        console.log(
          `[${coop.slug}] ONNX check: ${result.verification.rows} rows, max |Δscore| ${result.verification.maxAbsDifference.toExponential(2)}`,
        );
        for (const file of result.files ? [result.files.onnx, result.files.card, result.files.markdown] : [])
          console.log(`[${coop.slug}] wrote ${displayPath(file)}`);
        console.log(
          `[${coop.slug}] registered ${result.registered.version} as a candidate (sha256 ${result.registered.sha256})`,
        );
        const beats = card.metrics.beatsBaseline;
        if (!beats.auc || !beats.ndcg5) {
          console.warn(
            `[${coop.slug}] warning: the model does not beat the popularity baseline on ${[!beats.auc && "AUC", !beats.ndcg5 && "NDCG@5"].filter(Boolean).join(" and ")}`,
          );
        }
        if (options.activate) {
          if (!beats.auc && !options.force) {
            console.error(
              `[${coop.slug}] not activated: AUC ${card.metrics.model.auc.toFixed(4)} does not beat the baseline's ${card.metrics.baseline.auc.toFixed(4)} (--force to activate anyway)`,
            );
            failed++;
            continue;
          }
          const switched = await activateModel(
            rt,
            { userId: adminUserId, coopId: coop.id, role: "coop_admin" },
            { version: card.version },
          );
          console.log(
            `[${coop.slug}] activated ${switched.version}${switched.previous ? ` (was ${switched.previous})` : ""}`,
          );
        }
      } catch (error) {
        failed++;
        console.error(`[${coop.slug}] not trained: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failed === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("train failed:", error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
