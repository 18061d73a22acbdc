import { data } from "@remix-run/node";
import type { SubmissionResult } from "@conform-to/react";
import { ERROR_STATUS, type ErrorCode } from "@kiln/core";

/**
 * The one place AppError becomes HTTP (Documenso's mapper). Packages throw coded errors; routes call
 * these helpers instead of inspecting errors themselves.
 */

export interface AppErrorLike {
  code: ErrorCode;
  message: string;
  status: number;
  fields?: Record<string, string[]> | undefined;
  retryAfterSeconds?: number | undefined;
}

/**
 * Duck-typed rather than `instanceof`: in development the server entry and the Vite-built app each load
 * their own copy of @kiln/core, so an AppError may come from either class.
 */
export function isAppErrorLike(error: unknown): error is AppErrorLike {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  return e.name === "AppError" && typeof e.code === "string" && e.code in ERROR_STATUS && typeof e.message === "string";
}

export const statusOf = (error: AppErrorLike) => ERROR_STATUS[error.code] ?? 500;

export function retryAfterHeaders(error: AppErrorLike): Record<string, string> {
  return error.code === "RATE_LIMITED" && error.retryAfterSeconds !== undefined
    ? { "Retry-After": String(Math.max(1, Math.ceil(error.retryAfterSeconds))) }
    : {};
}

/** Thrown from loaders: a 404 that renders the friendly page (foreign rows look exactly like missing ones). */
export function notFound(message = "Not found"): never {
  throw data({ message }, { status: 404 });
}

/**
 * For form actions: an AppError becomes the form's reply (its fields as field errors, otherwise a form
 * error) with the error's status; anything else is rethrown to the error boundary.
 */
export function replyWithAppError(
  error: unknown,
  reply: (options: { formErrors?: string[]; fieldErrors?: Record<string, string[]> }) => SubmissionResult<string[]>,
  formatRateLimit?: (seconds: number) => string,
) {
  if (!isAppErrorLike(error)) throw error;
  if (error.code === "NOT_FOUND") notFound(error.message);
  const message =
    error.code === "RATE_LIMITED" && formatRateLimit && error.retryAfterSeconds !== undefined
      ? formatRateLimit(Math.ceil(error.retryAfterSeconds))
      : error.message;
  // Field issues go under their fields; issues of the whole input ("form" or "") above the button.
  const fieldErrors: Record<string, string[]> = {};
  const formErrors: string[] = [];
  for (const [name, messages] of Object.entries(error.fields ?? {})) {
    if (name === "" || name === "form") formErrors.push(...messages);
    else fieldErrors[name] = messages;
  }
  if (Object.keys(fieldErrors).length === 0 && formErrors.length === 0) formErrors.push(message);
  const result = reply({ fieldErrors, formErrors });
  return data(result, { status: statusOf(error), headers: retryAfterHeaders(error) });
}

/** For JSON: `{"error": {"code", "message", "details"?}}` with the error's status. */
export function appErrorResponse(error: AppErrorLike): Response {
  const body: { error: { code: string; message: string; details?: unknown } } = {
    error: { code: error.code, message: error.message },
  };
  if (error.fields) body.error.details = error.fields;
  return Response.json(body, { status: statusOf(error), headers: retryAfterHeaders(error) });
}
