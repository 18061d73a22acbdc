import { exportEvidencePack } from "@kiln/rights";
import { apiHandler, requireApiCaller } from "../api.server";
import { EvidenceQuerySchema, parseApiQuery } from "../api/evidence-schemas";
import { reviewerActorForApi } from "../review.server";

/** The signed evidence pack as canonical JSON (reviewers of the co-op only; each export is audited). */
export const loader = apiHandler(async ({ request, params, context }) => {
  const caller = await requireApiCaller(request, context, "compliance:read");
  const actor = await reviewerActorForApi(context, caller, params.coopSlug);
  const { lang: _lang, ...scope } = parseApiQuery(request, EvidenceQuerySchema);
  const out = await exportEvidencePack(context.rt, actor, scope, {
    checkpointDir: context.config.checkpointDir,
    key: context.config.auditCheckpointKey,
    format: "json",
  });
  return new Response(out.body, {
    headers: {
      "Content-Type": out.contentType,
      "Content-Disposition": `attachment; filename="${out.filename}"`,
      "Cache-Control": "no-store",
    },
  });
});
