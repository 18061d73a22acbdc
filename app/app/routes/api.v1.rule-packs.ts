import { loadRulePacks } from "@kiln/compliance";
import { apiHandler, requireApiCaller } from "../api.server";

export const loader = apiHandler(async ({ request, context }) => {
  await requireApiCaller(request, context, "compliance:read");
  const packs = [...loadRulePacks().values()].map((p) => ({
    jurisdiction: p.jurisdiction,
    name: p.name,
    version: p.version,
    extends: p.extends ?? [],
    rules: p.rules.map((r) => ({
      id: r.id,
      title: r.title,
      citation: r.citation,
      effectiveFrom: r.effectiveFrom,
      effectiveUntil: r.effectiveUntil,
      severity: r.severity,
      kind: r.check.kind,
    })),
  }));
  return Response.json({ packs });
});
