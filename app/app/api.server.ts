import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiTokenHash, validateApiTokenHash } from "@kiln/auth";
import { API_SCOPES, type ApiScope } from "@kiln/auth/schemas";
import { AppError } from "@kiln/core";
import { z } from "zod";
import type { KilnLoadContext } from "./context.server";
import { appErrorResponse, isAppErrorLike } from "./errors.server";

/**
 * The JSON API's glue, so its route modules stay a few lines: authenticate (bearer token or the
 * session cookie), check a scope, parse a body with zod, and turn every failure into
 * `{"error": {"code", "message"}}` with the right status.
 */

type ApiContext = Pick<KilnLoadContext, "rt" | "auth">;

export interface ApiCaller {
  user: NonNullable<KilnLoadContext["auth"]>["user"];
  scopes: readonly ApiScope[];
  via: "token" | "session";
}

/** The message of a refused bearer token. */
export const UNKNOWN_TOKEN = "The bearer token is unknown, revoked or expired";
const NO_CREDENTIALS = "Send an API token as 'Authorization: Bearer <token>'";

const ALL_SCOPES: readonly ApiScope[] = API_SCOPES;

/** A bearer token wins over the cookie; a signed-in browser session may use every scope. */
export async function authenticate(request: Request, context: ApiContext): Promise<ApiCaller> {
  const tokenHash = bearerTokenHash(request);
  if (tokenHash !== null) {
    const found = await validateApiTokenHash(context.rt, tokenHash);
    if (!found) throw new AppError("UNAUTHENTICATED", UNKNOWN_TOKEN);
    return { user: found.user, scopes: found.scopes, via: "token" };
  }
  if (context.auth) return { user: context.auth.user, scopes: ALL_SCOPES, via: "session" };
  throw new AppError("UNAUTHENTICATED", NO_CREDENTIALS);
}

/**
 * The SHA-256 of the request's bearer token, or null without an Authorization header; UNAUTHENTICATED
 * when the header cannot hold a Kiln token. Not a check: that is validateApiTokenHash's or, for a
 * claim, the claim statement's (docs/decisions/025).
 */
export function bearerTokenHash(request: Request): string | null {
  const header = request.headers.get("Authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const tokenHash = match?.[1] ? apiTokenHash(match[1]) : null;
  if (tokenHash === null) throw new AppError("UNAUTHENTICATED", UNKNOWN_TOKEN);
  return tokenHash;
}

export function requireScope(caller: ApiCaller, scope: ApiScope): void {
  if (!caller.scopes.includes(scope)) throw new AppError("FORBIDDEN", `This token lacks the "${scope}" scope`);
}

/** Authenticates and checks one scope. */
export async function requireApiCaller(request: Request, context: ApiContext, scope: ApiScope): Promise<ApiCaller> {
  const caller = await authenticate(request, context);
  requireScope(caller, scope);
  return caller;
}

/** A path parameter that must be a UUID (one schema for every request: building a zod schema costs more than parsing). */
export const UuidParam = z.uuid();

/** Reads a JSON body and validates it; BAD_INPUT lists each issue (path and message) in `details`. */
export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const type = request.headers.get("Content-Type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new AppError("BAD_INPUT", "Send the body as JSON with 'Content-Type: application/json'");
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new AppError("BAD_INPUT", "The body is not valid JSON");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const fields: Record<string, string[]> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.length ? issue.path.map(String).join(".") : "body";
    (fields[key] ??= []).push(issue.message);
  }
  const summary = result.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
  throw new AppError("BAD_INPUT", summary.join("; "), { fields });
}

export function apiErrorResponse(status: number, code: string, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

/** Wraps a loader/action: whatever it throws becomes the API's error shape. */
export function apiHandler(handler: (args: LoaderFunctionArgs) => Promise<Response>) {
  return async (args: LoaderFunctionArgs): Promise<Response> => {
    try {
      return await handler(args);
    } catch (error) {
      return toApiErrorResponse(error);
    }
  };
}

export function toApiErrorResponse(error: unknown): Response {
  if (isAppErrorLike(error)) {
    const response = appErrorResponse(error);
    if (error.code === "UNAUTHENTICATED") response.headers.set("WWW-Authenticate", 'Bearer realm="kiln"');
    return response;
  }
  if (error instanceof Response) {
    return apiErrorResponse(error.status, error.status === 404 ? "NOT_FOUND" : "ERROR", error.statusText || "Error");
  }
  console.error("[kiln] API error", error);
  return apiErrorResponse(500, "INTERNAL", "Something went wrong on our side");
}

export const methodNotAllowed = (allow: string) => async () =>
  apiErrorResponse(405, "METHOD_NOT_ALLOWED", `Use ${allow} on this resource`, { Allow: allow });

export const apiNotFound = async () => apiErrorResponse(404, "NOT_FOUND", "There is no such API resource");
