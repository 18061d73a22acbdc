import { eq } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime } from "@kiln/db";
import { ProfileSchema } from "./schemas";
import { findSessionUser, sessionUserColumns, type SessionUser } from "./users";
import { parseInput } from "./validate";

/** The signed-in user's own profile. */
export async function getSessionUser(rt: Runtime, userId: string): Promise<SessionUser> {
  const user = await withTenant(rt, { userId }, (tx) => findSessionUser(tx, userId));
  if (!user) throw new AppError("NOT_FOUND", "Not found");
  return user;
}

/**
 * Saves the profile form as a whole: a field left out is cleared (no locale → follow the browser;
 * no country → no jurisdiction; the US state only with country US).
 */
export async function updateProfile(rt: Runtime, userId: string, input: unknown): Promise<SessionUser> {
  const data = parseInput(ProfileSchema, input);
  const [user] = await withTenant(rt, { userId }, (tx) =>
    tx
      .update(schema.users)
      .set({
        displayName: data.displayName,
        locale: data.locale ?? null,
        country: data.country ?? null,
        usState: data.country === "US" ? (data.usState ?? null) : null,
        updatedAt: rt.clock.now(),
      })
      .where(eq(schema.users.id, userId))
      .returning(sessionUserColumns),
  );
  if (!user) throw new AppError("NOT_FOUND", "Not found");
  return user;
}
