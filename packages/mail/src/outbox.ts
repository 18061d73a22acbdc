import { sql } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "@kiln/core";
import { schema, type Tx } from "@kiln/db";

export const EnqueueEmailSchema = z.object({
  to: z.email("to must be an email address"),
  subject: z.string().min(1).max(300),
  text: z.string().min(1),
  html: z.string().min(1).optional(),
  /** Which template produced it (e.g. "verify-email"): for the dev mailbox and metrics. */
  template: z.string().min(1).max(100),
  locale: z.enum(["en", "de"]),
  /** The co-op the mail belongs to; null (account mail) only in the system context. */
  coopId: z.uuid().nullish(),
  /** Not before this time (default: now, i.e. kiln_now()). */
  sendAfter: z.date().optional(),
});
export type EnqueueEmailInput = z.input<typeof EnqueueEmailSchema>;

/**
 * Puts an email into the outbox in the caller's transaction, so it is sent if and only if the change
 * that caused it commits. Inside withTenant the row must belong to the context's co-op (RLS); account
 * mail without a co-op is enqueued in the system context.
 */
export async function enqueueEmail(
  tx: Tx,
  input: {
    to: string;
    subject: string;
    text: string;
    html?: string;
    template: string;
    locale: "en" | "de";
    coopId?: string | null;
    sendAfter?: Date;
  },
): Promise<{ id: string }> {
  const parsed = EnqueueEmailSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError(
      "BAD_INPUT",
      `Invalid email: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const e = parsed.data;
  const [row] = await tx
    .insert(schema.emailOutbox)
    .values({
      coopId: e.coopId ?? null,
      toAddress: e.to,
      subject: e.subject,
      textBody: e.text,
      htmlBody: e.html ?? null,
      template: e.template,
      locale: e.locale,
      sendAfter: e.sendAfter ?? sql`kiln_now()`,
    })
    .returning({ id: schema.emailOutbox.id });
  return { id: row!.id };
}
