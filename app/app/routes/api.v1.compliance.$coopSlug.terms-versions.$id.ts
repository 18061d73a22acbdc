import { getTermsVersion } from "@kiln/compliance";
import { apiHandler, requireApiCaller } from "../api.server";
import { toTermsVersion } from "../api/compliance-schemas";
import { reviewerActorForApi } from "../review.server";

export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "compliance:read");
  const actor = await reviewerActorForApi(context, caller, params.coopSlug);
  const { version, findings, reviews } = await getTermsVersion(context.rt, actor, params.id ?? "");
  return Response.json({
    version: toTermsVersion(version),
    findings,
    reviews: reviews.map((r) => ({
      reviewerId: r.reviewerId,
      decision: r.decision,
      round: r.round,
      comment: r.comment,
      createdAt: r.createdAt.toISOString(),
    })),
  });
});
