/**
 * GET or POST /api/v1/ping → `{"ok": true}`: the API's no-op. It goes through everything every API
 * request goes through in server/main.ts (Express, compression, security headers, the CSRF check, the
 * Remix handler and its load context) and does nothing else: no authentication, no database. Load
 * balancers and clients may use it to check the API is reachable; the HTTP benches (bench/claim-storm,
 * bench/webhooks) use it as the reference a real endpoint is compared with.
 */
const ok = () => Response.json({ ok: true });

export const loader = ok;
export const action = ok;
