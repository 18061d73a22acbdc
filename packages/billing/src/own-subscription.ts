import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "@kiln/core";
import { schema, type TenantContext, type Tx } from "@kiln/db";
import type { SubscriptionRow } from "./subscription-state";

/**
 * A member's own operation on one subscription: the subscription and a request id the form carries
 * (made when the page rendered). The request id keys the Stripe call and the audit entry, so a
 * double press or a retried request does the operation once.
 */
export const MemberOpSchema = z.object({ subscriptionId: z.uuid(), requestId: z.uuid() });
export type MemberOpInput = z.input<typeof MemberOpSchema>;

export function requireMemberId(actor: TenantContext): string {
  if (!actor.userId) throw new AppError("UNAUTHENTICATED", "Sign in");
  return actor.userId;
}

export function parseOrBadInput<T extends z.ZodType>(s: T, input: unknown): z.output<T> {
  const parsed = s.safeParse(input);
  if (!parsed.success)
    throw new AppError("BAD_INPUT", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return parsed.data;
}

/**
 * The member's own subscription, locked for the rest of the transaction when `lock` is set. Another
 * member's subscription is NOT_FOUND (it must look exactly like a missing one).
 */
export async function ownSubscription(
  tx: Tx,
  memberUserId: string,
  subscriptionId: string,
  lock = false,
): Promise<SubscriptionRow> {
  const query = tx
    .select()
    .from(schema.subscriptions)
    .where(and(eq(schema.subscriptions.id, subscriptionId), eq(schema.subscriptions.memberUserId, memberUserId)));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw new AppError("NOT_FOUND", "Not found");
  return row;
}

/** Whether an audited member operation with this request id was already done (a replayed request). */
export async function requestDone(tx: Tx, coopId: string, action: string, subscriptionId: string, requestId: string) {
  const [done] = await tx
    .select({ seq: schema.auditLog.seq })
    .from(schema.auditLog)
    .where(
      and(
        eq(schema.auditLog.coopId, coopId),
        eq(schema.auditLog.action, action),
        eq(schema.auditLog.subjectType, "subscription"),
        eq(schema.auditLog.subjectId, subscriptionId),
        sql`${schema.auditLog.data} ->> 'requestId' = ${requestId}`,
      ),
    );
  return done !== undefined;
}
