import { uuid } from "drizzle-orm/pg-core";
import { coops, creators } from "./tenancy";

/**
 * The tenant keys every co-op- or creator-owned table carries (see rls.ts for the policies that read
 * them). `restrict`: a co-op or creator with rows cannot be deleted by accident; erasure is explicit.
 */
export const coopRef = () =>
  uuid()
    .notNull()
    .references(() => coops.id, { onDelete: "restrict" });

export const creatorRef = () =>
  uuid()
    .notNull()
    .references(() => creators.id, { onDelete: "restrict" });
