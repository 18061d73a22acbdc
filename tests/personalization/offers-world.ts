import type { Runtime } from "@kiln/db";
import { createDrop, createProduct, setDropPublished } from "@kiln/drops";
import { createDropShop } from "../../packages/drops/src/testing";
import {
  activateModel,
  exportLogisticToOnnx,
  FEATURE_COUNT,
  registerModel,
  type LogisticModel,
} from "@kiln/personalization";

const HOUR = 3_600_000;
export const PERIOD = "2026-W50";

let skuCounter = 0;

/**
 * A published storefront with `offers` drops of tagged products (some open, some upcoming) for the
 * offers service's tests and the bench.
 */
export async function createOffersShop(rt: Runtime, options: { offers: number; allocationUnits?: number }) {
  const shop = await createDropShop(rt, { period: PERIOD, allocationUnits: options.allocationUnits ?? 10_000 });
  const tagPool = ["pastel", "botanical", "mono", "neon", "retro", "ink", "ocean", "forest"];
  const now = rt.clock.now().getTime();
  const drops: Array<{ dropId: string; productId: string; tags: string[]; opensAt: Date }> = [];
  for (let i = 0; i < options.offers; i++) {
    const tags = [tagPool[i % tagPool.length]!, tagPool[(i * 3 + 1) % tagPool.length]!];
    const product = await createProduct(rt, shop.creatorCtx, {
      title: `Print ${i}`,
      priceMinor: 1500 + 250 * (i % 7),
      currency: "EUR",
      capability: "screenprint",
      sku: `P-${process.pid}-${++skuCounter}`,
      tags,
      isPublished: true,
    });
    // Two of three open already (at different times), the rest upcoming.
    const opensAt = new Date(i % 3 === 2 ? now + (i + 1) * HOUR : now - (i + 1) * HOUR);
    const drop = await createDrop(rt, shop.creatorCtx, {
      productId: product.id,
      title: `Drop ${i}`,
      quantity: 20,
      period: PERIOD,
      opensAt,
      perMemberLimit: 5,
    });
    await setDropPublished(rt, shop.creatorCtx, drop.id, true);
    drops.push({ dropId: drop.id, productId: product.id, tags, opensAt });
  }
  const adminCtx = { userId: shop.admin.id, coopId: shop.coop.id, role: "coop_admin" as const };
  return { ...shop, drops, adminCtx };
}

/** A logistic model with weights from a seed (no training: the serving path only needs a valid model). */
export function seededModel(seed: number): LogisticModel {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32) * 2 - 1;
  };
  return { weights: Array.from({ length: FEATURE_COUNT }, () => next() * 3), bias: next() };
}

/** Registers and activates a model for the shop's co-op; returns its version and bytes. */
export async function activateSeededModel(
  rt: Runtime,
  shop: { coop: { id: string }; adminCtx: { userId: string; coopId: string; role: "coop_admin" } },
  seed: number,
) {
  const version = `test-${seed}-${Date.now().toString(36)}`;
  const model = seededModel(seed);
  const onnx = new Uint8Array(exportLogisticToOnnx(model, { version }));
  const registered = await registerModel(rt, { coopId: shop.coop.id, version, onnx, card: { seed } });
  await activateModel(rt, shop.adminCtx, { version });
  return { version, sha256: registered.sha256, model, onnx };
}
