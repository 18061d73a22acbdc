/**
 * Embedded PostgreSQL (PGlite behind pglite-socket, one connection, in a worker thread — Kiln's
 * default) against a PostgreSQL server, on the same tenant-scoped read: withTenant for a co-op
 * context (SET LOCAL ROLE kiln_app, context via set_config) selecting that co-op's creators, filtered
 * by row-level security alone. Both sides use one postgres.js connection and the same data, made with
 * the @kiln/seed factories. A `select 1` round-trip on each connection is the reference, so the
 * results read as ratios measured in the same run.
 *
 * Server: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres; a temporary database is
 * created, migrated, seeded and dropped. Embedded: a temporary data folder, removed afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import {
  migrateDatabase,
  openDatabase,
  schema,
  systemClock,
  withSystem,
  withTenant,
  type Database,
  type Runtime,
} from "@kiln/db";
import { createCoop, createCreator } from "@kiln/seed";
import { isProcessAlive } from "@kiln/db/embedded";
import { defineBench, environment, find, measureInterleaved, type Measurement, type Ratio, type Subject } from "./lib";

const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const COOPS = 8;
const CREATORS_PER_COOP = 20;
const DB_PREFIX = "kiln_bench_";

interface Side {
  name: "embedded" | "server";
  rt: Runtime;
  coopIds: string[];
}

/** Same rows on both sides: COOPS co-ops with CREATORS_PER_COOP unpublished creators each. */
async function seed(rt: Runtime): Promise<string[]> {
  const coopIds: string[] = [];
  for (let c = 0; c < COOPS; c++) {
    const id = await withSystem(rt, "bench-seed", async (tx) => {
      const coop = await createCoop(rt, {}, tx);
      for (let i = 0; i < CREATORS_PER_COOP; i++) await createCreator(rt, { coopId: coop.id, isPublished: false }, tx);
      return coop.id;
    });
    coopIds.push(id);
  }
  return coopIds;
}

/** The operation under test. Returns the row count so the bench can check RLS did its job. */
async function tenantRead(rt: Runtime, coopId: string): Promise<number> {
  const rows = await withTenant(rt, { coopId, role: "coop_admin" }, (tx) =>
    tx.select({ id: schema.creators.id, slug: schema.creators.slug }).from(schema.creators),
  );
  return rows.length;
}

/** Drops bench databases left by runs that died before their clean-up (their pid is gone). */
async function dropAbandoned(admin: postgres.Sql): Promise<void> {
  const rows = await admin<{ datname: string }[]>`
    select datname from pg_database where datname like ${`${DB_PREFIX}%`}`;
  for (const { datname } of rows) {
    const pid = Number(datname.slice(DB_PREFIX.length).split("_")[0]);
    if (pid && pid !== process.pid && !isProcessAlive(pid)) {
      await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    }
  }
}

async function openServer(
  serverUrl: string,
): Promise<{ database: Database; drop: () => Promise<void>; version: string }> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await dropAbandoned(admin);
    const name = `${DB_PREFIX}${process.pid}_${Date.now()}`;
    await admin.unsafe(`create database "${name}"`);
    const [row] = await admin<{ server_version: string }[]>`show server_version`;
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const database = await openDatabase({ databaseUrl: url.toString(), max: 1 });
    return {
      database,
      version: row?.server_version ?? "unknown",
      drop: async () => {
        await database.close();
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
        await admin.end({ timeout: 5 });
      },
    };
  } catch (error) {
    await admin.end({ timeout: 5 });
    throw error;
  }
}

export default defineBench({
  name: "embedded-vs-server",
  description:
    "Tenant-scoped read (withTenant as a co-op admin: set_config + SET LOCAL ROLE kiln_app, then SELECT the co-op's " +
    `creators filtered by RLS; ${COOPS} co-ops × ${CREATORS_PER_COOP} creators) on embedded PGlite (pglite-socket, one ` +
    "connection, worker thread, data in a folder) vs. a PostgreSQL server (one connection), with a `select 1` " +
    "round-trip on each connection as the reference.",
  async run({ quick, signal }) {
    const serverUrl = process.env.DATABASE_URL || DEFAULT_SERVER_URL;
    const dataDir = mkdtempSync(path.join(tmpdir(), "kiln-bench-"));
    const cleanups: (() => Promise<void>)[] = [
      () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    ];
    try {
      const embedded = await openDatabase({ dataDir: path.join(dataDir, "pgdata") });
      cleanups.unshift(() => embedded.close());
      const server = await openServer(serverUrl);
      cleanups.unshift(server.drop);

      const sides: Side[] = [];
      for (const [name, database] of [
        ["embedded", embedded],
        ["server", server.database],
      ] as const) {
        await migrateDatabase(database);
        const rt: Runtime = { database, clock: systemClock };
        sides.push({ name, rt, coopIds: await seed(rt) });
      }

      // Correctness first: RLS must show exactly the co-op's creators, or the numbers mean nothing.
      for (const side of sides) {
        const seen = await tenantRead(side.rt, side.coopIds[0]!);
        if (seen !== CREATORS_PER_COOP) {
          throw new Error(
            `${side.name}: tenant read saw ${seen} creators, expected ${CREATORS_PER_COOP} (RLS broken?)`,
          );
        }
        const [who] = await withTenant(side.rt, { coopId: side.coopIds[0]! }, (tx) =>
          tx.execute<{ user: string }>(sql`select current_user as "user"`),
        );
        if (who?.user !== "kiln_app") throw new Error(`${side.name}: withTenant runs as ${who?.user}, not kiln_app`);
      }

      const subjects: Subject[] = sides.flatMap((side) => {
        let next = 0;
        return [
          {
            key: `${side.name}.select-1`,
            label: `${side.name}: select 1 (reference)`,
            op: async () => await side.rt.database.sql`select 1`,
          },
          {
            key: `${side.name}.tenant-read`,
            label: `${side.name}: tenant read (withTenant + RLS)`,
            op: () => tenantRead(side.rt, side.coopIds[next++ % side.coopIds.length]!),
          },
        ];
      });
      const measurements: Measurement[] = await measureInterleaved(subjects, {
        warmupOps: quick ? 50 : 200,
        rounds: quick ? 3 : 7,
        roundMs: quick ? 250 : 700,
        maxOpsPerRound: 20_000,
        signal,
      });

      const eRead = find(measurements, "embedded.tenant-read");
      const sRead = find(measurements, "server.tenant-read");
      const eRef = find(measurements, "embedded.select-1");
      const sRef = find(measurements, "server.select-1");
      const ratios: Ratio[] = [
        {
          label: "tenant read, median latency embedded / server",
          value: eRead.medianUs / sRead.medianUs,
          meaning: "> 1: embedded is slower per read",
        },
        {
          label: "tenant read, ops/s embedded / server",
          value: eRead.opsPerSec / sRead.opsPerSec,
          meaning: "< 1: embedded serves fewer reads per second (one client, sequential)",
        },
        {
          label: "select 1, median latency embedded / server",
          value: eRef.medianUs / sRef.medianUs,
          meaning: "the bare round-trip cost of each connection path",
        },
        {
          label: "embedded: tenant read / select 1 (median)",
          value: eRead.medianUs / eRef.medianUs,
          meaning: "tenant read in units of one embedded round-trip",
        },
        {
          label: "server: tenant read / select 1 (median)",
          value: sRead.medianUs / sRef.medianUs,
          meaning: "tenant read in units of one server round-trip",
        },
      ];
      return {
        environment: { ...environment(), postgresServer: server.version, serverUrl: redact(serverUrl) },
        measurements,
        ratios,
        notes: [
          "withTenant is five round-trips (BEGIN, set_config, SET LOCAL ROLE, SELECT, COMMIT), so a tenant read costs " +
            "several select-1 units on either side.",
          "One client, one operation at a time: this is per-request latency, not throughput under concurrency " +
            "(the embedded server accepts one connection by design, DESIGN.md §3).",
          "Subjects take turns in interleaved rounds; the ratios come from the same run.",
        ],
      };
    } finally {
      for (const cleanup of cleanups) {
        await cleanup().catch((error: unknown) => console.error("bench clean-up failed:", error));
      }
    }
  },
});

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}
