import { listReviewQueue } from "@kiln/compliance";
import { apiHandler, requireApiCaller } from "../api.server";
import { reviewerActorForApi } from "../review.server";

export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "compliance:read");
  const actor = await reviewerActorForApi(context, caller, params.coopSlug);
  const queue = await listReviewQueue(context.rt, actor);
  return Response.json({ queue: queue.map((q) => ({ ...q, submittedAt: q.submittedAt?.toISOString() ?? null })) });
});
