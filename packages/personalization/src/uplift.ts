import { and, desc, eq, sql } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import type { ArmWeights } from "./experiment.js";
import { experimentVersions } from "./experiment-settings.js";
import { ARMS, type Arm } from "./types.js";

/**
 * Conversion per experiment arm by intention to treat (issue 9 §7, the "edge uplift" metric): every
 * member who was shown offers counts in the arm they were ASSIGNED, whatever actually served them (a
 * device-arm member whose phone could not score still counts as device), so the comparison between
 * arms stays randomised. A member converted when they claimed or bought (a claim not expired or
 * cancelled) one of the products offered to them within CONVERSION_DAYS of their first exposure.
 * Members whose window is still open are left out (counted as `pending`).
 *
 * Per experiment version (decision 021): each version has its own key and weights, so members are
 * randomised afresh and a report never mixes versions. A member counts in a version only when their
 * whole window lies inside it: in an ended version, members first shown offers less than
 * CONVERSION_DAYS before it ended are `cutOff` (their window ran into the next version's treatment).
 */

export const CONVERSION_DAYS = 7;
/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;
const DAY = 86_400_000;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval of a proportion x/n (n = 0: the whole [0, 1]). */
export function wilsonInterval(successes: number, trials: number, z = Z95): Interval {
  if (trials <= 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Difference of two proportions a − b with a normal-approximation (Wald) interval; null without data. */
export function differenceInterval(
  a: { converted: number; members: number },
  b: { converted: number; members: number },
  z = Z95,
): { difference: number; low: number; high: number } | null {
  if (a.members === 0 || b.members === 0) return null;
  const pa = a.converted / a.members;
  const pb = b.converted / b.members;
  const se = Math.sqrt((pa * (1 - pa)) / a.members + (pb * (1 - pb)) / b.members);
  const difference = pa - pb;
  return { difference, low: difference - z * se, high: difference + z * se };
}

export interface ArmResult {
  arm: Arm;
  /** Members assigned to this arm whose conversion window has closed. */
  members: number;
  converted: number;
  rate: number | null;
  interval: Interval;
}

/** One experiment version as the report shows it. */
export interface ExperimentSummary {
  version: number;
  weights: ArmWeights;
  startedAt: Date | null;
  endedAt: Date | null;
  current: boolean;
  /** False when the holdout weight is 0: no comparison with a non-personalised arm is possible. */
  measurable: boolean;
}

export interface UpliftReport {
  experimentKey: string;
  /** The version this report is about (the current one unless asked for another). */
  experiment: ExperimentSummary;
  /** Every version of the co-op's experiment, newest first. */
  versions: ExperimentSummary[];
  conversionDays: number;
  asOf: Date;
  arms: ArmResult[];
  /** device − holdout and server − holdout conversion (percentage points as fractions), 95 % interval. */
  deviceVsHoldout: { difference: number; low: number; high: number } | null;
  serverVsHoldout: { difference: number; low: number; high: number } | null;
  /** Exposures by the arm that actually served them (assigned arm → served arm → count). */
  served: Array<{ assignedArm: Arm; servedArm: Arm; exposures: number }>;
  /** Members first shown offers less than conversionDays ago (not counted yet; current version only). */
  pending: number;
  /** Members of an ended version whose window ran past its end (never counted). */
  cutOff: number;
  /** The co-op's active model, if any. */
  activeModel: { version: string; activatedAt: Date | null } | null;
}

/** The per-arm numbers from per-member facts (exported for tests and the bench). */
export function summariseArms(members: ReadonlyArray<{ arm: Arm; converted: boolean }>): ArmResult[] {
  return ARMS.map((arm) => {
    const inArm = members.filter((m) => m.arm === arm);
    const converted = inArm.filter((m) => m.converted).length;
    return {
      arm,
      members: inArm.length,
      converted,
      rate: inArm.length ? converted / inArm.length : null,
      interval: wilsonInterval(converted, inArm.length),
    };
  });
}

/**
 * The creator's experiment results as of now (creator team context: RLS shows the creator's own
 * exposures and claims only).
 */
export async function getOfferUplift(
  rt: Runtime,
  ctx: TenantContext,
  options: { version?: number } = {},
): Promise<UpliftReport> {
  if (!ctx.coopId || !ctx.creatorId) throw new AppError("NOT_FOUND", "Not found");
  const coopId = ctx.coopId;
  const creatorId = ctx.creatorId;
  const asOf = rt.clock.now();
  return withTenant(rt, ctx, async (tx) => {
    const all = await experimentVersions(tx, coopId);
    const chosen =
      options.version === undefined ? all.find((v) => v.current) : all.find((v) => v.version === options.version);
    if (!chosen) throw new AppError("NOT_FOUND", `No experiment version ${options.version}`);
    const key = chosen.key;
    // A member's window must close by now, and (in an ended version) by the version's end.
    const windowEnd = chosen.endedAt && chosen.endedAt.getTime() < asOf.getTime() ? chosen.endedAt : asOf;
    const windowClosedBefore = new Date(windowEnd.getTime() - CONVERSION_DAYS * DAY);
    const summary = (v: (typeof all)[number]): ExperimentSummary => ({
      version: v.version,
      weights: v.weights,
      startedAt: v.startedAt,
      endedAt: v.endedAt,
      current: v.current,
      measurable: v.weights.holdout > 0,
    });
    // One row per member: the arm of their first exposure, when it was, and whether they converted.
    const rows = await tx.execute<{ arm: Arm; first_shown_at: string | Date; converted: boolean }>(sql`
      with firsts as (
        select distinct on (e.member_user_id) e.member_user_id, e.assigned_arm as arm, e.shown_at as first_shown_at
        from offer_exposures e
        where e.coop_id = ${coopId} and e.creator_id = ${creatorId} and e.experiment_key = ${key}
        order by e.member_user_id, e.shown_at, e.id
      )
      select f.arm, f.first_shown_at,
        exists (
          select 1 from drop_claims c
          join drops d on d.id = c.drop_id
          where c.member_user_id = f.member_user_id and c.creator_id = ${creatorId}
            and c.status in ('reserved', 'confirmed')
            and c.created_at >= f.first_shown_at
            and c.created_at < f.first_shown_at + make_interval(days => ${CONVERSION_DAYS})
            and exists (
              select 1 from offer_exposure_items i
              join offer_exposures e2 on e2.id = i.exposure_id
              where i.member_user_id = f.member_user_id and i.creator_id = ${creatorId}
                and e2.experiment_key = ${key} and i.product_id = d.product_id
                and e2.shown_at <= c.created_at
            )
        ) as converted
      from firsts f`);
    const complete = rows.filter((r) => new Date(r.first_shown_at).getTime() < windowClosedBefore.getTime());
    const arms = summariseArms(complete.map((r) => ({ arm: r.arm, converted: r.converted === true })));
    const byArm = new Map(arms.map((a) => [a.arm, a]));

    const served = await tx
      .select({
        assignedArm: schema.offerExposures.assignedArm,
        servedArm: schema.offerExposures.servedArm,
        exposures: sql<number>`count(*)::int`,
      })
      .from(schema.offerExposures)
      .where(
        and(
          eq(schema.offerExposures.coopId, coopId),
          eq(schema.offerExposures.creatorId, creatorId),
          eq(schema.offerExposures.experimentKey, key),
        ),
      )
      .groupBy(schema.offerExposures.assignedArm, schema.offerExposures.servedArm)
      .orderBy(schema.offerExposures.assignedArm, schema.offerExposures.servedArm);

    const [active] = await tx
      .select({ version: schema.offerModels.version, activatedAt: schema.offerModels.activatedAt })
      .from(schema.offerModels)
      .where(and(eq(schema.offerModels.coopId, coopId), eq(schema.offerModels.status, "active")))
      .orderBy(desc(schema.offerModels.activatedAt))
      .limit(1);

    return {
      experimentKey: key,
      experiment: summary(chosen),
      versions: all.map(summary),
      conversionDays: CONVERSION_DAYS,
      asOf,
      arms,
      deviceVsHoldout: differenceInterval(byArm.get("device")!, byArm.get("holdout")!),
      serverVsHoldout: differenceInterval(byArm.get("server")!, byArm.get("holdout")!),
      served: served.map((s) => ({ ...s, exposures: Number(s.exposures) })),
      pending: chosen.current ? rows.length - complete.length : 0,
      cutOff: chosen.current ? 0 : rows.length - complete.length,
      activeModel: active ?? null,
    };
  });
}
