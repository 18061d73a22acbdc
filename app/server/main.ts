import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import type { ViteDevServer } from "vite";
import { ConfigError, loadConfig, type Config } from "@kiln/core";
import { migrateDatabase, openDatabase, systemClock, type Clock, type Runtime } from "@kiln/db";
import type { Jobs } from "@kiln/jobs";
import { createMailTransport } from "@kiln/mail";
import { getDefaultModelStore } from "@kiln/personalization";
import { DEMO_PASSWORD, DEMO_USERS, isDatabaseEmpty, seedDemo } from "@kiln/seed";
import { startStripeEmulator, type StripeEmulator } from "@kiln/stripe-emulator";
import { createAppLoadContext, type AppServices } from "../app/context.server";
import { clearSessionCookie, sessionCookie } from "../app/session.server";
import { renderOrderPage } from "../app/compliance.server";
import { allocationJobSender, outboxNotifier, startSender, startWorkers, trainJobSender } from "./jobs";
import { createStripeForConfig, registerBillingWorkers, webhookEnqueuer } from "./billing";
import { csrfMiddleware, requestFacts, securityHeadersMiddleware, trustProxy } from "./security";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const isDev = process.argv.includes("--dev");

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`[kiln] ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

/** `start` on a fresh clone: build the app once if there is no build yet. */
function ensureBuild(serverBuildPath: string) {
  if (existsSync(serverBuildPath)) return;
  console.log("[kiln] no build found: running `remix vite:build` once (later: `pnpm build`)");
  const cli = createRequire(import.meta.url).resolve("@remix-run/dev/dist/cli.js");
  const result = spawnSync(process.execPath, [cli, "vite:build"], { cwd: appDir, stdio: "inherit" });
  if (result.status !== 0) {
    console.error("[kiln] the build failed");
    process.exit(1);
  }
}

async function main() {
  const config = readConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.embeddedDataDir });
  // With the local Stripe emulator (development, tests), Kiln's clock is the emulator's: when its test
  // controls move time forward (/_emulator/clock/advance), renewals and Kiln's "now" move together.
  let stripeEmulator: StripeEmulator | undefined;
  const clock: Clock = {
    now: () => (stripeEmulator ? new Date(stripeEmulator.emulator.clock.nowMs()) : systemClock.now()),
  };
  const rt: Runtime = { database, clock };
  await migrateDatabase(database);
  if (config.demoSeed && !config.isProduction && (await isDatabaseEmpty(rt))) {
    const seeded = await seedDemo(rt, { renderOrderPage });
    console.log(`[kiln] empty database: seeded the demo (${seeded.coops} co-ops, ${seeded.users} users)`);
  }
  // Personalised offers (issue 9): one onnxruntime session per co-op's active model, made now. A missing
  // or corrupt model is logged here naming its co-op and version; that storefront falls back to the
  // non-personalised order. Activations later are picked up on use (decision 017).
  const offerModels = getDefaultModelStore();
  await offerModels
    .preload(rt)
    .then(({ loaded, failed }) => {
      if (loaded.length + failed.length > 0)
        console.log(`[kiln] offer ranker: ${loaded.length} co-op model(s) loaded, ${failed.length} unusable`);
    })
    .catch((error: unknown) => console.error("[kiln] offer ranker: reading the active models failed", error));
  const transport = createMailTransport({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom });
  const jobs: Jobs = config.inlineWorker ? await startWorkers(rt, config, transport) : await startSender(rt);
  const services: AppServices = {
    config,
    rt,
    notifyOutbox: outboxNotifier(jobs),
    sendAllocationJob: allocationJobSender(jobs),
    sendTrainJob: trainJobSender(jobs),
  };
  // No STRIPE_SECRET_KEY (never in production: loadConfig refuses it): the local Stripe emulator,
  // with its state in KILN_DATA_DIR/stripe-emulator and webhooks signed back to the app.
  if (config.useStripeEmulator && !config.isProduction) {
    stripeEmulator = await startStripeEmulator({
      port: config.stripeEmulatorPort,
      host: "127.0.0.1",
      statePath: path.join(config.stripeEmulatorDir, "state.json"),
      webhooks: [
        { url: `${config.appUrl}/api/v1/webhooks/stripe`, secret: config.stripeWebhookSecret },
        {
          url: `${config.appUrl}/api/v1/webhooks/stripe-connect`,
          secret: config.stripeConnectWebhookSecret,
          connect: true,
        },
      ],
    });
  }
  // Billing (issue 5): one Stripe client for the process; webhook events are processed by pg-boss.
  const stripe = createStripeForConfig(config, stripeEmulator?.url);
  if (config.inlineWorker) await registerBillingWorkers(jobs, rt, stripe, config);
  services.billing = { stripe, onWebhookStored: webhookEnqueuer(jobs) };

  const app = express();
  const httpServer = createServer(app);
  app.disable("x-powered-by");
  // With TRUST_PROXY, req.ip and req.secure follow X-Forwarded-For / X-Forwarded-Proto.
  trustProxy(app, config.trustProxy);
  app.use(compression());
  app.use(securityHeadersMiddleware({ isDev }));

  app.get("/healthz", (_req, res) => {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 3000).unref());
    Promise.race([database.sql`select 1 as ok`, timeout])
      .then(() => res.json({ status: "ok", database: database.mode }))
      .catch((error: unknown) => {
        console.error("[kiln] health check failed", error);
        res.status(503).json({ status: "error", database: database.mode });
      });
  });

  let vite: ViteDevServer | undefined;
  let build: ServerBuild | (() => Promise<ServerBuild>);
  if (isDev) {
    const { createServer: createViteServer } = await import("vite");
    vite = await createViteServer({
      root: appDir,
      appType: "custom",
      server: { middlewareMode: true, hmr: { server: httpServer } },
    });
    app.use(vite.middlewares);
    const devServer = vite;
    build = () => devServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
  } else {
    const serverBuildPath = path.join(appDir, "build/server/index.js");
    ensureBuild(serverBuildPath);
    const clientDir = path.join(appDir, "build/client");
    app.use("/assets", express.static(path.join(clientDir, "assets"), { immutable: true, maxAge: "1y" }));
    // onnxruntime-web's wasm runtime (vite.config.ts copies it to /ort/<version>/): versioned, so immutable.
    app.use("/ort", express.static(path.join(clientDir, "ort"), { immutable: true, maxAge: "1y" }));
    app.use(express.static(clientDir, { maxAge: "1h" }));
    build = (await import(pathToFileURL(serverBuildPath).href)) as ServerBuild;
  }

  app.use(csrfMiddleware({ appUrl: config.appUrl }));
  const remixHandler = createRequestHandler({
    build,
    mode: isDev ? "development" : config.nodeEnv,
    async getLoadContext(req, res) {
      const headers = new Headers();
      const cookie = req.get("Cookie");
      if (cookie) headers.set("Cookie", cookie);
      const context = await createAppLoadContext(
        services,
        { headers },
        {
          ...requestFacts(req),
          cspNonce: String(res.locals.cspNonce ?? ""),
        },
      );
      // Sliding sessions: re-set the cookie when the expiry moved; drop a cookie that no longer works.
      if (context.auth?.refreshed && context.sessionToken) {
        res.append("Set-Cookie", sessionCookie(context.sessionToken, context.auth.session.expiresAt, req.secure));
      } else if (cookie?.includes("kiln_session=") && !context.auth) {
        res.append("Set-Cookie", clearSessionCookie(req.secure));
      }
      return context;
    },
  });
  app.all("*", (req, res, next) => {
    remixHandler(req, res, next).catch(next);
  });

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const where = database.mode === "embedded" ? `embedded database in ${config.embeddedDataDir}` : "PostgreSQL server";
  console.log(
    `[kiln] ${isDev ? "dev server" : "listening"} on ${config.appUrl} (bound to ${config.host}:${config.port}, ${where})`,
  );
  if (config.demoSeed && !config.isProduction) {
    const admin = DEMO_USERS.find((u) => u.role === "coop_admin")?.email ?? "admin@riverside.demo";
    console.log(
      `[kiln] demo logins: ${admin}, member@kiln.demo … password "${DEMO_PASSWORD}" (all accounts in README.md)`,
    );
  }
  if (!config.smtpUrl) console.log(`[kiln] mail goes to ${config.mailDir}; read it at ${config.appUrl}/dev/mail`);
  if (stripeEmulator) console.log(`[kiln] Stripe emulator (no STRIPE_SECRET_KEY) on ${stripeEmulator.url}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[kiln] ${signal}: shutting down`);
    const force = setTimeout(() => {
      console.error("[kiln] shutdown took too long, exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
    httpServer.closeIdleConnections();
    void (async () => {
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await jobs.stop({ timeoutMs: 5_000 }).catch((e: unknown) => console.error("[kiln] stopping jobs", e));
      transport.close();
      await offerModels.close().catch((e: unknown) => console.error("[kiln] releasing the offer models", e));
      await stripeEmulator?.stop().catch((e: unknown) => console.error("[kiln] stopping the Stripe emulator", e));
      await vite?.close();
      // Closing the database stops the embedded server, which flushes its files.
      await database.close().catch((e: unknown) => console.error("[kiln] closing the database", e));
      process.exit(0);
    })();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("[kiln] failed to start", error);
  process.exit(1);
});
