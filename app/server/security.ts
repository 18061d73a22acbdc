import { randomBytes } from "node:crypto";
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from "express";

/**
 * Security headers and the CSRF origin check, as plain functions (tested directly) plus the express
 * middleware that applies them.
 */

export interface HeaderOptions {
  nonce: string;
  /** The request arrived over HTTPS (X-Forwarded-Proto counts only with TRUST_PROXY). */
  isHttps: boolean;
  /** Vite's dev server needs inline styles and its HMR websocket. */
  isDev: boolean;
}

export const createNonce = () => randomBytes(16).toString("base64");

export function contentSecurityPolicy({ nonce, isDev }: Pick<HeaderOptions, "nonce" | "isDev">): string {
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    // Remix's inline hydration scripts carry the nonce; 'wasm-unsafe-eval' lets onnxruntime-web
    // compile WebAssembly (no eval of JavaScript).
    "script-src": ["'self'", `'nonce-${nonce}'`, "'wasm-unsafe-eval'"],
    "style-src": isDev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": isDev ? ["'self'", "ws:", "wss:"] : ["'self'"],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(" ")}`)
    .join("; ");
}

export function securityHeaders(options: HeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Security-Policy": contentSecurityPolicy(options),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
  };
  // HSTS only means something over TLS; over plain HTTP browsers ignore it anyway.
  if (options.isHttps) headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains";
  return headers;
}

/** Sets the headers and `res.locals.cspNonce` for the rest of the request. */
export function securityHeadersMiddleware({ isDev }: { isDev: boolean }) {
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    const nonce = createNonce();
    res.locals.cspNonce = nonce;
    for (const [name, value] of Object.entries(securityHeaders({ nonce, isHttps: req.secure, isDev }))) {
      res.setHeader(name, value);
    }
    next();
  };
}

export interface CsrfInput {
  method: string;
  origin: string | null | undefined;
  referer: string | null | undefined;
  authorization: string | null | undefined;
  /** The origin this request was addressed to (scheme://host[:port]). */
  requestOrigin: string;
  /** config.appUrl. */
  appUrl: string;
  /** The request path (signed webhook endpoints are exempt). */
  path?: string;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Stripe posts webhooks without an Origin; these endpoints are authenticated by the signature on the
 * raw body instead (app/app/billing.server.ts) and use no cookie, so the Origin check does not apply.
 */
export const SIGNED_WEBHOOK_PATHS = new Set(["/api/v1/webhooks/stripe", "/api/v1/webhooks/stripe-connect"]);

const originOf = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/**
 * SameSite=Lax already keeps the session cookie off cross-site POSTs; this closes the rest (same-site
 * subdomains, old browsers): a mutation must come from our own origin, by Origin or else Referer.
 * Requests that carry a bearer token are exempt: browsers cannot attach one cross-site (no CORS here).
 */
export function isCrossSiteMutation(input: CsrfInput): boolean {
  if (SAFE_METHODS.has(input.method.toUpperCase())) return false;
  if (input.authorization && /^Bearer\s/i.test(input.authorization)) return false;
  if (input.path !== undefined && SIGNED_WEBHOOK_PATHS.has(input.path)) return false;
  const source =
    input.origin && input.origin !== "null" ? input.origin : input.referer ? originOf(input.referer) : null;
  if (!source) return true;
  const allowed = new Set([originOf(input.appUrl), originOf(input.requestOrigin)]);
  return !allowed.has(source);
}

export function csrfMiddleware({ appUrl }: { appUrl: string }) {
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    const crossSite = isCrossSiteMutation({
      method: req.method,
      origin: req.get("Origin"),
      referer: req.get("Referer"),
      authorization: req.get("Authorization"),
      requestOrigin: `${req.protocol}://${req.get("Host") ?? ""}`,
      appUrl,
      path: req.path,
    });
    if (!crossSite) return next();
    const message = "Cross-site request refused: the Origin does not match this site";
    if (req.path.startsWith("/api/")) {
      res.status(403).json({ error: { code: "FORBIDDEN", message } });
    } else {
      res.status(403).type("text/plain").send(message);
    }
  };
}

/**
 * Who is asking, and over what. Express computes both from X-Forwarded-For / X-Forwarded-Proto only
 * when `trust proxy` is set (TRUST_PROXY); otherwise from the socket, so a client cannot spoof its IP
 * to dodge the per-IP sign-in limit.
 */
export function trustProxy(app: { set(setting: string, value: unknown): unknown }, trusted: boolean): void {
  app.set("trust proxy", trusted);
}

export function requestFacts(req: ExpressRequest): { clientIp: string; isHttps: boolean } {
  return { clientIp: req.ip ?? req.socket.remoteAddress ?? "", isHttps: req.secure };
}
