import { markBatch, MarkBatchSchema } from "@kiln/capacity";
import { AppError } from "@kiln/core";
import { apiHandler, methodNotAllowed, parseJsonBody, UuidParam } from "../api.server";
import { requireApiFactoryOperator } from "../capacity.server";

/** The operator marks a batch: production started, then shipped. */
const MarkBodySchema = MarkBatchSchema.pick({ step: true });

export const loader = methodNotAllowed("POST");

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const ctx = await requireApiFactoryOperator(request, context, params.factoryId, "capacity:write");
  const allocationId = UuidParam.safeParse(params.allocationId);
  if (!allocationId.success) throw new AppError("NOT_FOUND", "Not found");
  const { step } = await parseJsonBody(request, MarkBodySchema);
  await markBatch(context.rt, ctx, { allocationId: allocationId.data, step });
  return new Response(null, { status: 204 });
});
