import { lockAllocationRun, MethodSchema } from "@kiln/capacity";
import { z } from "zod";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { requireApiCoopAdmin } from "../capacity.server";

const LockBodySchema = z.object({ method: MethodSchema });

export const loader = methodNotAllowed("POST");

export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("POST")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "capacity:write");
  const { method } = await parseJsonBody(request, LockBodySchema);
  const { emailsQueued } = await lockAllocationRun(
    context.rt,
    ctx,
    { runId: params.runId ?? "", method },
    { appUrl: context.config.appUrl },
  );
  if (emailsQueued > 0) context.notifyOutbox();
  return new Response(null, { status: 204 });
});
