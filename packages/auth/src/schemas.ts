import { z } from "zod";

/**
 * Form and API schemas for accounts, roles and tokens. Browser-safe: zod only, no server imports
 * (also exported as "@kiln/auth/schemas"). Messages are written for the person filling in the form.
 */

export const ROLE_NAMES = [
  "coop_admin",
  "compliance_reviewer",
  "creator_owner",
  "creator_staff",
  "factory_operator",
] as const;
export type RoleNameInput = (typeof ROLE_NAMES)[number];

/** Roles scoped to the whole co-op, to one creator, or to one factory. */
export const COOP_ROLES = ["coop_admin", "compliance_reviewer"] as const satisfies readonly RoleNameInput[];
export const CREATOR_ROLES = ["creator_owner", "creator_staff"] as const satisfies readonly RoleNameInput[];
export const FACTORY_ROLES = ["factory_operator"] as const satisfies readonly RoleNameInput[];

export const API_SCOPES = [
  "me:read",
  "tokens:read",
  "tokens:write",
  "compliance:read",
  "compliance:write",
  "capacity:read",
  "capacity:write",
  "drops:read",
  "drops:write",
  "billing:read",
  "billing:write",
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const LOCALES = ["en", "de"] as const;
export type Locale = (typeof LOCALES)[number];

/** Trimmed and lower-cased, as users.email stores it. */
export const EmailSchema = z
  .string({ error: "Enter your email address" })
  .trim()
  .toLowerCase()
  .pipe(
    z
      .email({ error: "Enter a valid email address, like name@example.com" })
      .max(254, "An email address can be at most 254 characters long"),
  );

export const PasswordSchema = z
  .string({ error: "Enter a password" })
  .min(10, "Use at least 10 characters for your password")
  .max(200, "Use at most 200 characters for your password");

/** For signing in and confirming the current password: any non-empty value (older rules may differ). */
const ExistingPasswordSchema = z
  .string({ error: "Enter your password" })
  .min(1, "Enter your password")
  .max(200, "Use at most 200 characters for your password");

export const DisplayNameSchema = z
  .string({ error: "Enter your name" })
  .trim()
  .min(1, "Enter your name")
  .max(80, "Use at most 80 characters for your name");

export const LocaleSchema = z.enum(LOCALES, { error: "Choose English or German" });

/** ISO 3166-1 alpha-2, stored upper-case. */
export const CountrySchema = z
  .string({ error: "Choose a country" })
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, "Choose a country (two-letter ISO code, e.g. DE)");

/** USPS codes of the states, DC and the inhabited territories. */
export const US_STATES = [
  "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
  "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
  "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "AS", "GU", "MP",
  "PR", "VI",
] as const; // prettier-ignore

export const UsStateSchema = z
  .string({ error: "Choose a state" })
  .trim()
  .toUpperCase()
  .refine((v) => (US_STATES as readonly string[]).includes(v), "Choose a US state (two-letter code, e.g. CA)");

export const SignUpSchema = z.object({
  displayName: DisplayNameSchema,
  email: EmailSchema,
  password: PasswordSchema,
  /** Language of the verification email and the UI; the app fills it from the browser when unset. */
  locale: LocaleSchema.optional(),
});
export type SignUp = z.infer<typeof SignUpSchema>;

export const SignInSchema = z.object({
  email: EmailSchema,
  password: ExistingPasswordSchema,
});
export type SignIn = z.infer<typeof SignInSchema>;

export const ChangePasswordSchema = z
  .object({
    currentPassword: ExistingPasswordSchema,
    newPassword: PasswordSchema,
  })
  .refine((v) => v.currentPassword !== v.newPassword, {
    path: ["newPassword"],
    message: "Choose a new password that differs from your current one",
  });
export type ChangePassword = z.infer<typeof ChangePasswordSchema>;

export const RequestResetSchema = z.object({ email: EmailSchema });
export type RequestReset = z.infer<typeof RequestResetSchema>;

export const ResetPasswordSchema = z.object({
  token: z.string({ error: "This link is incomplete" }).trim().min(1, "This link is incomplete").max(200),
  newPassword: PasswordSchema,
});
export type ResetPassword = z.infer<typeof ResetPasswordSchema>;

export const ProfileSchema = z
  .object({
    displayName: DisplayNameSchema,
    /** Unset: follow the browser. */
    locale: LocaleSchema.optional(),
    country: CountrySchema.optional(),
    usState: UsStateSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.usState !== undefined && v.country !== "US") {
      ctx.addIssue({ code: "custom", path: ["usState"], message: "A state applies only when the country is US" });
    }
  });
export type Profile = z.infer<typeof ProfileSchema>;

const IdSchema = (what: string) => z.uuid({ error: `Choose a ${what}` });

export const InvitationSchema = z
  .object({
    email: EmailSchema,
    role: z.enum(ROLE_NAMES, { error: "Choose a role" }),
    creatorId: IdSchema("creator").optional(),
    factoryId: IdSchema("factory").optional(),
  })
  .superRefine((v, ctx) => {
    const creatorRole = (CREATOR_ROLES as readonly string[]).includes(v.role);
    const factoryRole = (FACTORY_ROLES as readonly string[]).includes(v.role);
    if (creatorRole && !v.creatorId) {
      ctx.addIssue({ code: "custom", path: ["creatorId"], message: "Choose the creator this role is for" });
    }
    if (!creatorRole && v.creatorId) {
      ctx.addIssue({ code: "custom", path: ["creatorId"], message: "This role is not tied to a creator" });
    }
    if (factoryRole && !v.factoryId) {
      ctx.addIssue({ code: "custom", path: ["factoryId"], message: "Choose the factory this role is for" });
    }
    if (!factoryRole && v.factoryId) {
      ctx.addIssue({ code: "custom", path: ["factoryId"], message: "This role is not tied to a factory" });
    }
  });
export type Invitation = z.infer<typeof InvitationSchema>;

export const CreateApiTokenSchema = z.object({
  name: z
    .string({ error: "Name the token" })
    .trim()
    .min(1, "Name the token, e.g. after the script that uses it")
    .max(80, "Use at most 80 characters for the name"),
  scopes: z
    .array(z.enum(API_SCOPES, { error: "Unknown scope" }), { error: "Choose at least one scope" })
    .min(1, "Choose at least one scope")
    .transform((scopes) => [...new Set(scopes)]),
  expiresInDays: z
    .int({ error: "Enter a whole number of days" })
    .min(1, "A token must be valid for at least 1 day")
    .max(365, "A token can be valid for at most 365 days")
    .optional(),
});
export type CreateApiToken = z.infer<typeof CreateApiTokenSchema>;
