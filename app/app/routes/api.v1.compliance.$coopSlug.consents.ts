import { z } from "zod";
import { AppError } from "@kiln/core";
import { searchConsents } from "@kiln/compliance";
import { apiHandler, requireApiCaller } from "../api.server";
import { reviewerActorForApi } from "../review.server";

const QuerySchema = z.object({
  memberUserId: z.uuid().optional(),
  tierId: z.uuid().optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});

export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "compliance:read");
  const actor = await reviewerActorForApi(context, caller, params.coopSlug);
  const query = QuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!query.success)
    throw new AppError("BAD_INPUT", query.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const rows = await searchConsents(context.rt, actor, query.data);
  return Response.json({
    consents: rows.map(
      ({
        personalDataId: _p,
        personalDataErasedAt,
        auditSeq: _s,
        coopId: _c,
        creatorId: _cr,
        contractEndedAt: _e,
        trialEndsAt: _t,
        isExpressStartRequest: _x,
        ...c
      }) => ({
        ...c,
        consentedAt: c.consentedAt.toISOString(),
        retainUntil: c.retainUntil.toISOString(),
        personalDataErased: personalDataErasedAt !== null,
      }),
    ),
  });
});
