import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts } from "./columns";
import { coopPolicy, systemPolicy } from "./rls";
import { coops } from "./tenancy";

/**
 * Every email goes through this table: written in the same transaction as the change that caused it,
 * sent by the outbox job (nodemailer, or the local mail folder when no SMTP is configured).
 */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: id(),
    /** Null for account mail (verification, password reset) that belongs to no co-op. */
    coopId: uuid().references(() => coops.id, { onDelete: "cascade" }),
    toAddress: text().notNull(),
    subject: text().notNull(),
    textBody: text().notNull(),
    htmlBody: text(),
    template: text().notNull(),
    locale: text().notNull().default("en"),
    status: text().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    lastError: text(),
    sendAfter: ts()
      .notNull()
      .default(sql`kiln_now()`),
    sentAt: ts(),
    createdAt: createdAt(),
  },
  (t) => [
    check("email_outbox_status", sql`${t.status} in ('pending', 'sent', 'failed')`),
    index("email_outbox_pending_idx").on(t.status, t.sendAfter),
    systemPolicy("email_outbox"),
    coopPolicy("email_outbox"),
  ],
);
