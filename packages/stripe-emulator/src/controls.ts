import { advanceClock } from "./billing/engine";
import type { Emulator } from "./emulator";
import { openDispute, setDisputeStatus } from "./resources/disputes";
import { invalidRequest, resourceMissing } from "./errors";
import type { ControlRoute } from "./server";
import { PLATFORM, type Scope } from "./store";

function num(body: Record<string, unknown>, key: string, fallback?: number): number {
  const v = body[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) throw invalidRequest(`${key} must be a number`, key);
  return v;
}

function scopeOf(emu: Emulator, body: Record<string, unknown>): Scope {
  const account = body.account;
  if (account === undefined || account === null) return PLATFORM;
  if (typeof account !== "string" || !emu.store.get(PLATFORM, account, "account"))
    throw resourceMissing("account", typeof account === "string" ? account : "?", "account");
  return account as Scope;
}

/** Test controls under `/_emulator/…` (JSON in and out); never mounted in production. */
export const controlRoutes: ControlRoute[] = [
  {
    method: "GET",
    pattern: /^\/_emulator\/clock$/,
    handler: (emu) => ({ now: emu.now(), offsetMs: emu.store.state.clockOffsetMs }),
  },
  {
    method: "POST",
    pattern: /^\/_emulator\/clock\/advance$/,
    handler: (emu, _a, body) => {
      const seconds = num(body, "seconds", 0) + num(body, "days", 0) * 86_400 + num(body, "hours", 0) * 3600;
      if (seconds <= 0) throw invalidRequest("advance by a positive number of seconds, hours or days", "seconds");
      return { now: advanceClock(emu, seconds) };
    },
  },
  {
    method: "POST",
    pattern: /^\/_emulator\/customers\/([^/]+)\/fail_next_payment$/,
    handler: (emu, args, body) => {
      const scope = scopeOf(emu, body);
      const customer = args[0] ?? "";
      if (!emu.store.get(scope, customer, "customer")) throw resourceMissing("customer", customer, "customer");
      const key = `${scope}/${customer}`;
      const count = num(body, "count", 1);
      emu.store.state.failNext[key] = (emu.store.state.failNext[key] ?? 0) + count;
      return { customer, pending_failures: emu.store.state.failNext[key] };
    },
  },
  {
    method: "POST",
    pattern: /^\/_emulator\/events\/([^/]+)\/redeliver$/,
    handler: (emu, args) => {
      const found = emu.store.locate(args[0] ?? "");
      if (!found || found.data.object !== "event") throw resourceMissing("event", args[0] ?? "");
      const event = found.data;
      emu.webhooks.redeliver(
        { id: event.id, type: String(event.type), account: (event.account as string | undefined) ?? null },
        JSON.stringify(event, null, 2),
      );
      return { redelivered: event.id };
    },
  },
  {
    method: "POST",
    pattern: /^\/_emulator\/charges\/([^/]+)\/dispute$/,
    handler: (emu, args, body) =>
      emu.atomically(() =>
        openDispute(emu, scopeOf(emu, body), args[0] ?? "", {
          ...(typeof body.reason === "string" ? { reason: body.reason } : {}),
          ...(body.amount !== undefined ? { amount: num(body, "amount") } : {}),
        }),
      ),
  },
  {
    method: "POST",
    pattern: /^\/_emulator\/disputes\/([^/]+)\/status$/,
    handler: (emu, args, body) =>
      emu.atomically(() =>
        setDisputeStatus(emu, scopeOf(emu, body), args[0] ?? "", typeof body.status === "string" ? body.status : ""),
      ),
  },
  {
    method: "POST",
    pattern: /^\/_emulator\/webhooks\/drop_next$/,
    handler: (emu, _a, body) => (emu.webhooks.dropNext(num(body, "count", 1)), { ok: true }),
  },
  {
    method: "POST",
    pattern: /^\/_emulator\/webhooks\/duplicate_next$/,
    handler: (emu, _a, body) => (emu.webhooks.duplicateNext(num(body, "count", 1)), { ok: true }),
  },
  { method: "POST", pattern: /^\/_emulator\/webhooks\/hold$/, handler: (emu) => (emu.webhooks.hold(), { ok: true }) },
  {
    method: "POST",
    pattern: /^\/_emulator\/webhooks\/release$/,
    handler: (emu, _a, body) => ({ released: emu.webhooks.release(body.order === "reverse" ? "reverse" : "original") }),
  },
  {
    method: "GET",
    pattern: /^\/_emulator\/webhooks\/deliveries$/,
    handler: (emu) => ({ pending: emu.webhooks.pending(), deliveries: emu.webhooks.log }),
  },
  {
    method: "GET",
    pattern: /^\/_emulator\/state$/,
    handler: (emu) => {
      const counts: Record<string, Record<string, number>> = {};
      for (const [scope, entries] of Object.entries(emu.store.state.scopes)) {
        const c: Record<string, number> = {};
        for (const e of Object.values(entries)) c[e.data.object] = (c[e.data.object] ?? 0) + 1;
        counts[scope] = c;
      }
      return { now: emu.now(), counts, failNext: emu.store.state.failNext };
    },
  },
  {
    method: "GET",
    pattern: /^\/_emulator\/objects\/([^/]+)$/,
    handler: (emu, args) => {
      const found = emu.store.locate(args[0] ?? "");
      if (!found) throw resourceMissing("object", args[0] ?? "");
      return { scope: found.scope, object: found.data };
    },
  },
  {
    method: "POST",
    pattern: /^\/_emulator\/reset$/,
    handler: (emu) => {
      emu.webhooks.clear();
      emu.store.reset();
      return { ok: true };
    },
  },
];
