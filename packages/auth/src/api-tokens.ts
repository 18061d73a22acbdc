import { and, desc, eq } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime } from "@kiln/db";
import { API_SCOPES, CreateApiTokenSchema, type ApiScope } from "./schemas";
import { addMs, DAY_MS, generateRandomToken, hashToken, MINUTE_MS } from "./tokens";
import type { SessionUser } from "./users";
import { parseInput } from "./validate";

/**
 * Bearer tokens for /api/v1: `kiln_` + 20 random bytes in base32. Shown once at creation; the
 * database keeps the SHA-256 and the first 10 characters (to tell tokens apart).
 */

export const API_TOKEN_PREFIX = "kiln_";
export const API_TOKEN_PREFIX_LENGTH = 10;
/** last_used_at is written at most this often per token. */
export const API_TOKEN_TOUCH_INTERVAL_MS = MINUTE_MS;

export interface ApiTokenRecord {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface ApiTokenValidation {
  user: SessionUser;
  scopes: ApiScope[];
  tokenId: string;
}

const t = schema.apiTokens;
const recordColumns = {
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  scopes: t.scopes,
  expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
  createdAt: t.createdAt,
};

const knownScopes = (scopes: string[]): ApiScope[] =>
  scopes.filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function createApiToken(
  rt: Runtime,
  userId: string,
  input: unknown,
): Promise<{ token: string; record: ApiTokenRecord }> {
  const data = parseInput(CreateApiTokenSchema, input);
  const token = API_TOKEN_PREFIX + generateRandomToken(20);
  const expiresAt = data.expiresInDays === undefined ? null : addMs(rt.clock.now(), data.expiresInDays * DAY_MS);
  const [row] = await withTenant(rt, { userId }, (tx) =>
    tx
      .insert(t)
      .values({
        userId,
        name: data.name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, API_TOKEN_PREFIX_LENGTH),
        scopes: data.scopes,
        expiresAt,
      })
      .returning(recordColumns),
  );
  return { token, record: { ...row!, scopes: knownScopes(row!.scopes) } };
}

/** The user's tokens, newest first, revoked ones included (never the hashes). */
export async function listApiTokens(rt: Runtime, userId: string): Promise<ApiTokenRecord[]> {
  const rows = await withTenant(rt, { userId }, (tx) =>
    tx.select(recordColumns).from(t).where(eq(t.userId, userId)).orderBy(desc(t.createdAt), desc(t.id)),
  );
  return rows.map((row) => ({ ...row, scopes: knownScopes(row.scopes) }));
}

/** Revokes one of the user's tokens (again: no change). Someone else's or unknown: NOT_FOUND. */
export async function revokeApiToken(rt: Runtime, userId: string, tokenId: string): Promise<ApiTokenRecord> {
  if (typeof tokenId !== "string" || !UUID.test(tokenId)) throw new AppError("NOT_FOUND", "Not found");
  const now = rt.clock.now();
  const row = await withTenant(rt, { userId }, async (tx) => {
    // The owner policy hides other users' tokens: theirs look exactly like missing ones.
    const [found] = await tx
      .select(recordColumns)
      .from(t)
      .where(and(eq(t.id, tokenId), eq(t.userId, userId)));
    if (!found || found.revokedAt) return found;
    const [updated] = await tx.update(t).set({ revokedAt: now }).where(eq(t.id, tokenId)).returning(recordColumns);
    return updated;
  });
  if (!row) throw new AppError("NOT_FOUND", "Not found");
  return { ...row, scopes: knownScopes(row.scopes) };
}

/** The SHA-256 of a bearer token ("kiln_…", with or without "Bearer "), or null when it cannot be one. */
export function apiTokenHash(bearer: string): string | null {
  if (typeof bearer !== "string") return null;
  const token = bearer.replace(/^Bearer\s+/i, "").trim();
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) return null;
  return hashToken(token);
}

/**
 * The user and scopes behind a bearer token ("kiln_…", with or without "Bearer "), or null when it
 * is unknown, revoked or expired.
 */
export async function validateApiToken(rt: Runtime, bearer: string): Promise<ApiTokenValidation | null> {
  const tokenHash = apiTokenHash(bearer);
  return tokenHash === null ? null : validateApiTokenHash(rt, tokenHash);
}

/** validateApiToken for a token's SHA-256 (apiTokenHash). */
export async function validateApiTokenHash(rt: Runtime, tokenHash: string): Promise<ApiTokenValidation | null> {
  // One statement (migration 0051, docs/decisions/019): look-up, checks and the touch of last_used_at.
  // A postgres.js tagged template is a prepared statement on each connection: one round trip per call,
  // where drizzle's execute describes its parameters first on every call (docs/decisions/025).
  const [row] = await rt.database.sql<
    {
      token_id: string;
      scopes: string[];
      user_id: string;
      email: string;
      display_name: string;
      locale: string | null;
      country: string | null;
      us_state: string | null;
      email_verified_at: string | Date | null;
    }[]
  >`select * from kiln_check_api_token(${tokenHash}, ${rt.clock.now().toISOString()}, ${API_TOKEN_TOUCH_INTERVAL_MS})`;
  if (!row) return null;
  const verified = row.email_verified_at;
  const user: SessionUser = {
    id: row.user_id,
    email: row.email,
    displayName: row.display_name,
    locale: row.locale,
    country: row.country,
    usState: row.us_state,
    emailVerifiedAt: verified === null ? null : verified instanceof Date ? verified : new Date(verified),
  };
  return { user, scopes: knownScopes(row.scopes), tokenId: row.token_id };
}

/** Token hash → its user and when this process last touched it (rt.clock ms); oldest out first. */
const holders = new Map<string, { userId: string; touchedAtMs: number }>();
const HOLDERS_LIMIT = 50_000;

/**
 * Who holds a token, as this process last saw it, and when it last touched the token. A token never
 * changes hands, so this can key per-member limits before a statement that checks the token itself
 * (the claim, docs/decisions/025); it says nothing about whether the token is still valid.
 */
export function seenApiTokenHolder(tokenHash: string): { userId: string; touchedAtMs: number } | undefined {
  return holders.get(tokenHash);
}

/** Remembers who holds a token and that it was touched at `touchedAtMs` (see seenApiTokenHolder). */
export function noteApiTokenHolder(tokenHash: string, userId: string, touchedAtMs: number): void {
  holders.delete(tokenHash);
  if (holders.size >= HOLDERS_LIMIT) holders.delete(holders.keys().next().value!);
  holders.set(tokenHash, { userId, touchedAtMs });
}

export const hasScope = (scopes: readonly string[], scope: ApiScope) => scopes.includes(scope);

/** FORBIDDEN unless the token carries the scope (the token is valid, so this is not a 404 matter). */
export function requireScope(scopes: readonly string[], scope: ApiScope): void {
  if (!hasScope(scopes, scope)) {
    throw new AppError("FORBIDDEN", `This token lacks the "${scope}" scope`);
  }
}
