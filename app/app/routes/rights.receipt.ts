import type { LoaderFunctionArgs } from "@remix-run/node";
import { findReceipt, receiptPdf, receiptText, verifyReceiptToken, type Receipt } from "@kiln/rights";
import { notFound } from "../errors.server";
import { translator } from "../i18n";

/**
 * /cancel/receipt/:token and /withdraw/receipt/:token: the declaration as received, with date and
 * time, to keep (DE-7, X-X4). The token's MAC is checked before the look-up, so ids are not
 * enumerable; `?format=pdf` (default) or `?format=text`.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const kind = new URL(request.url).pathname.startsWith("/withdraw/") ? "withdrawal" : "cancellation";
  const token = params.token ?? "";
  if (!verifyReceiptToken(context.cookieSecret, kind, token)) notFound();
  const row = await findReceipt(context.rt, kind, token);
  if (!row) notFound();
  const t = translator(row.locale === "de" ? "de" : "en");
  const receipt: Receipt = {
    title: t(kind === "withdrawal" ? "rights.receipt.title.withdrawal" : "rights.receipt.title.cancellation"),
    statement: row.statement,
    receivedAt: row.receivedAt,
    receivedLabel: t("rights.receipt.receivedLabel"),
  };
  const stamp = row.receivedAt.toISOString().replace(/[:.]/g, "-");
  const headers = { "Cache-Control": "private, no-store", "X-Robots-Tag": "noindex" };
  if (new URL(request.url).searchParams.get("format") === "text")
    return new Response(receiptText(receipt), {
      headers: {
        ...headers,
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Disposition": `attachment; filename="${kind}-${stamp}.txt"`,
      },
    });
  return new Response(Buffer.from(await receiptPdf(receipt)), {
    headers: {
      ...headers,
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="${kind}-${stamp}.pdf"`,
    },
  });
}
