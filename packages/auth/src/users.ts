import { eq } from "drizzle-orm";
import { schema, type Tx } from "@kiln/db";

/** What the app knows about the signed-in person. */
export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  /** "en" | "de"; null follows the browser. */
  locale: string | null;
  country: string | null;
  usState: string | null;
  emailVerifiedAt: Date | null;
}

/** Columns of users that make a SessionUser (never the password hash). */
export const sessionUserColumns = {
  id: schema.users.id,
  email: schema.users.email,
  displayName: schema.users.displayName,
  locale: schema.users.locale,
  country: schema.users.country,
  usState: schema.users.usState,
  emailVerifiedAt: schema.users.emailVerifiedAt,
};

export async function findSessionUser(tx: Tx, userId: string): Promise<SessionUser | undefined> {
  const [user] = await tx.select(sessionUserColumns).from(schema.users).where(eq(schema.users.id, userId));
  return user;
}
