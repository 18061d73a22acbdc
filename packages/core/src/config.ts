import path from "node:path";
import { z } from "zod";

/**
 * Kiln's settings: the one place process.env is read (a lint rule forbids it elsewhere). Validated at
 * boot; a bad value stops the process with a message naming the variable.
 */
const bool = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .transform((v) => v === "true" || v === "1" || v === "yes");

export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    HOST: z.string().min(1).default("127.0.0.1"),
    /** Public origin used in links and for the CSRF Origin check; defaults to http://HOST:PORT. */
    APP_URL: z.url().optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    KILN_DATA_DIR: z.string().min(1).default(".data"),
    /** Read X-Forwarded-For / X-Forwarded-Proto only behind a proxy you trust. */
    TRUST_PROXY: bool.default(false),
    /** smtp://user:pass@host:port or smtps://…; unset → mail is written to KILN_DATA_DIR/mail. */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    MAIL_FROM: z.string().min(3).default("Kiln <no-reply@kiln.local>"),
    /** Secret for signing audit chain checkpoints (HMAC-SHA256). Required in production. */
    AUDIT_CHECKPOINT_KEY: z.string().min(16).optional(),
    /** Seed the demo co-op on an empty database at start (never in production). */
    KILN_DEMO_SEED: bool.default(true),
    /** Run the job worker inside the web process (default for the embedded database). */
    KILN_INLINE_WORKER: bool.optional(),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** Stripe secret key; unset → the local Stripe emulator (refused in production). */
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(test|live)_\S+$/, "must be a Stripe secret key (sk_test_… or sk_live_…)")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    STRIPE_CONNECT_WEBHOOK_SECRET: z.string().min(1).optional(),
    /**
     * Stripe Tax on subscriptions (issue 5 §2): `auto` = on with a real STRIPE_SECRET_KEY, off with the
     * emulator (which computes no tax); `on` / `off` explicitly. Needs Stripe Tax set up on the
     * creators' connected accounts (direct charges, docs/decisions/010).
     */
    STRIPE_TAX: z.enum(["auto", "on", "off"]).default("auto"),
    /** Port of the local Stripe emulator (0 = any free port). */
    STRIPE_EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(12111),
    INIT_CWD: z.string().optional(),
  })
  .transform((env) => {
    // Relative to where the command was typed: pnpm runs package scripts inside the package folder
    // but passes the caller's folder as INIT_CWD, so `.data` means the repository's .data.
    const dataDir = path.resolve(env.INIT_CWD ?? process.cwd(), env.KILN_DATA_DIR);
    return {
      nodeEnv: env.NODE_ENV,
      isProduction: env.NODE_ENV === "production",
      port: env.PORT,
      host: env.HOST,
      appUrl: (env.APP_URL ?? `http://${env.HOST === "0.0.0.0" ? "localhost" : env.HOST}:${env.PORT}`).replace(
        /\/$/,
        "",
      ),
      databaseUrl: env.DATABASE_URL,
      dataDir,
      /** PGlite's files; only used when databaseUrl is unset. */
      embeddedDataDir: path.join(dataDir, "pgdata"),
      mailDir: path.join(dataDir, "mail"),
      checkpointDir: path.join(dataDir, "audit-checkpoints"),
      trustProxy: env.TRUST_PROXY,
      smtpUrl: env.SMTP_URL,
      mailFrom: env.MAIL_FROM,
      auditCheckpointKey: env.AUDIT_CHECKPOINT_KEY ?? "kiln-development-checkpoint-key",
      hasAuditCheckpointKey: env.AUDIT_CHECKPOINT_KEY !== undefined,
      demoSeed: env.KILN_DEMO_SEED,
      inlineWorker: env.KILN_INLINE_WORKER ?? env.DATABASE_URL === undefined,
      logLevel: env.LOG_LEVEL,
      stripeSecretKey: env.STRIPE_SECRET_KEY,
      /** Signing secrets: the emulator signs with these defaults in development. */
      stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET ?? "whsec_kiln_emulator_development",
      stripeConnectWebhookSecret: env.STRIPE_CONNECT_WEBHOOK_SECRET ?? "whsec_kiln_emulator_connect_development",
      /** True when Kiln talks to the local emulator instead of Stripe. */
      useStripeEmulator: env.STRIPE_SECRET_KEY === undefined,
      /** Subscriptions with `automatic_tax[enabled]` and the address collected in setup Checkout. */
      stripeTax: env.STRIPE_TAX === "auto" ? env.STRIPE_SECRET_KEY !== undefined : env.STRIPE_TAX === "on",
      stripeEmulatorPort: env.STRIPE_EMULATOR_PORT,
      stripeEmulatorDir: path.join(dataDir, "stripe-emulator"),
    };
  });

export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Parses the environment; production refuses file-only mail, demo seeds, an unset checkpoint key and the Stripe emulator. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const config = parsed.data;
  if (config.isProduction) {
    const problems: string[] = [];
    if (!config.smtpUrl) problems.push("  SMTP_URL: required in production (file-only email is for development)");
    if (env.KILN_DEMO_SEED !== undefined && config.demoSeed)
      problems.push("  KILN_DEMO_SEED: demo data is refused in production");
    if (!config.hasAuditCheckpointKey) problems.push("  AUDIT_CHECKPOINT_KEY: required in production");
    if (!config.stripeSecretKey)
      problems.push(
        "  STRIPE_SECRET_KEY: required in production (the local Stripe emulator is for development and tests)",
      );
    if (config.stripeSecretKey && env.STRIPE_WEBHOOK_SECRET === undefined)
      problems.push("  STRIPE_WEBHOOK_SECRET: required in production with STRIPE_SECRET_KEY");
    if (problems.length) throw new ConfigError(`Refusing to start in production:\n${problems.join("\n")}`);
    return { ...config, demoSeed: false };
  }
  return config;
}
