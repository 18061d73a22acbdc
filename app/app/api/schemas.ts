import type { SessionUser } from "@kiln/auth";
import { z } from "zod";
import { API_SCOPES, CreateApiTokenSchema } from "@kiln/auth/schemas";

/**
 * The JSON API's schemas: request bodies come from @kiln/auth (the same ones the forms use),
 * responses are described here. openapi.ts turns all of them into the OpenAPI document.
 */

export { CreateApiTokenSchema };

export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z
      .string()
      .meta({ description: "Machine-readable code, e.g. UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, BAD_INPUT" }),
    message: z.string().meta({ description: "What went wrong, for people" }),
    details: z.unknown().optional().meta({ description: "For BAD_INPUT: the messages per field" }),
  }),
});

export const UserSchema = z.object({
  id: z.uuid(),
  email: z.email(),
  displayName: z.string(),
  locale: z.enum(["en", "de"]).nullable(),
  country: z.string().nullable().meta({ description: "ISO 3166-1 alpha-2" }),
  usState: z.string().nullable(),
  emailVerifiedAt: z.iso.datetime().nullable(),
});

export const MeResponseSchema = z.object({ user: UserSchema });

export const ApiTokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().meta({ description: "The first characters of the token" }),
  scopes: z.array(z.enum(API_SCOPES)),
  expiresAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});

export const TokenListResponseSchema = z.object({ tokens: z.array(ApiTokenSchema) });

export const TokenCreatedResponseSchema = z.object({
  token: z.string().meta({ description: "The secret; shown only in this response" }),
  record: ApiTokenSchema,
});

export type ApiUser = z.infer<typeof UserSchema>;
export type ApiToken = z.infer<typeof ApiTokenSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toApiUser = (u: SessionUser): ApiUser => ({
  id: u.id,
  email: u.email,
  displayName: u.displayName,
  locale: u.locale === "en" || u.locale === "de" ? u.locale : null,
  country: u.country,
  usState: u.usState,
  emailVerifiedAt: iso(u.emailVerifiedAt),
});

export const toApiToken = (r: {
  id: string;
  name: string;
  prefix: string;
  scopes: (typeof API_SCOPES)[number][];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}): ApiToken => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  expiresAt: iso(r.expiresAt),
  lastUsedAt: iso(r.lastUsedAt),
  revokedAt: iso(r.revokedAt),
  createdAt: r.createdAt.toISOString(),
});
