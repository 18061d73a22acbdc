import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { schema, withSystem, type Runtime } from "@kiln/db";
import type { MailTransport } from "./transport";

export interface DeliverOptions {
  /** Rows claimed per run (default 20). */
  batchSize?: number;
  /** After this many failed attempts a row is marked failed (default 5). */
  maxAttempts?: number;
  /** How long a claimed row is hidden from other runs while it is being sent (default 300 s). */
  leaseSeconds?: number;
}

export interface DeliverResult {
  sent: string[];
  /** Failed this time, will be tried again later. */
  retried: string[];
  /** Failed for good (maxAttempts reached). */
  failed: string[];
}

/** Backoff after the n-th failed attempt: 1, 2, 4, 8 … minutes, at most an hour. */
export const retryDelaySeconds = (attempts: number) => Math.min(60 * 2 ** Math.max(attempts - 1, 0), 3600);

type Claimed = Pick<
  typeof schema.emailOutbox.$inferSelect,
  "id" | "toAddress" | "subject" | "textBody" | "htmlBody" | "attempts"
>;

/**
 * Claims due rows (pending, send_after <= kiln_now()) with FOR UPDATE SKIP LOCKED, so concurrent
 * workers never take the same row, and leases them: attempts + 1 and send_after pushed out by the lease,
 * committed before anything is sent. Exported for tests of the crash path.
 */
export async function claimOutbox(rt: Runtime, options: DeliverOptions = {}): Promise<Claimed[]> {
  const { batchSize = 20, leaseSeconds = 300 } = options;
  const o = schema.emailOutbox;
  return withSystem(rt, "email-outbox", async (tx) => {
    const due = await tx
      .select({ id: o.id })
      .from(o)
      .where(and(eq(o.status, "pending"), lte(o.sendAfter, sql`kiln_now()`)))
      .orderBy(asc(o.sendAfter))
      .limit(batchSize)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(o)
      .set({ attempts: sql`${o.attempts} + 1`, sendAfter: sql`kiln_now() + make_interval(secs => ${leaseSeconds})` })
      .where(
        inArray(
          o.id,
          due.map((d) => d.id),
        ),
      )
      .returning({
        id: o.id,
        toAddress: o.toAddress,
        subject: o.subject,
        textBody: o.textBody,
        htmlBody: o.htmlBody,
        attempts: o.attempts,
      });
  });
}

/**
 * Sends due outbox mail (system context). Delivery is AT LEAST ONCE: a row is claimed and leased in
 * one transaction, sent outside any transaction (a slow SMTP server never holds a database
 * transaction — on the embedded database that would stall everything), and marked in another. If the
 * process dies between sending and marking, the lease runs out and the row is sent again; each copy
 * carries the same Message-ID (`<outbox id@kiln.local>`) and the file transport overwrites the same
 * file, so duplicates are recognisable. A failed send is retried with backoff until maxAttempts, then
 * the row is marked failed with the last error.
 */
export async function deliverOutbox(
  rt: Runtime,
  transport: MailTransport,
  options: DeliverOptions = {},
): Promise<DeliverResult> {
  const { maxAttempts = 5 } = options;
  const result: DeliverResult = { sent: [], retried: [], failed: [] };
  const o = schema.emailOutbox;
  for (const row of await claimOutbox(rt, options)) {
    try {
      await transport.send({
        id: row.id,
        to: row.toAddress,
        subject: row.subject,
        text: row.textBody,
        html: row.htmlBody,
        date: rt.clock.now(),
      });
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
      const givingUp = row.attempts >= maxAttempts;
      await withSystem(rt, "email-outbox", (tx) =>
        tx
          .update(o)
          .set(
            givingUp
              ? { status: "failed", lastError: message }
              : {
                  lastError: message,
                  sendAfter: sql`kiln_now() + make_interval(secs => ${retryDelaySeconds(row.attempts)})`,
                },
          )
          .where(and(eq(o.id, row.id), eq(o.status, "pending"))),
      );
      (givingUp ? result.failed : result.retried).push(row.id);
      continue;
    }
    await withSystem(rt, "email-outbox", (tx) =>
      tx
        .update(o)
        .set({ status: "sent", sentAt: sql`kiln_now()`, lastError: null })
        .where(eq(o.id, row.id)),
    );
    result.sent.push(row.id);
  }
  return result;
}
