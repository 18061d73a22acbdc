import { createEdition, EditionSchema, listEditions } from "@kiln/drops";
import { apiHandler, methodNotAllowed, parseJsonBody } from "../api.server";
import { toApiEdition } from "../api/drops-schemas";
import { requireApiCoopAdmin } from "../capacity.server";

/** The co-op's editions (collabs shared by several creators' products), with their lifetime limits. */
export const loader = apiHandler(async ({ request, params, context }) => {
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "drops:read");
  return Response.json({ editions: (await listEditions(context.rt, ctx)).map(toApiEdition) });
});

/** A co-op admin creates an edition; creators of the co-op attach products to it (editionId). */
export const action = apiHandler(async ({ request, params, context }) => {
  if (request.method !== "POST") return methodNotAllowed("GET, POST")();
  const ctx = await requireApiCoopAdmin(request, context, params.coopSlug, "drops:write");
  const edition = await createEdition(context.rt, ctx, await parseJsonBody(request, EditionSchema));
  return Response.json({ edition: toApiEdition(edition) }, { status: 201 });
});
