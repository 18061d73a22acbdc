import PgBoss from "pg-boss";
import { isInTransaction, type Database } from "@kiln/db";
import { QUEUES } from "./queues";
import { createPgBossDb } from "./sql-adapter";

export type Job<T = Record<string, unknown>> = PgBoss.Job<T>;

/** Handles one job; throwing fails the attempt, and pg-boss retries it up to the queue's retryLimit. */
export type JobHandler<T = Record<string, unknown>> = (job: Job<T>) => Promise<unknown>;

export interface RegisterOptions {
  /** Attempts after the first (queue setting; default 2). */
  retryLimit?: number;
  /** Seconds before a retry (default 0). */
  retryDelay?: number;
  /** Exponential backoff on retries (default false). */
  retryBackoff?: boolean;
  /** A job still running after this is failed (and retried); default 15 minutes. */
  expireInSeconds?: number;
  /** How often an idle worker polls (seconds, at least 0.5; default 2). */
  pollingIntervalSeconds?: number;
}

export interface CreateJobsOptions {
  /** PostgreSQL schema for pg-boss's tables (default "pgboss"). */
  schema?: string;
  /** Run maintenance (expiry, archiving) in this process (default true). */
  supervise?: boolean;
  /** Run the cron clock in this process (default true). */
  schedule?: boolean;
  /** Default worker polling interval in seconds (default 2). */
  pollingIntervalSeconds?: number;
  /** Where pg-boss errors go (default console.error); pg-boss emits them instead of throwing. */
  onError?: (error: Error) => void;
}

export interface Jobs {
  /** The pg-boss instance, for what this wrapper does not cover (getQueue, fetch, getSchedules …). */
  boss: PgBoss;
  /** Installs/migrates pg-boss's schema on first use and creates the queues in QUEUES. */
  start(): Promise<void>;
  /** Stops workers (waiting for running jobs up to `timeoutMs`) and the cron clock. Idempotent. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** Creates the queue (if missing) and starts a worker that hands each job to `handler`. */
  register<T = Record<string, unknown>>(
    name: string,
    handler: JobHandler<T>,
    options?: RegisterOptions,
  ): Promise<string>;
  /** Creates the queue (if missing) and (re)sets its cron schedule (UTC unless `tz`). */
  schedule(name: string, cron: string, data?: Record<string, unknown>, options?: { tz?: string }): Promise<void>;
  /** Sends a job; returns its id (null when a singleton/throttle option swallowed it). */
  send(name: string, data?: Record<string, unknown>, options?: PgBoss.SendOptions): Promise<string | null>;
}

/**
 * pg-boss wired to Kiln's database. In both modes pg-boss runs over the same postgres.js client as the
 * rest of Kiln through its `db` option (see createPgBossDb): on the embedded server that is the single
 * connection it accepts (a second one would be refused), on a server it is the pool, so there is one
 * code path and no separate node-postgres pool.
 *
 * Embedded caveat: the one connection serves everything, so never `await jobs.send()` inside an open
 * withTenant/withSystem transaction there — it would wait for the connection that transaction holds.
 * Send after the transaction commits; send() throws instead of hanging when called inside one.
 */
export function createJobs(database: Database, options: CreateJobsOptions = {}): Jobs {
  const boss = new PgBoss({
    db: createPgBossDb(database.sql) as PgBoss.Db,
    schema: options.schema ?? "pgboss",
    supervise: options.supervise ?? true,
    schedule: options.schedule ?? true,
    migrate: true,
  });
  const onError = options.onError ?? ((error: Error) => console.error("[kiln] jobs error", error));
  boss.on("error", onError);
  const polling = options.pollingIntervalSeconds ?? 2;
  const created = new Set<string>();
  let started = false;

  /** Creates the queue when missing; given settings, also applies them to an existing queue. */
  async function ensureQueue(name: string, settings?: Omit<PgBoss.Queue, "name">): Promise<void> {
    const hasSettings = settings !== undefined && Object.keys(settings).length > 0;
    if (created.has(name) && !hasSettings) return;
    const existing = await boss.getQueue(name);
    if (!existing) await boss.createQueue(name, { ...settings, name });
    else if (hasSettings) await boss.updateQueue(name, { ...settings, name });
    created.add(name);
  }

  function queueSettings(o: RegisterOptions): Omit<PgBoss.Queue, "name"> {
    const settings: Omit<PgBoss.Queue, "name"> = {};
    if (o.retryLimit !== undefined) settings.retryLimit = o.retryLimit;
    if (o.retryDelay !== undefined) settings.retryDelay = o.retryDelay;
    if (o.retryBackoff !== undefined) settings.retryBackoff = o.retryBackoff;
    if (o.expireInSeconds !== undefined) settings.expireInSeconds = o.expireInSeconds;
    return settings;
  }

  function requireStarted(what: string) {
    if (!started) throw new Error(`jobs.${what}() before jobs.start()`);
  }

  return {
    boss,
    async start() {
      if (started) return;
      await boss.start();
      started = true;
      for (const name of Object.values(QUEUES)) await ensureQueue(name);
    },
    async stop({ timeoutMs = 10_000 } = {}) {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: true, wait: true, timeout: timeoutMs, close: false });
    },
    async register<T>(name: string, handler: JobHandler<T>, o: RegisterOptions = {}) {
      requireStarted("register");
      await ensureQueue(name, queueSettings(o));
      return boss.work<T>(
        name,
        { batchSize: 1, pollingIntervalSeconds: o.pollingIntervalSeconds ?? polling },
        async (jobs) => {
          for (const job of jobs) await handler(job);
        },
      );
    },
    async schedule(name, cron, data, o = {}) {
      requireStarted("schedule");
      await ensureQueue(name);
      await boss.schedule(name, cron, data ?? {}, o.tz ? { tz: o.tz } : {});
    },
    async send(name, data, o) {
      requireStarted("send");
      if (database.mode === "embedded" && isInTransaction() && !o?.db) {
        throw new Error(
          "jobs.send() inside a transaction on the embedded database would wait for ever: send after it commits",
        );
      }
      await ensureQueue(name);
      return boss.send(name, data ?? {}, o ?? {});
    },
  };
}
