import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contentSecurityPolicy,
  csrfMiddleware,
  isCrossSiteMutation,
  requestFacts,
  securityHeaders,
  securityHeadersMiddleware,
  trustProxy,
} from "./security";

describe("security headers", () => {
  it("sets a nonce CSP that forbids framing and allows WebAssembly, and the usual hardening headers", () => {
    const headers = securityHeaders({ nonce: "abc123", isHttps: false, isDev: false });
    const csp = headers["Content-Security-Policy"]!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(headers["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["Strict-Transport-Security"]).toBeUndefined();
  });

  it("sends HSTS only over HTTPS", () => {
    expect(securityHeaders({ nonce: "n", isHttps: true, isDev: false })["Strict-Transport-Security"]).toMatch(
      /max-age=\d+/,
    );
  });

  it("relaxes styles and websockets only for the dev server", () => {
    expect(contentSecurityPolicy({ nonce: "n", isDev: true })).toContain("style-src 'self' 'unsafe-inline'");
    expect(contentSecurityPolicy({ nonce: "n", isDev: false })).toContain("connect-src 'self';");
  });
});

describe("CSRF origin check", () => {
  const base = {
    appUrl: "https://kiln.example",
    requestOrigin: "https://kiln.example",
    authorization: null,
    referer: null,
  };

  it("rejects a cross-origin POST and one without Origin or Referer", () => {
    expect(isCrossSiteMutation({ ...base, method: "POST", origin: "https://evil.example" })).toBe(true);
    expect(isCrossSiteMutation({ ...base, method: "DELETE", origin: "https://kiln.example.evil.example" })).toBe(true);
    expect(isCrossSiteMutation({ ...base, method: "POST", origin: null })).toBe(true);
    expect(isCrossSiteMutation({ ...base, method: "POST", origin: "null" })).toBe(true);
  });

  it("accepts same-origin mutations (by Origin or Referer), safe methods and bearer-token calls", () => {
    expect(isCrossSiteMutation({ ...base, method: "POST", origin: "https://kiln.example" })).toBe(false);
    expect(isCrossSiteMutation({ ...base, method: "POST", origin: null, referer: "https://kiln.example/login" })).toBe(
      false,
    );
    expect(isCrossSiteMutation({ ...base, method: "GET", origin: "https://evil.example" })).toBe(false);
    expect(isCrossSiteMutation({ ...base, method: "POST", origin: null, authorization: "Bearer kiln_abc" })).toBe(
      false,
    );
  });

  it("exempts only the signed Stripe webhook endpoints, by exact path", () => {
    const post = { ...base, method: "POST", origin: null };
    expect(isCrossSiteMutation({ ...post, path: "/api/v1/webhooks/stripe" })).toBe(false);
    expect(isCrossSiteMutation({ ...post, path: "/api/v1/webhooks/stripe-connect" })).toBe(false);
    expect(isCrossSiteMutation({ ...post, path: "/api/v1/webhooks/stripe/x" })).toBe(true);
    expect(isCrossSiteMutation({ ...post, path: "/api/v1/tokens" })).toBe(true);
  });

  describe("as express middleware", () => {
    let url = "";
    let close = () => {};
    beforeAll(async () => {
      const app = express();
      app.use(securityHeadersMiddleware({ isDev: false }));
      app.use(csrfMiddleware({ appUrl: "http://kiln.example" }));
      app.all("*", (_req, res) => {
        res.send(`ok ${String(res.locals.cspNonce)}`);
      });
      const server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      close = () => server.close();
    });
    afterAll(() => close());

    it("answers a cross-site form post with 403 and a same-origin one normally, with headers on both", async () => {
      const evil = await fetch(`${url}/logout`, { method: "POST", headers: { Origin: "https://evil.example" } });
      expect(evil.status).toBe(403);
      expect(evil.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      const api = await fetch(`${url}/api/v1/tokens`, { method: "POST", headers: { Origin: "https://evil.example" } });
      expect(api.status).toBe(403);
      const body = (await api.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("FORBIDDEN");
      expect(body.error.message).toMatch(/Cross-site/);
      const own = await fetch(`${url}/logout`, { method: "POST", headers: { Origin: url } });
      expect(own.status).toBe(200);
      const text = await own.text();
      const nonce = text.replace("ok ", "");
      expect(nonce.length).toBeGreaterThan(10);
      expect(own.headers.get("content-security-policy")).toContain(`'nonce-${nonce}'`);
      expect(own.headers.get("x-content-type-options")).toBe("nosniff");
    });
  });

  describe("behind a proxy", () => {
    async function ask(trusted: boolean) {
      const app = express();
      trustProxy(app, trusted);
      app.get("/", (req, res) => {
        res.json(requestFacts(req));
      });
      const server = app.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      try {
        const port = (server.address() as AddressInfo).port;
        const response = await fetch(`http://127.0.0.1:${port}/`, {
          headers: { "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https" },
        });
        return (await response.json()) as { clientIp: string; isHttps: boolean };
      } finally {
        server.close();
      }
    }

    it("ignores forwarded headers unless TRUST_PROXY is set", async () => {
      expect(await ask(false)).toEqual({ clientIp: "127.0.0.1", isHttps: false });
      expect(await ask(true)).toEqual({ clientIp: "203.0.113.7", isHttps: true });
    });
  });
});
