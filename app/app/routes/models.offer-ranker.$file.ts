import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { getModelFile } from "@kiln/personalization";

/** `<version>.onnx`, as registry versions are spelled (letters, digits and . _ : -). */
const FileSchema = z.string().regex(/^([A-Za-z0-9._:-]{1,100})\.onnx$/);
const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

const notFound = () =>
  new Response("No such model", {
    status: 404,
    headers: { "Content-Type": "text/plain", "Cache-Control": "no-store" },
  });

/**
 * GET /models/offer-ranker/<version>.onnx[?sha256=…]: a co-op's offer-ranker model for the on-device
 * scorer (issue 9 §5), from the registry. A version's bytes never change, so the file is cached for a
 * year as immutable with its SHA-256 as the ETag; unknown versions (and candidates never activated) 404.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const file = FileSchema.safeParse(params.file);
  if (!file.success) return notFound();
  const version = file.data.slice(0, -".onnx".length);
  const shaParam = new URL(request.url).searchParams.get("sha256");
  const sha256 = shaParam === null ? null : Sha256Schema.safeParse(shaParam);
  if (sha256 && !sha256.success) return notFound();
  const model = await getModelFile(context.rt, version, sha256?.data ?? null);
  if (!model) return notFound();
  const headers = new Headers({
    "Content-Type": "application/octet-stream",
    "Cache-Control": "public, max-age=31536000, immutable",
    ETag: `"${model.sha256}"`,
    "X-Content-Type-Options": "nosniff",
  });
  if (
    request.headers
      .get("If-None-Match")
      ?.split(/\s*,\s*/)
      .includes(`"${model.sha256}"`)
  ) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("Content-Length", String(model.bytes.byteLength));
  return new Response(new Uint8Array(model.bytes), { status: 200, headers });
}
