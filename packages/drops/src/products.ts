import { and, eq } from "drizzle-orm";
import { appendAudit } from "@kiln/audit";
import { AppError } from "@kiln/core";
import { schema, withTenant, type Runtime, type TenantContext } from "@kiln/db";
import type { Product } from "./drops";
import { assertEdition } from "./lifetime";
import { ProductUpdateSchema, type ProductUpdateInput } from "./schemas";
import { parseInput, requireCreatorScope } from "./validate";

/**
 * Changes what may change on a creator's product: title, description, lifetime limit, co-op edition
 * and style tags (fields left out stay). Capability, price and SKU are fixed once made: drops and
 * orders were planned and priced on them. Claims keep the lifetime subjects they counted against, so
 * a changed limit or edition applies to claims from now on and released units go back where they
 * were taken. Another creator's product is NOT_FOUND (RLS and the creator filter).
 */
export async function updateProduct(
  rt: Runtime,
  ctx: TenantContext,
  productId: string,
  input: ProductUpdateInput,
): Promise<Product> {
  const scope = requireCreatorScope(ctx);
  const value = parseInput(ProductUpdateSchema, input);
  if (!/^[0-9a-f-]{36}$/i.test(productId)) throw new AppError("NOT_FOUND", "Product not found");
  return withTenant(rt, ctx, async (tx) => {
    if (value.editionId) await assertEdition(tx, scope.coopId, value.editionId);
    const changes = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
    const [row] = await tx
      .update(schema.products)
      .set({ ...changes, updatedAt: rt.clock.now() })
      .where(and(eq(schema.products.id, productId), eq(schema.products.creatorId, scope.creatorId)))
      .returning();
    if (!row) throw new AppError("NOT_FOUND", "Product not found");
    await appendAudit(tx, rt.clock.now(), {
      coopId: scope.coopId,
      actorUserId: scope.userId,
      action: "drops.product.updated",
      subjectType: "product",
      subjectId: row.id,
      data: { creatorId: scope.creatorId, fields: Object.keys(changes).sort() },
    });
    return row;
  });
}
