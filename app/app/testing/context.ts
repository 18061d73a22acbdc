import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ActionFunctionArgs } from "@remix-run/node";
import { loadConfig } from "@kiln/core";
import type { Runtime } from "@kiln/db";
import { createAppLoadContext, type AppServices } from "../context.server";

/**
 * Test helpers: build the same request context the server builds, so tests call loaders and actions
 * directly (Epic's approach). Only test files import this module.
 */

export const TEST_APP_URL = "http://kiln.test";

let ipCounter = 0;
/**
 * A client address of its own for each test sign-in (10.x.y.z from the process id and a counter):
 * sign-in rate limits count per IP in the database, which every test file of a server run shares.
 */
export function testIp(): string {
  const n = ++ipCounter;
  return `10.${process.pid % 256}.${(n >> 8) & 255}.${n & 255}`;
}

export function testServices(rt: Runtime, env: Record<string, string> = {}): AppServices & { outboxNotified: number } {
  const dataDir = mkdtempSync(path.join(tmpdir(), "kiln-app-test-"));
  const services = {
    config: loadConfig({ NODE_ENV: "test", KILN_DATA_DIR: dataDir, APP_URL: TEST_APP_URL, ...env }),
    rt,
    outboxNotified: 0,
    notifyOutbox: () => {
      services.outboxNotified++;
    },
  };
  return services;
}

export interface TestRequestInit {
  method?: string;
  form?: Record<string, string | string[]>;
  json?: unknown;
  headers?: Record<string, string>;
  /** A session token to send as the kiln_session cookie. */
  sessionToken?: string;
}

export function testRequest(pathname: string, init: TestRequestInit = {}): Request {
  const headers = new Headers(init.headers);
  if (init.sessionToken) headers.append("Cookie", `kiln_session=${init.sessionToken}`);
  let body: BodyInit | undefined;
  if (init.form) {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(init.form)) {
      for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
    }
    body = form;
  } else if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.json);
  }
  const method = init.method ?? (body ? "POST" : "GET");
  return new Request(new URL(pathname, TEST_APP_URL), { method, headers, body });
}

/** Loader/action arguments for `request`, with the context built as the server builds it. */
export async function argsFor(
  services: AppServices,
  request: Request,
  params: Record<string, string> = {},
): Promise<ActionFunctionArgs> {
  const context = await createAppLoadContext(services, request, {
    clientIp: "203.0.113.7",
    isHttps: false,
    cspNonce: "test-nonce",
  });
  return { request, params, context };
}

/** A route module's loader and action, as the tests call them. */
export type RouteModule = { loader?: (a: never) => unknown; action?: (a: never) => unknown };

/** Calls a route's loader or action with the context the server would build, settled as status + body. */
export async function callRoute(
  services: AppServices,
  route: RouteModule,
  kind: "loader" | "action",
  request: Request,
  params: Record<string, string> = {},
) {
  const handler = route[kind] as ((args: ActionFunctionArgs) => unknown) | undefined;
  if (!handler) throw new Error(`the route module has no ${kind}`);
  const args = await argsFor(services, request, params);
  return settle(() => handler(args));
}

/** What a loader/action returned or threw, as status + body, whether it was data(), a Response or plain data. */
export async function settle(run: () => unknown): Promise<{ status: number; headers: Headers; body: unknown }> {
  let value: unknown;
  try {
    value = await run();
  } catch (thrown) {
    value = thrown;
  }
  if (value instanceof Response) {
    const text = await value.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: value.status, headers: value.headers, body };
  }
  if (isDataWithInit(value)) {
    return { status: value.init?.status ?? 200, headers: new Headers(value.init?.headers), body: value.data };
  }
  if (value instanceof Error) throw value;
  return { status: 200, headers: new Headers(), body: value };
}

function isDataWithInit(value: unknown): value is { data: unknown; init: ResponseInit | null } {
  return typeof value === "object" && value !== null && (value as { type?: unknown }).type === "DataWithResponseInit";
}
