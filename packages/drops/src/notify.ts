import { eq } from "drizzle-orm";
import { schema, type Tx } from "@kiln/db";
import { enqueueEmail } from "@kiln/mail";

/** A notice to the member through the outbox, in the caller's transaction (sent iff it commits). */
export async function notifyMember(
  tx: Tx,
  memberUserId: string,
  coopId: string,
  locale: string,
  mail: { template: string; subject: string; text: string },
) {
  const [user] = await tx
    .select({ email: schema.users.email })
    .from(schema.users)
    .where(eq(schema.users.id, memberUserId));
  if (!user?.email) return;
  await enqueueEmail(tx, {
    coopId,
    to: user.email,
    subject: mail.subject,
    text: mail.text,
    template: mail.template,
    locale: locale === "de" ? "de" : "en",
  });
}
