/**
 * The co-op's offer-ranker registry (issue 9 §3, decision 014): trained versions stored in the
 * database with their ONNX bytes, SHA-256, feature spec and model card; exactly one active per co-op.
 * Registering, activating and rolling back are audited like other admin actions.
 *
 * The bytes are checked twice: at registration (they parse as ONNX and name the feature spec this
 * code computes) and at every load (the stored hash still matches). A co-op whose model fails the
 * load check is reported on its own; the other co-ops' models load.
 */
import { createHash } from "node:crypto";
import { and, desc, eq, isNotNull, isNull, lt, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { appendAudit } from "@kiln/audit";
import { AppError, parseInput } from "@kiln/core";
import { schema, withSystem, withTenant, type Runtime, type TenantContext, type Tx } from "@kiln/db";
import { FEATURE_SPEC_VERSION } from "./features.js";
import { readOnnxMetadata } from "./onnx-export.js";
import type { ModelStatus } from "./types.js";

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const m = schema.offerModels;

export const RegisterModelSchema = z.object({
  coopId: z.uuid(),
  version: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._:-]+$/, "A version is letters, digits and . _ : - only"),
  onnx: z
    .custom<Uint8Array>((v) => v instanceof Uint8Array, "The model must be bytes")
    .refine((b) => b.byteLength > 0, "The model file is empty"),
  card: z.record(z.string(), z.unknown()),
  trainedAt: z.date().optional(),
  /** Who registered it (null: the scheduled training job). */
  actorUserId: z.uuid().nullish(),
});
export type RegisterModelInput = z.input<typeof RegisterModelSchema>;

/** Why bytes cannot be served, or null when they can. */
function checkBytes(bytes: Uint8Array, version: string | null): string | null {
  let meta: Record<string, string>;
  try {
    meta = readOnnxMetadata(bytes);
  } catch (error) {
    return (error as Error).message;
  }
  if (meta.feature_spec !== FEATURE_SPEC_VERSION)
    return `the model was trained on feature spec ${meta.feature_spec ?? "(none)"}, this code computes ${FEATURE_SPEC_VERSION}`;
  if (version !== null && meta.version !== undefined && meta.version !== version)
    return `the file is version ${meta.version}, registered as ${version}`;
  return null;
}

/**
 * Stores a trained version as a candidate (system context: the training job, or an admin's "train
 * now" run). Refuses bytes that are not an ONNX model of this feature spec, and a version the co-op
 * already has.
 */
export async function registerModel(
  rt: Runtime,
  input: RegisterModelInput,
): Promise<{ id: string; version: string; sha256: string }> {
  const v = parseInput(RegisterModelSchema, input);
  const problem = checkBytes(v.onnx, v.version);
  if (problem) throw new AppError("BAD_INPUT", `Model ${v.version} cannot be registered: ${problem}`);
  const sha256 = sha256Hex(v.onnx);
  return withSystem(rt, "personalization-register-model", async (tx) => {
    const [existing] = await tx
      .select({ id: m.id })
      .from(m)
      .where(and(eq(m.coopId, v.coopId), eq(m.version, v.version)));
    if (existing) throw new AppError("CONFLICT", `Model version ${v.version} is already registered`);
    const [row] = await tx
      .insert(m)
      .values({
        coopId: v.coopId,
        version: v.version,
        featureSpec: FEATURE_SPEC_VERSION,
        onnx: v.onnx,
        sha256,
        card: JSON.parse(JSON.stringify(v.card)) as Record<string, unknown>,
        status: "candidate",
        trainedAt: v.trainedAt ?? rt.clock.now(),
      })
      .returning({ id: m.id });
    await appendAudit(tx, rt.clock.now(), {
      coopId: v.coopId,
      actorUserId: v.actorUserId ?? null,
      action: "personalization.model.registered",
      subjectType: "offer_model",
      subjectId: row!.id,
      data: { version: v.version, sha256, featureSpec: FEATURE_SPEC_VERSION, bytes: v.onnx.byteLength },
    });
    return { id: row!.id, version: v.version, sha256 };
  });
}

interface AdminScope {
  coopId: string;
  userId: string;
}
function requireAdmin(ctx: TenantContext): AdminScope {
  if (ctx.role !== "coop_admin" || !ctx.coopId || !ctx.userId) throw new AppError("NOT_FOUND", "Not found");
  return { coopId: ctx.coopId, userId: ctx.userId };
}

export interface ModelSummary {
  id: string;
  version: string;
  featureSpec: string;
  sha256: string;
  bytes: number;
  status: ModelStatus;
  card: Record<string, unknown>;
  trainedAt: Date;
  activatedAt: Date | null;
  activatedBy: string | null;
  rolledBackAt: Date | null;
}

const summaryColumns = {
  id: m.id,
  version: m.version,
  featureSpec: m.featureSpec,
  sha256: m.sha256,
  bytes: sql<number>`octet_length(${m.onnx})::int`,
  status: m.status,
  card: m.card,
  trainedAt: m.trainedAt,
  activatedAt: m.activatedAt,
  activatedBy: m.activatedBy,
  rolledBackAt: m.rolledBackAt,
};

/** The co-op's versions, newest first (co-op admins; creator teams may read them too). */
export async function listModels(rt: Runtime, ctx: TenantContext): Promise<ModelSummary[]> {
  if (!ctx.coopId) throw new AppError("NOT_FOUND", "Not found");
  return withTenant(rt, ctx, async (tx) => {
    const rows = await tx
      .select(summaryColumns)
      .from(m)
      .where(eq(m.coopId, ctx.coopId!))
      .orderBy(desc(m.trainedAt), desc(m.createdAt));
    return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
  });
}

/** Makes `next` the active version: the current one is retired first (one active per co-op). */
async function switchActive(
  tx: Tx,
  rt: Runtime,
  scope: AdminScope,
  next: { id: string; version: string },
  action: "personalization.model.activated" | "personalization.model.rolled_back",
) {
  const [current] = await tx
    .select({ id: m.id, version: m.version })
    .from(m)
    .where(and(eq(m.coopId, scope.coopId), eq(m.status, "active")));
  if (current?.id === next.id) return { version: next.version, previous: current.version };
  if (current) {
    await tx
      .update(m)
      .set({
        status: "retired",
        rolledBackAt: action === "personalization.model.rolled_back" ? sql`kiln_now()` : null,
        updatedAt: sql`kiln_now()`,
      })
      .where(eq(m.id, current.id));
  }
  await tx
    .update(m)
    .set({
      status: "active",
      activatedAt: sql`kiln_now()`,
      activatedBy: scope.userId,
      rolledBackAt: null,
      updatedAt: sql`kiln_now()`,
    })
    .where(eq(m.id, next.id));
  await appendAudit(tx, rt.clock.now(), {
    coopId: scope.coopId,
    actorUserId: scope.userId,
    action,
    subjectType: "offer_model",
    subjectId: next.id,
    data: { version: next.version, previous: current?.version ?? null },
  });
  return { version: next.version, previous: current?.version ?? null };
}

/** Verifies the stored bytes before a version is made active: a corrupt one is refused. */
async function verifyStored(tx: Tx, id: string): Promise<void> {
  const [row] = await tx.select({ onnx: m.onnx, sha256: m.sha256, version: m.version }).from(m).where(eq(m.id, id));
  if (!row) throw new AppError("NOT_FOUND", "Not found");
  const problem =
    sha256Hex(row.onnx) !== row.sha256 ? "its bytes do not match the stored SHA-256" : checkBytes(row.onnx, null);
  if (problem) throw new AppError("CONFLICT", `Model ${row.version} cannot be activated: ${problem}`);
}

/** A co-op admin activates a version (a candidate, or a retired one to go back to it). */
export async function activateModel(
  rt: Runtime,
  ctx: TenantContext,
  input: { version: string },
): Promise<{ version: string; previous: string | null }> {
  const scope = requireAdmin(ctx);
  const { version } = parseInput(z.object({ version: z.string().min(1).max(100) }), input);
  return withTenant(rt, ctx, async (tx) => {
    const [target] = await tx
      .select({ id: m.id, version: m.version })
      .from(m)
      .where(and(eq(m.coopId, scope.coopId), eq(m.version, version)));
    if (!target) throw new AppError("NOT_FOUND", `No model version ${version}`);
    await verifyStored(tx, target.id);
    return switchActive(tx, rt, scope, target, "personalization.model.activated");
  });
}

/**
 * Goes back to the version that was active before the current one: the most recently activated
 * retired version that was not itself rolled back (so rolling back twice walks further back).
 */
export async function rollbackModel(
  rt: Runtime,
  ctx: TenantContext,
): Promise<{ version: string; previous: string | null }> {
  const scope = requireAdmin(ctx);
  return withTenant(rt, ctx, async (tx) => {
    const [current] = await tx
      .select({ id: m.id, activatedAt: m.activatedAt })
      .from(m)
      .where(and(eq(m.coopId, scope.coopId), eq(m.status, "active")));
    if (!current) throw new AppError("CONFLICT", "No model is active: there is nothing to roll back");
    const [previous] = await tx
      .select({ id: m.id, version: m.version })
      .from(m)
      .where(
        and(
          eq(m.coopId, scope.coopId),
          ne(m.id, current.id),
          eq(m.status, "retired"),
          isNotNull(m.activatedAt),
          isNull(m.rolledBackAt),
          current.activatedAt ? lt(m.activatedAt, current.activatedAt) : undefined,
        ),
      )
      .orderBy(desc(m.activatedAt))
      .limit(1);
    if (!previous) throw new AppError("CONFLICT", "No earlier active version to roll back to");
    await verifyStored(tx, previous.id);
    return switchActive(tx, rt, scope, previous, "personalization.model.rolled_back");
  });
}

/** A co-op's active model as loaded: the bytes when they verify, else the reason they cannot be served. */
export type LoadedModel =
  | { coopId: string; ok: true; version: string; sha256: string; bytes: Uint8Array }
  | { coopId: string; ok: false; version: string; sha256: string; error: string };

function verifyLoaded(row: { coopId: string; version: string; sha256: string; onnx: Uint8Array }): LoadedModel {
  const base = { coopId: row.coopId, version: row.version, sha256: row.sha256 };
  const actual = sha256Hex(row.onnx);
  if (actual !== row.sha256)
    return {
      ...base,
      ok: false,
      error: `model ${row.version}: stored bytes hash to ${actual}, expected ${row.sha256}`,
    };
  const problem = checkBytes(row.onnx, null);
  if (problem) return { ...base, ok: false, error: `model ${row.version}: ${problem}` };
  return { ...base, ok: true, bytes: row.onnx };
}

/**
 * Every co-op's active model (system context, at process start). Each is verified on its own: a
 * hash mismatch or unreadable bytes is that co-op's `ok: false` with a clear error, never a throw.
 */
export async function loadActiveModels(rt: Runtime): Promise<LoadedModel[]> {
  const rows = await withSystem(rt, "personalization-load-models", (tx) =>
    tx
      .select({ coopId: m.coopId, version: m.version, sha256: m.sha256, onnx: m.onnx })
      .from(m)
      .where(eq(m.status, "active"))
      .orderBy(m.coopId),
  );
  return rows.map(verifyLoaded);
}

/** The model-store source (scorer side, see model-store.ts `ModelSource`): refs, then verified bytes. */
export interface ActiveModelRefRow {
  coopId: string;
  version: string;
  sha256: string;
}

export const registryModelSource = {
  async listActive(rt: Runtime): Promise<ActiveModelRefRow[]> {
    return withSystem(rt, "personalization-active-models", (tx) =>
      tx.select({ coopId: m.coopId, version: m.version, sha256: m.sha256 }).from(m).where(eq(m.status, "active")),
    );
  },
  async activeFor(rt: Runtime, coopId: string): Promise<ActiveModelRefRow | null> {
    const [row] = await withSystem(rt, "personalization-active-model", (tx) =>
      tx
        .select({ coopId: m.coopId, version: m.version, sha256: m.sha256 })
        .from(m)
        .where(and(eq(m.coopId, coopId), eq(m.status, "active"))),
    );
    return row ?? null;
  },
  /** The bytes of that version, verified against its hash; throws a clear error otherwise. */
  async readBytes(rt: Runtime, ref: ActiveModelRefRow): Promise<Uint8Array> {
    const [row] = await withSystem(rt, "personalization-model-bytes", (tx) =>
      tx
        .select({ coopId: m.coopId, version: m.version, sha256: m.sha256, onnx: m.onnx })
        .from(m)
        .where(and(eq(m.coopId, ref.coopId), eq(m.version, ref.version))),
    );
    if (!row) throw new Error(`model ${ref.version} of co-op ${ref.coopId} is not in the registry`);
    if (row.sha256 !== ref.sha256)
      throw new Error(`model ${ref.version}: registry hash ${row.sha256}, expected ${ref.sha256}`);
    const loaded = verifyLoaded(row);
    if (!loaded.ok) throw new Error(loaded.error);
    return loaded.bytes;
  },
};
