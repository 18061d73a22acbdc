import { z } from "zod";
import { ServedArmReportSchema } from "@kiln/personalization";

/** Personalised offers (issue 9 §7) in the OpenAPI document: the storefront's served-arm beacon. */
export const ServedArmEnvelope = z.object({
  exposure: z.object({ id: z.uuid(), servedArm: z.enum(["device", "server", "holdout"]) }),
});

export const personalizationComponents: Array<[z.ZodType, string]> = [
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
  return {
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
