import type { LoaderFunctionArgs } from "@remix-run/node";
import { buildOpenApiDocument } from "../api/openapi";

export function loader({ context }: LoaderFunctionArgs) {
  return Response.json(buildOpenApiDocument(context.config.appUrl));
}
