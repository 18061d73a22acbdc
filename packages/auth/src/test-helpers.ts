import { randomUUID } from "node:crypto";
import { asc, count, eq, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { schema, withSystem, type Runtime } from "@kiln/db";
import { expect } from "vitest";
import { AppError, type ErrorCode } from "@kiln/core";

/** Test-only helpers (imported by *.test.ts, never by the package). */

export const APP_URL = "https://kiln.test";

export const uniqueEmail = (label = "person") => `${label}-${randomUUID().slice(0, 8)}@example.test`;

/** Emails queued for an address, oldest first. */
export async function outboxFor(rt: Runtime, address: string) {
  return withSystem(rt, "test", (tx) =>
    tx
      .select()
      .from(schema.emailOutbox)
      .where(eq(schema.emailOutbox.toAddress, address))
      .orderBy(asc(schema.emailOutbox.createdAt), asc(schema.emailOutbox.id)),
  );
}

/** The token of the first link to `path` in an email's text. */
export function tokenFromText(text: string, path: string): string {
  const match = new RegExp(`${APP_URL}${path}\\?token=([A-Za-z0-9_%-]+)`).exec(text);
  if (!match?.[1]) throw new Error(`no ${path} link in:\n${text}`);
  return decodeURIComponent(match[1]);
}

export async function countRows(rt: Runtime, table: PgTable, where?: SQL): Promise<number> {
  const [row] = await withSystem(rt, "test", (tx) => tx.select({ n: count() }).from(table).where(where));
  return row?.n ?? 0;
}

/** Awaits a promise that must reject with an AppError of `code`; returns the error. */
export async function expectAppError(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}
