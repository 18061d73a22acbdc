import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

describe("loadConfig", () => {
  it("runs offline with nothing set", () => {
    const config = loadConfig({ INIT_CWD: "/srv/kiln" });
    expect(config).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      appUrl: "http://127.0.0.1:3000",
      databaseUrl: undefined,
      dataDir: "/srv/kiln/.data",
      embeddedDataDir: path.join("/srv/kiln/.data", "pgdata"),
      inlineWorker: true,
      trustProxy: false,
    });
  });

  it("names every bad variable", () => {
    expect(() => loadConfig({ PORT: "http", DATABASE_URL: "mysql://x", TRUST_PROXY: "maybe" })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: "http", DATABASE_URL: "mysql://x", TRUST_PROXY: "maybe" });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/PORT/);
      expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL/);
      expect(message).toMatch(/TRUST_PROXY/);
    }
  });

  it("refuses file-only mail, demo data and a missing checkpoint key in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production", KILN_DEMO_SEED: "true" })).toThrow(
      /SMTP_URL[\s\S]*KILN_DEMO_SEED[\s\S]*AUDIT_CHECKPOINT_KEY/,
    );
    const config = loadConfig({
      NODE_ENV: "production",
      SMTP_URL: "smtp://mail.example.com:587",
      AUDIT_CHECKPOINT_KEY: "a-long-enough-secret-key",
      DATABASE_URL: "postgres://kiln@db/kiln",
      STRIPE_SECRET_KEY: "sk_live_0123456789abcdef",
      STRIPE_WEBHOOK_SECRET: "whsec_live_secret",
    });
    expect(config).toMatchObject({
      isProduction: true,
      demoSeed: false,
      inlineWorker: false,
      useStripeEmulator: false,
    });
  });

  it("uses the Stripe emulator without a key, and refuses it in production", () => {
    expect(loadConfig({ INIT_CWD: "/srv/kiln" })).toMatchObject({
      useStripeEmulator: true,
      stripeEmulatorDir: path.join("/srv/kiln/.data", "stripe-emulator"),
    });
    const production = {
      NODE_ENV: "production",
      SMTP_URL: "smtp://mail.example.com:587",
      AUDIT_CHECKPOINT_KEY: "a-long-enough-secret-key",
    };
    expect(() => loadConfig(production)).toThrow(
      /STRIPE_SECRET_KEY: required in production \(the local Stripe emulator/,
    );
    expect(() => loadConfig({ ...production, STRIPE_SECRET_KEY: "sk_live_abc" })).toThrow(/STRIPE_WEBHOOK_SECRET/);
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "pk_test_abc" })).toThrow(
      /STRIPE_SECRET_KEY: must be a Stripe secret key/,
    );
  });
});
