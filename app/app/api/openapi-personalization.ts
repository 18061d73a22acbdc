import { z } from "zod";
import { ProductViewSchema, ServedArmReportSchema } from "@kiln/personalization";

/**
 * Personalised offers (issue 9 §1, §7) in the OpenAPI document: the consented page-view beacon and the
 * storefront's served-arm beacon.
 */
export const ServedArmEnvelope = z.object({
  exposure: z.object({ id: z.uuid(), servedArm: z.enum(["device", "server", "holdout"]) }),
});

export const ViewRecordedEnvelope = z.object({ view: z.object({ id: z.uuid() }) });

export const personalizationComponents: Array<[z.ZodType, string]> = [
  [ProductViewSchema, "ProductView"],
  [ViewRecordedEnvelope, "ViewRecordedEnvelope"],
  [ServedArmReportSchema, "ServedArmReport"],
  [ServedArmEnvelope, "ServedArmEnvelope"],
];

interface Helpers {
  json: (id: string, description: string) => unknown;
  ref: (id: string) => unknown;
  errors: (...statuses: number[]) => Record<string, unknown>;
  secured: (scope: string) => unknown[];
}

export function personalizationPaths({ json, ref, errors, secured }: Helpers) {
  const error = (description: string) => ({ description, content: { "application/json": { schema: ref("Error") } } });
  return {
    "/personalization/views": {
      post: {
        operationId: "recordProductView",
        summary:
          "Report one product page view (product id and dwell time, nothing else) the signed-in member agreed to " +
          "share. Stored only under a standing consent for the product's creator (account → privacy). JSON only. " +
          "Rate limited per member (30 a minute) and per client address (600 a minute).",
        security: secured("drops:write"),
        requestBody: { required: true, content: { "application/json": { schema: ref("ProductView") } } },
        responses: {
          "201": json("ViewRecordedEnvelope", "The view was stored"),
          ...errors(400, 401),
          "403": error(
            "FORBIDDEN: no standing consent to share page views for this creator, or the token lacks the scope",
          ),
          "404": error("NOT_FOUND: no published product with this id"),
          "429": {
            description: "RATE_LIMITED: too many views from this member or address; nothing was stored",
            headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } },
            content: { "application/json": { schema: ref("Error") } },
          },
        },
      },
    },
    "/personalization/exposures/{id}": {
      post: {
        operationId: "reportServedArm",
        summary:
          "Report which arm served an offer list you were shown: ranked on this device, or the server's order kept " +
          "(with why). The assigned arm never changes; a holdout list stays holdout. Another member's exposure is 404.",
        security: secured("drops:write"),
        parameters: [
          {
            name: "id",
            in: "path",
            required: true,
            description: "The exposure id from the storefront's offers",
            schema: { type: "string", format: "uuid" },
          },
        ],
        requestBody: { required: true, content: { "application/json": { schema: ref("ServedArmReport") } } },
        responses: { "200": json("ServedArmEnvelope", "The exposure's served arm"), ...errors(400, 401, 403, 404) },
      },
    },
  };
}
