import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { isAppError } from "@kiln/core";
import { withSystem, withTenant } from "@kiln/db";
import {
  activateModel,
  exportLogisticToOnnx,
  FEATURE_COUNT,
  listModels,
  loadActiveModels,
  registerModel,
  registryModelSource,
  rollbackModel,
  sha256Hex,
} from "@kiln/personalization";
import { createCoopWithPeople } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";

/** The per-co-op model registry (issue 9 §3): register, activate, roll back, verify at load. */
const rt = await getTestRuntime("2026-07-01T08:00:00Z");

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (isAppError(e) ? `${e.code}: ${e.message}` : e),
  );
const onnx = (version: string, w = 0.1) =>
  exportLogisticToOnnx(
    { weights: Array.from({ length: FEATURE_COUNT }, (_, i) => w * (i + 1)), bias: -1 },
    { version },
  );
const card = (auc: number) => ({ metrics: { model: { auc, ndcg5: 0.5 }, baseline: { auc: 0.6, ndcg5: 0.4 } } });

async function coopWithModels(versions: string[]) {
  const p = await createCoopWithPeople(rt);
  for (const [i, version] of versions.entries()) {
    rt.clock.advance(60_000);
    await registerModel(rt, {
      coopId: p.coop.id,
      version,
      onnx: onnx(version, 0.1 + i / 100),
      card: card(0.7 + i / 100),
    });
  }
  return { ...p, adminCtx: { userId: p.admin.id, coopId: p.coop.id, role: "coop_admin" } };
}

const actions = (coopId: string) =>
  withSystem(rt, "test", (tx) =>
    tx.execute<{ action: string }>(
      sql`select action from audit_log where coop_id = ${coopId} and action like 'personalization.%' order by seq`,
    ),
  ).then((rows) => rows.map((r) => r.action));

describe("model registry", () => {
  it("registers verified ONNX bytes and refuses anything else", async () => {
    const p = await coopWithModels(["v1"]);
    const [v1] = await listModels(rt, p.adminCtx);
    expect(v1).toMatchObject({
      version: "v1",
      status: "candidate",
      featureSpec: "offer-features/1",
      sha256: sha256Hex(onnx("v1")),
    });
    expect(v1!.card).toEqual(card(0.7));
    expect(
      await codeOf(
        registerModel(rt, { coopId: p.coop.id, version: "junk", onnx: new Uint8Array([1, 2, 3, 4]), card: {} }),
      ),
    ).toMatch(/^BAD_INPUT: Model junk cannot be registered: not an ONNX model/);
    expect(await codeOf(registerModel(rt, { coopId: p.coop.id, version: "v2", onnx: onnx("v3"), card: {} }))).toMatch(
      /file is version v3, registered as v2/,
    );
    expect(await codeOf(registerModel(rt, { coopId: p.coop.id, version: "v1", onnx: onnx("v1"), card: {} }))).toMatch(
      /^CONFLICT/,
    );
    expect(await actions(p.coop.id)).toEqual(["personalization.model.registered"]);
  });

  it("activates one version at a time and rolls back to the one before", async () => {
    const p = await coopWithModels(["v1", "v2", "v3"]);
    const status = async () => Object.fromEntries((await listModels(rt, p.adminCtx)).map((m) => [m.version, m.status]));
    expect(await activateModel(rt, p.adminCtx, { version: "v1" })).toEqual({ version: "v1", previous: null });
    rt.clock.advance(60_000);
    await activateModel(rt, p.adminCtx, { version: "v2" });
    rt.clock.advance(60_000);
    expect(await activateModel(rt, p.adminCtx, { version: "v3" })).toEqual({ version: "v3", previous: "v2" });
    expect(await status()).toEqual({ v1: "retired", v2: "retired", v3: "active" });

    rt.clock.advance(60_000);
    expect(await rollbackModel(rt, p.adminCtx)).toEqual({ version: "v2", previous: "v3" });
    rt.clock.advance(60_000);
    // Rolling back again walks further back, not to the version just rolled back.
    expect(await rollbackModel(rt, p.adminCtx)).toEqual({ version: "v1", previous: "v2" });
    expect(await status()).toEqual({ v1: "active", v2: "retired", v3: "retired" });
    expect(await codeOf(rollbackModel(rt, p.adminCtx))).toMatch(/^CONFLICT: No earlier active version/);

    const active = await registryModelSource.activeFor(rt, p.coop.id);
    expect(active?.version).toBe("v1");
    expect(await registryModelSource.readBytes(rt, active!)).toEqual(new Uint8Array(onnx("v1", 0.1)));
    expect(await actions(p.coop.id)).toEqual([
      "personalization.model.registered",
      "personalization.model.registered",
      "personalization.model.registered",
      "personalization.model.activated",
      "personalization.model.activated",
      "personalization.model.activated",
      "personalization.model.rolled_back",
      "personalization.model.rolled_back",
    ]);
  });

  it("only the co-op's admins change it; others get NOT_FOUND, other co-ops see nothing", async () => {
    const p = await coopWithModels(["v1"]);
    const owner = { userId: p.owner.id, coopId: p.coop.id, creatorId: p.creator.id, role: "creator_owner" };
    expect(await codeOf(activateModel(rt, owner, { version: "v1" }))).toMatch(/^NOT_FOUND/);
    expect(await codeOf(activateModel(rt, { userId: p.member.id }, { version: "v1" }))).toMatch(/^NOT_FOUND/);
    const q = await coopWithModels([]);
    expect(await codeOf(activateModel(rt, { ...q.adminCtx }, { version: "v1" }))).toMatch(/^NOT_FOUND/);
    expect(await listModels(rt, q.adminCtx)).toEqual([]);
    // The database holds one active model per co-op, whatever the code does.
    await activateModel(rt, p.adminCtx, { version: "v1" });
    await registerModel(rt, { coopId: p.coop.id, version: "v2", onnx: onnx("v2"), card: {} });
    const second = await withTenant(rt, p.adminCtx, (tx) =>
      tx.execute(sql`update offer_models set status = 'active' where coop_id = ${p.coop.id} and version = 'v2'`),
    ).then(
      () => "updated",
      (e: unknown) => String((e as { cause?: Error }).cause?.message ?? e),
    );
    expect(second).toMatch(/offer_models_one_active_key/);
  });

  it("reports a corrupt active model for its co-op only, and refuses to activate corrupt bytes", async () => {
    const good = await coopWithModels(["g1"]);
    const bad = await coopWithModels(["b1", "b2"]);
    await activateModel(rt, good.adminCtx, { version: "g1" });
    await activateModel(rt, bad.adminCtx, { version: "b1" });
    // Bytes changed behind the registry's back (disk corruption, a manual edit).
    await withSystem(rt, "test", (tx) =>
      tx.execute(
        sql`update offer_models set onnx = overlay(onnx placing '\\x00ff'::bytea from 20) where coop_id = ${bad.coop.id}`,
      ),
    );
    const loaded = await loadActiveModels(rt);
    const mine = loaded.filter((l) => l.coopId === good.coop.id || l.coopId === bad.coop.id);
    const g = mine.find((l) => l.coopId === good.coop.id)!;
    const b = mine.find((l) => l.coopId === bad.coop.id)!;
    expect(g.ok).toBe(true);
    expect(g.ok && g.bytes).toEqual(new Uint8Array(onnx("g1", 0.1)));
    expect(b.ok).toBe(false);
    expect(!b.ok && b.error).toMatch(/^model b1: stored bytes hash to [0-9a-f]{64}, expected [0-9a-f]{64}$/);
    await expect(
      registryModelSource.readBytes(rt, { coopId: bad.coop.id, version: "b1", sha256: b.sha256 }),
    ).rejects.toThrow(/model b1: stored bytes hash to/);
    expect(await codeOf(activateModel(rt, bad.adminCtx, { version: "b2" }))).toMatch(
      /^CONFLICT: Model b2 cannot be activated: its bytes do not match the stored SHA-256/,
    );
  });
});
