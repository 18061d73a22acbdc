import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { schema, type Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";
import { addDays, periodStart } from "./periods";

/**
 * Mail to factory operators when a run is locked (issue 7): each operator of a factory with locked
 * batches gets one email in their language (en/de; English when unset) listing the factory's batches
 * of the window, queued in the lock's transaction through the outbox.
 */

type Locale = "en" | "de";

interface BatchLine {
  capability: string;
  creatorName: string;
  units: number;
}

export function runLockedEmail(
  locale: Locale,
  p: { name: string; factoryName: string; period: string; shipBy: string; batches: BatchLine[]; link: string },
): { subject: string; text: string } {
  const total = p.batches.reduce((s, b) => s + b.units, 0);
  const lines = p.batches.map((b) => `- ${b.capability}: ${b.units} × ${b.creatorName}`).join("\n");
  if (locale === "de")
    return {
      subject: `Produktionsplan ${p.period} für ${p.factoryName}: ${total} Einheiten`,
      text: `Hallo ${p.name},\n\nder Produktionsplan für das Fenster ${p.period} steht fest. ${p.factoryName} fertigt:\n\n${lines}\n\nVersand bis: ${p.shipBy}\n\nDeine Chargen: ${p.link}\n`,
    };
  return {
    subject: `Production plan ${p.period} for ${p.factoryName}: ${total} units`,
    text: `Hello ${p.name},\n\nthe production plan for window ${p.period} is locked. ${p.factoryName} makes:\n\n${lines}\n\nShip by: ${p.shipBy}\n\nYour batches: ${p.link}\n`,
  };
}

/** Queues the emails in the caller's (the lock's) transaction; returns how many were queued. */
export async function queueRunLockedEmails(
  tx: Tx,
  input: { coopId: string; runId: string; method: string; period: string; appUrl: string },
): Promise<number> {
  const batches = await tx
    .select({
      factoryId: schema.allocations.factoryId,
      factoryName: schema.factories.name,
      leadTimeDays: schema.factories.leadTimeDays,
      capability: schema.allocations.capability,
      creatorName: schema.creators.displayName,
      units: schema.allocations.units,
    })
    .from(schema.allocations)
    .innerJoin(schema.factories, eq(schema.factories.id, schema.allocations.factoryId))
    .innerJoin(schema.creators, eq(schema.creators.id, schema.allocations.creatorId))
    .where(
      and(
        eq(schema.allocations.runId, input.runId),
        eq(schema.allocations.method, input.method),
        gt(schema.allocations.units, 0),
      ),
    )
    .orderBy(asc(schema.allocations.capability), asc(schema.creators.displayName), asc(schema.allocations.id));
  const factoryIds = [...new Set(batches.map((b) => b.factoryId))];
  if (factoryIds.length === 0) return 0;
  const operators = await tx
    .select({
      factoryId: schema.roleAssignments.factoryId,
      email: schema.users.email,
      name: schema.users.displayName,
      locale: schema.users.locale,
    })
    .from(schema.roleAssignments)
    .innerJoin(schema.users, eq(schema.users.id, schema.roleAssignments.userId))
    .where(
      and(
        eq(schema.roleAssignments.coopId, input.coopId),
        eq(schema.roleAssignments.role, "factory_operator"),
        inArray(schema.roleAssignments.factoryId, factoryIds),
      ),
    )
    .orderBy(asc(schema.users.email), sql`1`);
  const base = input.appUrl.replace(/\/$/, "");
  let queued = 0;
  for (const op of operators) {
    const own = batches.filter((b) => b.factoryId === op.factoryId);
    const first = own[0]!;
    const locale: Locale = op.locale === "de" ? "de" : "en";
    const message = runLockedEmail(locale, {
      name: op.name,
      factoryName: first.factoryName,
      period: input.period,
      shipBy: addDays(periodStart(input.period), first.leadTimeDays),
      batches: own,
      link: `${base}/factory/${first.factoryId}`,
    });
    await enqueueEmail(tx, { to: op.email, ...message, template: "capacity-run-locked", locale, coopId: input.coopId });
    queued++;
  }
  return queued;
}
