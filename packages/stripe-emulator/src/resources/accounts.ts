import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import type { Emulator } from "../emulator";
import { badState, invalidParam } from "../errors";
import { newId } from "../ids";
import { paginate } from "../list";
import { PLATFORM, type Scope, type StripeObject } from "../store";

export type EmulatedAccount = Pick<
  Stripe.Account,
  | "id"
  | "object"
  | "business_type"
  | "capabilities"
  | "charges_enabled"
  | "country"
  | "created"
  | "default_currency"
  | "details_submitted"
  | "email"
  | "metadata"
  | "payouts_enabled"
  | "requirements"
  | "type"
>;
export type StoredAccount = EmulatedAccount & StripeObject;

export type EmulatedAccountLink = Pick<Stripe.AccountLink, "object" | "created" | "expires_at" | "url">;

const CURRENCY: Record<string, string> = { US: "usd", GB: "gbp", CA: "cad", AU: "aud" };

function requirements(done: boolean): Stripe.Account.Requirements {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: done ? [] : ["business_profile.url", "external_account", "tos_acceptance.date"],
    disabled_reason: done ? null : "requirements.past_due",
    errors: [],
    eventually_due: done ? [] : ["business_profile.url", "external_account", "tos_acceptance.date"],
    past_due: done ? [] : ["external_account"],
    pending_verification: [],
  };
}

function create(ctx: ApiContext) {
  const { emu, params } = ctx;
  if (ctx.scope !== PLATFORM) throw badState("Connected accounts cannot create other accounts.");
  const type = params.enum("type", ["express", "standard", "custom"] as const) ?? "express";
  const country = (params.str("country") ?? "US").toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw invalidParam("country", `Invalid country: ${country}`);
  const capabilities: Stripe.Account.Capabilities = {};
  for (const name of Object.keys(params.obj("capabilities")?.raw ?? { card_payments: "", transfers: "" }))
    (capabilities as Record<string, string>)[name] = "inactive";
  const account: EmulatedAccount = {
    id: newId("acct"),
    object: "account",
    business_type:
      params.enum("business_type", ["company", "government_entity", "individual", "non_profit"] as const) ?? null,
    capabilities,
    charges_enabled: false,
    country,
    created: emu.now(),
    default_currency: CURRENCY[country] ?? "eur",
    details_submitted: false,
    email: params.str("email") ?? null,
    metadata: params.metadata() ?? {},
    payouts_enabled: false,
    requirements: requirements(false),
    type,
  };
  return emu.store.put(PLATFORM, account);
}

export function getAccount(emu: Emulator, id: string, param = "account"): StoredAccount {
  return emu.find(PLATFORM, id, "account", "account", param) as StoredAccount;
}

/** Onboarding finished (the hosted page's "Complete" button): charges and payouts enabled, `account.updated`. */
export function completeOnboarding(emu: Emulator, account: StoredAccount) {
  const previous = {
    charges_enabled: account.charges_enabled,
    payouts_enabled: account.payouts_enabled,
    details_submitted: account.details_submitted,
    capabilities: { ...account.capabilities },
    requirements: account.requirements,
  };
  account.charges_enabled = true;
  account.payouts_enabled = true;
  account.details_submitted = true;
  for (const name of Object.keys(account.capabilities ?? {}))
    (account.capabilities as Record<string, string>)[name] = "active";
  account.requirements = requirements(true);
  emu.store.put(PLATFORM, account);
  // A connected account's own event: carries `account` and goes to Connect endpoints.
  emu.emit(account.id as Scope, "account.updated", account, previous);
}

function update(ctx: ApiContext) {
  const { emu, params } = ctx;
  const account = getAccount(emu, arg(ctx), "id");
  const previous: Record<string, unknown> = {};
  const metadata = params.metadata(account.metadata ?? {});
  if (metadata) {
    previous.metadata = account.metadata;
    account.metadata = metadata;
  }
  if (params.has("email")) {
    previous.email = account.email;
    account.email = params.str("email") || null;
  }
  emu.store.put(PLATFORM, account);
  emu.emit(account.id as Scope, "account.updated", account, previous);
  return account;
}

function createLink(ctx: ApiContext) {
  const { emu, params } = ctx;
  const account = getAccount(emu, params.reqStr("account"));
  const refreshUrl = params.reqStr("refresh_url");
  const returnUrl = params.reqStr("return_url");
  params.enum("type", ["account_onboarding", "account_update"] as const);
  const id = newId("acctlink");
  const now = emu.now();
  emu.store.put(PLATFORM, {
    id,
    object: "emulator.account_link",
    account: account.id,
    refresh_url: refreshUrl,
    return_url: returnUrl,
    expires_at: now + 300,
  });
  const link: EmulatedAccountLink = {
    object: "account_link",
    created: now,
    expires_at: now + 300,
    url: `${emu.baseUrl}/hosted/connect/${id}`,
  };
  return link as unknown as StripeObject;
}

function remove(ctx: ApiContext) {
  const account = getAccount(ctx.emu, arg(ctx), "id");
  ctx.emu.store.delete(PLATFORM, account.id);
  const deleted: Stripe.DeletedAccount = { id: account.id, object: "account", deleted: true };
  return deleted as unknown as StripeObject;
}

export const accountRoutes: Route[] = [
  route(
    "POST",
    "/v1/accounts",
    create,
    accepts<Stripe.AccountCreateParams>("type", "country", "email", "capabilities", "business_type", "metadata"),
  ),
  route(
    "GET",
    "/v1/accounts",
    (ctx) => paginate(ctx.emu.store.all(PLATFORM, "account"), ctx.params, "/v1/accounts", "account"),
    PAGE,
  ),
  route("GET", "/v1/accounts/:id", (ctx) => getAccount(ctx.emu, arg(ctx), "id")),
  route("POST", "/v1/accounts/:id", update, accepts<Stripe.AccountUpdateParams>("metadata", "email")),
  route("DELETE", "/v1/accounts/:id", remove),
  route("GET", "/v1/account", (ctx) =>
    ctx.scope === PLATFORM
      ? {
          id: "acct_emulator_platform",
          object: "account",
          charges_enabled: true,
          payouts_enabled: true,
          type: "standard",
        }
      : getAccount(ctx.emu, ctx.scope),
  ),
  route(
    "POST",
    "/v1/account_links",
    createLink,
    accepts<Stripe.AccountLinkCreateParams>("account", "refresh_url", "return_url", "type"),
  ),
];
