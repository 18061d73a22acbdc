import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { exportEvidencePack } from "@kiln/rights";
import { isAppErrorLike, notFound } from "../errors.server";
import { resolveLocale } from "../i18n.server";
import { requireReviewerOf } from "../review.server";

const QuerySchema = z.object({
  format: z.enum(["json", "pdf"]).default("pdf"),
  memberUserId: z.uuid().optional(),
  tierId: z.uuid().optional(),
  subscriptionId: z.uuid().optional(),
});

/** The download behind the evidence buttons: the signed pack as JSON or PDF (each export audited). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { actor, user } = await requireReviewerOf(context, request, params.coopSlug);
  const parsed = QuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw new Response("Name a member, a tier or a subscription", { status: 400 });
  const { format, ...scope } = parsed.data;
  try {
    const out = await exportEvidencePack(context.rt, actor, scope, {
      checkpointDir: context.config.checkpointDir,
      key: context.config.auditCheckpointKey,
      format,
      locale: resolveLocale(request, user),
    });
    return new Response(out.body, {
      headers: {
        "Content-Type": out.contentType,
        "Content-Disposition": `attachment; filename="${out.filename}"`,
        "Cache-Control": "no-store",
        "X-Kiln-Pack-Hash": out.pack.packHash,
      },
    });
  } catch (error) {
    if (isAppErrorLike(error) && error.code === "NOT_FOUND") notFound();
    if (isAppErrorLike(error) && error.code === "BAD_INPUT") throw new Response(error.message, { status: 400 });
    throw error;
  }
}
