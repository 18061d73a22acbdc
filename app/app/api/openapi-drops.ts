import type { z } from "zod";
import { EditionSchema } from "@kiln/drops/schemas";
import { ClaimEnvelope, ClaimRequestSchema, DropEnvelope, EditionEnvelope, EditionListEnvelope } from "./drops-schemas";

/**
 * Drops and claims (issue 8 §7) in the OpenAPI document: a drop with its gate, the oversell-proof claim
 * with an Idempotency-Key, the member's claim, and letting go of it.
 */
export const dropsComponents: Array<[z.ZodType, string]> = [
  [DropEnvelope, "DropEnvelope"],
  [ClaimEnvelope, "ClaimEnvelope"],
  [ClaimRequestSchema, "ClaimRequest"],
  [EditionSchema, "EditionInput"],
  [EditionEnvelope, "EditionEnvelope"],
  [EditionListEnvelope, "EditionList"],
];

interface Helpers {
  json: (id: string, description: string) => unknown;
  ref: (id: string) => unknown;
  errors: (...statuses: number[]) => Record<string, unknown>;
  secured: (scope: string) => unknown[];
}

export function dropsPaths({ json, ref, errors, secured }: Helpers) {
  const id = (what: string) => ({
    name: "id",
    in: "path",
    required: true,
    description: `The ${what}'s id`,
    schema: { type: "string", format: "uuid" },
  });
  const error = (description: string) => json("Error", description);
  const coop = { name: "coopSlug", in: "path", required: true, schema: { type: "string" } };
  return {
    "/coops/{coopSlug}/editions": {
      get: {
        operationId: "listEditions",
        summary: "The co-op's editions (collabs across creators) with their per-member lifetime limits (co-op admins)",
        security: secured("drops:read"),
        parameters: [coop],
        responses: { "200": json("EditionList", "The editions"), ...errors(401, 403, 404) },
      },
      post: {
        operationId: "createEdition",
        summary:
          "Create an edition; the co-op's creators attach products to it (editionId) to share its lifetime limit",
        security: secured("drops:write"),
        parameters: [coop],
        requestBody: { required: true, content: { "application/json": { schema: ref("EditionInput") } } },
        responses: { "201": json("EditionEnvelope", "The edition"), ...errors(400, 401, 403, 404) },
      },
    },
    "/drops/{id}": {
      get: {
        operationId: "getDrop",
        summary: "A published drop: product and prices, window, limits, units left, and the gate for the caller",
        security: secured("drops:read"),
        parameters: [id("drop")],
        responses: { "200": json("DropEnvelope", "The drop"), ...errors(401, 403, 404) },
      },
    },
    "/drops/{id}/queue": {
      get: {
        operationId: "pollDropQueue",
        summary: "A hot drop's waiting room: enter (idempotent) and get your place",
        description:
          "Members present before opening are placed in random order when the drop opens (a shuffle keyed by a " +
          "secret seed drawn then), later ones first come, first served. `state`: `waiting` (`position` null until " +
          "opening, `etaSeconds`), `admitted` (`token`: a single-use admission token for POST /drops/{id}/claims, " +
          "bound to you and this drop; a new poll replaces an unused one), `claimed`, or `sold_out` (answered from " +
          "memory). Poll again after `pollAfterSeconds`. Rate limited per member and per client address (429 with " +
          "Retry-After). The waiting page itself is static: /s/{creatorSlug}/drops/{id}/queue.",
        security: secured("drops:read"),
        parameters: [id("drop")],
        responses: {
          "200": {
            description: "Your place",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["queue"],
                  properties: {
                    queue: {
                      type: "object",
                      required: ["state", "pollAfterSeconds"],
                      properties: {
                        state: { type: "string", enum: ["waiting", "admitted", "claimed", "sold_out"] },
                        position: { type: ["integer", "null"] },
                        etaSeconds: { type: "integer" },
                        token: { type: "string" },
                        claimId: { type: ["string", "null"], format: "uuid" },
                        pollAfterSeconds: { type: "integer" },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errors(401, 404),
          "409": error("CONFLICT: the drop is not hot (claim it directly) or has closed"),
          "429": {
            description: "RATE_LIMITED: too many polls from this member or address",
            headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } },
            content: { "application/json": { schema: ref("Error") } },
          },
        },
      },
    },
    "/drops/{id}/claims": {
      post: {
        operationId: "claimDrop",
        summary: "Claim units of a drop: a reserved claim held for the drop's hold minutes",
        description:
          "Pay on Kiln's order page before `expiresAt`, or the units go back. Send an `Idempotency-Key`: a retry " +
          "with the same key returns the same claim (again 201, nothing new is written); the same key with a " +
          "different drop or quantity is 409 CONFLICT. The body is optional (one unit). Bad input is 400 before " +
          "anything is counted or written. Claims are rate limited per member and per client address (429 with " +
          "Retry-After). A hot drop needs the admission token from its waiting room — API tokens cannot skip the queue.",
        security: secured("drops:write"),
        parameters: [
          id("drop"),
          {
            name: "Idempotency-Key",
            in: "header",
            required: true,
            description: "8–255 printable ASCII characters, unique per intended claim (e.g. a UUID)",
            schema: { type: "string", minLength: 8, maxLength: 255 },
          },
        ],
        requestBody: { required: false, content: { "application/json": { schema: ref("ClaimRequest") } } },
        responses: {
          "201": {
            description: "The claim (new, or the same claim for a repeated Idempotency-Key)",
            headers: { Location: { description: "/api/v1/claims/{claimId}", schema: { type: "string" } } },
            content: { "application/json": { schema: ref("ClaimEnvelope") } },
          },
          ...errors(400, 401, 404),
          "403": error(
            "NOT_ENTITLED: no active, trialing or in-grace subscription of a tier that may claim (see the drop's " +
              "gate.tiers to subscribe); FORBIDDEN: the token lacks drops:write",
          ),
          "409": error(
            "SOLD_OUT: no units left (join the waitlist on the drop page); NOT_OPEN: before opening (or early access " +
              "for the caller's tier) or after closing; LIMIT_EXCEEDED: the per-member limit of the drop, or a " +
              "lifetime limit of the product or its edition, would be passed; CONFLICT: the Idempotency-Key was " +
              "used for another claim",
          ),
          "429": {
            description: "RATE_LIMITED: too many claims from this member or address",
            headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } },
            content: { "application/json": { schema: ref("Error") } },
          },
        },
      },
    },
    "/claims/{id}": {
      get: {
        operationId: "getClaim",
        summary: "One of the caller's claims, with its hold (another member's claim is 404)",
        security: secured("drops:read"),
        parameters: [id("claim")],
        responses: { "200": json("ClaimEnvelope", "The claim"), ...errors(401, 403, 404) },
      },
      delete: {
        operationId: "releaseClaim",
        summary: "Let go of a reserved claim: its units go back at once (releasing twice returns the same claim)",
        security: secured("drops:write"),
        parameters: [id("claim")],
        responses: {
          "200": json("ClaimEnvelope", "The cancelled claim"),
          ...errors(401, 403, 404),
          "409": error("CONFLICT: the claim is confirmed (paid) or its hold already expired"),
        },
      },
    },
  };
}
