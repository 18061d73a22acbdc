import type { LoaderFunctionArgs } from "@remix-run/node";
import { exportFactoryWorkCsv } from "@kiln/capacity";
import { requireFactoryOperator } from "../capacity.server";

/** The operator's locked batches as a CSV download. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { ctx, membership } = await requireFactoryOperator(context, request, params.factoryId);
  const csv = await exportFactoryWorkCsv(context.rt, ctx);
  const name = (membership.factory?.name ?? "factory").replace(/[^\w-]+/g, "-").toLowerCase();
  return new Response(csv, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${name}-work.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
