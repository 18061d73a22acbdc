import { and, arrayContains, eq } from "drizzle-orm";
import { AppError } from "@kiln/core";
import { schema, type Tx } from "@kiln/db";
import { CapabilitySchema } from "./schemas";

/**
 * A product's capacity declaration (issue 7 §2): the capability that makes it and the capacity units one
 * item uses. Drops call this inside their own transaction when a product is created, so a product can
 * only name a capability some factory of the co-op has (active, paused or backup: the pool may change),
 * and only whole, positive units per item. BAD_INPUT with the field otherwise; nothing is written.
 */
export async function assertProductCapacity(
  tx: Tx,
  coopId: string,
  product: { capability: unknown; capacityUnitsPerItem: unknown },
): Promise<{ capability: string; capacityUnitsPerItem: number }> {
  const units = product.capacityUnitsPerItem;
  if (typeof units !== "number" || !Number.isInteger(units) || units < 1)
    throw new AppError("BAD_INPUT", "The capacity units per item are a whole number of at least 1", {
      fields: { capacityUnitsPerItem: ["The capacity units per item are a whole number of at least 1"] },
    });
  const parsed = CapabilitySchema.safeParse(product.capability);
  const capability = parsed.success ? parsed.data : null;
  const [factory] = capability
    ? await tx
        .select({ id: schema.factories.id })
        .from(schema.factories)
        .where(and(eq(schema.factories.coopId, coopId), arrayContains(schema.factories.capabilities, [capability])))
        .limit(1)
    : [];
  if (!capability || !factory)
    throw new AppError("BAD_INPUT", "No factory of the co-op has this capability", {
      fields: { capability: ["No factory of the co-op has this capability"] },
    });
  return { capability, capacityUnitsPerItem: units };
}
