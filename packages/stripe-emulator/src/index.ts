import { installBillingEngine } from "./billing/engine";
import { createEmulatorControl, type EmulatorControl } from "./control-client";
import { controlRoutes } from "./controls";
import { Emulator } from "./emulator";
import { checkoutPages } from "./hosted/checkout";
import { hostedPages } from "./hosted/pages";
import { accountRoutes } from "./resources/accounts";
import { billingPortalRoutes } from "./resources/billing-portal";
import { chargeRoutes } from "./resources/charges";
import { checkoutRoutes } from "./resources/checkout";
import { customerRoutes } from "./resources/customers";
import { balanceRoutes, disputeRoutes } from "./resources/disputes";
import { eventRoutes } from "./resources/events";
import { invoiceRoutes, registerInvoiceVirtualFields } from "./resources/invoices";
import { paymentIntentRoutes } from "./resources/payment-intents";
import { paymentMethodRoutes } from "./resources/payment-methods";
import { productRoutes } from "./resources/products";
import { refundRoutes } from "./resources/refunds";
import { setupIntentRoutes } from "./resources/setup-intents";
import { subscriptionRoutes } from "./resources/subscription-changes";
import { EmulatorServer } from "./server";
import type { WebhookEndpointConfig, WebhookOptions } from "./webhooks";

export { API_VERSION, type Emulator } from "./emulator";
export { createEmulatorControl, type EmulatorControl } from "./control-client";
export { signPayload } from "./signature";
export type { WebhookEndpointConfig, WebhookOptions, DeliveryLogEntry } from "./webhooks";
export { TEST_CARDS } from "./cards";

export interface StripeEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** JSON snapshot file; state survives restarts. Unset → memory only. */
  statePath?: string;
  webhooks?: WebhookEndpointConfig[];
  webhookOptions?: WebhookOptions;
  /** Disables the `/_emulator` test controls. Kiln itself never starts the emulator in production. */
  production?: boolean;
  /** Base clock (the emulator's clock is this plus what the controls advanced). */
  now?: () => Date;
  /** After the last failed retry of an invoice the subscription becomes this (Stripe's default: canceled). */
  afterFinalFailure?: "canceled" | "unpaid" | "past_due";
  /** How often due billing work runs in real time (ms); requests and clock advances also run it. */
  tickMs?: number;
}

export interface StripeEmulator {
  url: string;
  port: number;
  emulator: Emulator;
  control: EmulatorControl;
  /** Waits until no webhook delivery is queued, in flight or waiting for a retry. */
  webhooksIdle(): Promise<void>;
  /** Clears all state and delivery bookkeeping (per test). */
  reset(): void;
  stop(): Promise<void>;
}

const ALL_ROUTES = [
  ...customerRoutes,
  ...productRoutes,
  ...paymentMethodRoutes,
  ...setupIntentRoutes,
  ...paymentIntentRoutes,
  ...chargeRoutes,
  ...refundRoutes,
  ...disputeRoutes,
  ...balanceRoutes,
  ...accountRoutes,
  ...checkoutRoutes,
  ...subscriptionRoutes,
  ...invoiceRoutes,
  ...billingPortalRoutes,
  ...eventRoutes,
];

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const emu = new Emulator({
    ...(options.statePath ? { statePath: options.statePath } : {}),
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    ...(options.webhookOptions ? { webhookOptions: options.webhookOptions } : {}),
    ...(options.now ? { now: options.now } : {}),
    production: options.production ?? false,
    ...(options.afterFinalFailure ? { afterFinalFailure: options.afterFinalFailure } : {}),
  });
  registerInvoiceVirtualFields(emu);
  installBillingEngine(emu);
  const server = new EmulatorServer(
    emu,
    ALL_ROUTES,
    [...checkoutPages, ...hostedPages],
    emu.production ? [] : controlRoutes,
  );
  const host = options.host ?? "127.0.0.1";
  const address = await server.listen(options.port ?? 0, host);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  emu.baseUrl = url;
  const tick = setInterval(() => {
    try {
      emu.runDue();
    } catch (error) {
      console.error("[stripe-emulator] billing tick", error);
    }
  }, options.tickMs ?? 30_000);
  tick.unref();
  return {
    url,
    port: address.port,
    emulator: emu,
    control: createEmulatorControl(url),
    webhooksIdle: () => emu.webhooks.idle(),
    reset: () => {
      emu.webhooks.clear();
      emu.store.reset();
    },
    stop: async () => {
      clearInterval(tick);
      emu.webhooks.stop();
      await server.close();
      emu.store.flush();
    },
  };
}

/** Options for `new Stripe(key, { ...stripeClientOptions(url) })` so the real SDK talks to the emulator. */
export function stripeClientOptions(url: string): { host: string; port: number; protocol: "http" | "https" } {
  const u = new URL(url);
  const protocol = u.protocol === "https:" ? "https" : "http";
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: Number(u.port || (protocol === "https" ? 443 : 80)),
    protocol,
  };
}
