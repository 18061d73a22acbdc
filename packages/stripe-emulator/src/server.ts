import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Route } from "./api";
import { API_VERSION, type Emulator } from "./emulator";
import { invalidRequest, notFoundRoute, StripeApiError, unknownParam } from "./errors";
import { FormSyntaxError, parseForm, type FormObject } from "./form";
import type { HostedResponse } from "./hosted/html";
import { newId } from "./ids";
import { Params } from "./params";
import { PLATFORM, type Scope } from "./store";

const MAX_BODY = 1_000_000;

export interface HostedRoute {
  method: "GET" | "POST";
  pattern: RegExp;
  handler: (emu: Emulator, args: string[], form: FormObject, query: URLSearchParams) => HostedResponse;
}

export interface ControlRoute {
  method: "GET" | "POST";
  pattern: RegExp;
  handler: (emu: Emulator, args: string[], body: Record<string, unknown>) => unknown;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // An oversized body is read to its end and discarded, so the client still gets the 413
    // (destroying the socket mid-upload would leave it with a connection reset instead).
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY * 10) req.destroy();
      else if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", () =>
      size > MAX_BODY ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks).toString("utf8")),
    );
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Stripe-Version": API_VERSION,
    "Cache-Control": "no-cache, no-store",
    ...headers,
  });
  res.end(body);
}

/** `Authorization: Bearer sk_test_…` (or Basic with the key as user name); anything else is 401 like Stripe. */
function authenticate(req: IncomingMessage): StripeApiError | null {
  const header = req.headers.authorization ?? "";
  let key = "";
  if (header.startsWith("Bearer ")) key = header.slice(7).trim();
  else if (header.startsWith("Basic "))
    key = Buffer.from(header.slice(6), "base64").toString("utf8").split(":")[0] ?? "";
  if (!key)
    return new StripeApiError(401, {
      type: "invalid_request_error",
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
  if (!/^(sk|rk)_test_\S+$/.test(key))
    return new StripeApiError(401, {
      type: "invalid_request_error",
      code: "api_key_invalid",
      message: `Invalid API Key provided: ${key.slice(0, 8)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
    });
  return null;
}

function isCardError(error: unknown): boolean {
  return error instanceof StripeApiError && error.body.type === "card_error";
}

/** Stripe keeps idempotency keys for 24 hours; the emulator counts them in its own (test) time. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** Forgets keys older than 24 h. Records are kept in insertion order, which is also time order. */
function pruneIdempotency(emu: Emulator) {
  const records = emu.store.state.idempotency;
  const cutoff = emu.now() - IDEMPOTENCY_TTL_SECONDS;
  for (const [key, record] of Object.entries(records)) {
    if (record.created > cutoff) break;
    delete records[key];
  }
}

export class EmulatorServer {
  private server: Server;

  constructor(
    readonly emu: Emulator,
    private readonly routes: Route[],
    private readonly hosted: HostedRoute[],
    private readonly controls: ControlRoute[],
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        console.error("[stripe-emulator] unhandled", error);
        if (!res.headersSent)
          sendJson(res, 500, JSON.stringify({ error: { type: "api_error", message: "An unknown error occurred" } }));
        else res.end();
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve(this.server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    this.server.closeIdleConnections();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    setTimeout(() => this.server.closeAllConnections(), 1_000).unref();
    return closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://emulator.invalid");
    const method = req.method ?? "GET";
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLarge)
        return sendJson(res, 413, JSON.stringify(invalidRequest("Request body too large.").toJSON()));
      throw error;
    }
    if (url.pathname.startsWith("/v1/")) return this.handleApi(req, res, method, url, body);
    if (url.pathname.startsWith("/hosted/")) return this.handleHosted(res, method, url, body);
    if (url.pathname.startsWith("/_emulator/") && !this.emu.production)
      return this.handleControl(res, method, url, body);
    if (url.pathname === "/" && method === "GET")
      return sendJson(res, 200, JSON.stringify({ emulator: "stripe", api_version: API_VERSION }));
    sendJson(res, 404, JSON.stringify(notFoundRoute(method, url.pathname).toJSON()));
  }

  private handleApi(req: IncomingMessage, res: ServerResponse, method: string, url: URL, body: string) {
    const requestId = newId("req");
    const headers: Record<string, string> = { "Request-Id": requestId };
    const respond = (status: number, payload: string) => sendJson(res, status, payload, headers);
    const authError = authenticate(req);
    if (authError) return respond(authError.status, JSON.stringify(authError.toJSON()));
    const idempotencyKey = method === "POST" ? (req.headers["idempotency-key"] as string | undefined) : undefined;
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let scope: Scope = PLATFORM;
    let raw: FormObject = {};
    let params: Params;
    try {
      raw = parseForm(method === "GET" || method === "DELETE" ? url.search.slice(1) || body : body);
      params = new Params(raw);
      const account = req.headers["stripe-account"];
      if (typeof account === "string" && account) {
        if (!this.emu.store.get(PLATFORM, account, "account"))
          throw new StripeApiError(403, {
            type: "invalid_request_error",
            code: "account_invalid",
            message: `The provided key does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`,
          });
        scope = account as Scope;
      }
    } catch (error) {
      const e = error instanceof FormSyntaxError ? invalidRequest(error.message) : error;
      if (e instanceof StripeApiError) return respond(e.status, JSON.stringify(e.toJSON()));
      throw error;
    }

    // Idempotency: same key (per account) and same request → the stored response, replayed.
    const fingerprint = createHash("sha256").update(JSON.stringify(raw)).digest("hex");
    const requestLine = `${method} ${url.pathname}`;
    const idemKey = idempotencyKey ? `${scope}:${idempotencyKey}` : undefined;
    if (idemKey) {
      if (idempotencyKey && idempotencyKey.length > 255)
        return respond(
          400,
          JSON.stringify(
            invalidRequest("Idempotency keys can be at most 255 characters long.", "Idempotency-Key").toJSON(),
          ),
        );
      pruneIdempotency(this.emu);
      const saved = this.emu.store.state.idempotency[idemKey];
      if (saved) {
        if (saved.request !== requestLine || saved.params !== fingerprint) {
          const e = new StripeApiError(400, {
            type: "idempotency_error",
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          });
          return respond(400, JSON.stringify(e.toJSON()));
        }
        headers["Idempotent-Replayed"] = "true";
        return respond(saved.status, saved.body);
      }
    }

    let status = 200;
    let payload: string;
    let save = true;
    this.emu.currentRequest = { id: requestId, idempotency_key: idempotencyKey ?? null };
    try {
      this.emu.runDue();
      const route = this.routes.find((r) => r.method === method && r.pattern.test(url.pathname));
      if (!route) throw notFoundRoute(method, url.pathname);
      for (const key of Object.keys(raw)) if (key !== "expand" && !route.accepts.includes(key)) throw unknownParam(key);
      const args = route.pattern.exec(url.pathname)?.slice(1) ?? [];
      const run = () => {
        const result = route.handler({ emu: this.emu, scope, params, args, path: url.pathname });
        return JSON.stringify(this.emu.render(scope, result as never, params.strArray("expand") ?? []), null, 2);
      };
      // A write that Stripe refuses (invalid parameters, a bad `expand`, a bug) leaves no trace; a card
      // decline keeps what it made (the declined payment intent and charge), as on Stripe.
      payload = method === "GET" ? run() : this.emu.atomically(run, (e) => !isCardError(e));
    } catch (error) {
      if (error instanceof StripeApiError) {
        status = error.status;
        payload = JSON.stringify(error.toJSON(), null, 2);
        // Stripe saves results once the endpoint ran; validation failures are not saved.
        save = error.body.type !== "invalid_request_error";
      } else {
        console.error("[stripe-emulator] error handling", requestLine, error);
        status = 500;
        payload = JSON.stringify({ error: { type: "api_error", message: "An unknown error occurred" } });
      }
    } finally {
      this.emu.currentRequest = { id: null, idempotency_key: null };
    }
    if (idemKey && save)
      this.emu.store.state.idempotency[idemKey] = {
        request: requestLine,
        params: fingerprint,
        status,
        body: payload,
        created: this.emu.now(),
      };
    this.emu.store.changed();
    respond(status, payload);
  }

  private handleHosted(res: ServerResponse, method: string, url: URL, body: string) {
    const route = this.hosted.find((r) => r.method === method && r.pattern.test(url.pathname));
    let result: HostedResponse;
    try {
      if (!route) {
        result = { status: 404, html: "<!doctype html><title>Not found</title><h1>Not found</h1>" };
      } else {
        this.emu.runDue();
        const args = (route.pattern.exec(url.pathname)?.slice(1) ?? []).map(decodeURIComponent);
        result = route.handler(this.emu, args, parseForm(body), url.searchParams);
      }
    } catch (error) {
      const message =
        error instanceof StripeApiError || error instanceof FormSyntaxError ? error.message : "Something went wrong.";
      if (!(error instanceof StripeApiError || error instanceof FormSyntaxError))
        console.error("[stripe-emulator] hosted page", error);
      result = {
        status: 400,
        html: `<!doctype html><title>Error</title><h1>Error</h1><p>${message.replace(/</g, "&lt;")}</p>`,
      };
    }
    this.emu.store.changed();
    if (result.redirect) {
      res.writeHead(303, { Location: result.redirect, "Cache-Control": "no-store" });
      res.end();
      return;
    }
    res.writeHead(result.status ?? 200, {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
    });
    res.end(result.html ?? "");
  }

  private handleControl(res: ServerResponse, method: string, url: URL, body: string) {
    const route = this.controls.find((r) => r.method === method && r.pattern.test(url.pathname));
    if (!route)
      return sendJson(res, 404, JSON.stringify({ error: { message: `No control ${method} ${url.pathname}` } }));
    let input: Record<string, unknown> = {};
    try {
      input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      if (typeof input !== "object" || input === null || Array.isArray(input))
        throw new Error("body must be a JSON object");
    } catch (error) {
      return sendJson(res, 400, JSON.stringify({ error: { message: `Invalid JSON: ${(error as Error).message}` } }));
    }
    try {
      const args = (route.pattern.exec(url.pathname)?.slice(1) ?? []).map(decodeURIComponent);
      const result = route.handler(this.emu, args, input);
      this.emu.store.changed();
      sendJson(res, 200, JSON.stringify(result ?? { ok: true }));
    } catch (error) {
      if (error instanceof StripeApiError) return sendJson(res, error.status, JSON.stringify(error.toJSON()));
      throw error;
    }
  }
}
