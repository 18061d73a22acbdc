import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import { newId } from "../ids";
import { filterCreated, paginate } from "../list";
import type { Scope, StripeObject } from "../store";
import type { Emulator } from "../emulator";

/** The customer fields the emulator keeps, checked against the SDK's type. */
export type EmulatedCustomer = Pick<
  Stripe.Customer,
  | "id"
  | "object"
  | "address"
  | "balance"
  | "created"
  | "currency"
  | "default_source"
  | "delinquent"
  | "description"
  | "email"
  | "invoice_prefix"
  | "invoice_settings"
  | "livemode"
  | "metadata"
  | "name"
  | "phone"
  | "preferred_locales"
  | "shipping"
  | "tax_exempt"
  | "test_clock"
>;

export function getCustomer(
  emu: Emulator,
  scope: Scope,
  id: string,
  param = "customer",
): EmulatedCustomer & StripeObject {
  return emu.find(scope, id, "customer", "customer", param) as EmulatedCustomer & StripeObject;
}

function defaultPaymentMethodParam(ctx: ApiContext): string | null | undefined {
  const settings = ctx.params.obj("invoice_settings");
  if (!settings?.has("default_payment_method")) return undefined;
  const pm = settings.str("default_payment_method");
  if (!pm) return null;
  ctx.emu.find(ctx.scope, pm, "payment_method", "PaymentMethod", "invoice_settings[default_payment_method]");
  return pm;
}

/** `address[…]` (Stripe Tax locates the customer by it); "" clears it. */
function addressParam(ctx: ApiContext): Stripe.Address | null | undefined {
  if (!ctx.params.has("address")) return undefined;
  const a = ctx.params.obj("address");
  if (!a) return null;
  const field = (k: string) => a.str(k) || null;
  return {
    city: field("city"),
    country: field("country")?.toUpperCase() ?? null,
    line1: field("line1"),
    line2: field("line2"),
    postal_code: field("postal_code"),
    state: field("state"),
  };
}

function create(ctx: ApiContext) {
  const { params, emu, scope } = ctx;
  const customer: EmulatedCustomer = {
    id: newId("cus"),
    object: "customer",
    address: addressParam(ctx) ?? null,
    balance: 0,
    created: emu.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: params.str("description") ?? null,
    email: params.str("email") ?? null,
    invoice_prefix: newId("x").slice(2, 10).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: defaultPaymentMethodParam(ctx) ?? null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: params.metadata() ?? {},
    name: params.str("name") ?? null,
    phone: params.str("phone") ?? null,
    preferred_locales: params.strArray("preferred_locales") ?? [],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  };
  const stored = emu.store.put(scope, customer);
  emu.emit(scope, "customer.created", stored);
  return stored;
}

/** Updates fields and emits `customer.updated` with Stripe's `previous_attributes`. */
export function updateCustomer(
  emu: Emulator,
  scope: Scope,
  customer: EmulatedCustomer & StripeObject,
  changes: Partial<EmulatedCustomer>,
) {
  const previous: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(changes)) {
    const before = (customer as StripeObject)[k];
    if (JSON.stringify(before) !== JSON.stringify(v)) previous[k] = before;
  }
  Object.assign(customer, changes);
  emu.store.put(scope, customer);
  if (Object.keys(previous).length) emu.emit(scope, "customer.updated", customer, previous);
  return customer;
}

function update(ctx: ApiContext) {
  const { params, emu, scope } = ctx;
  const customer = getCustomer(emu, scope, arg(ctx), "id");
  const changes: Partial<EmulatedCustomer> = {};
  for (const key of ["email", "name", "description", "phone"] as const) {
    if (params.has(key)) changes[key] = params.str(key) || null;
  }
  const metadata = params.metadata(customer.metadata);
  if (metadata) changes.metadata = metadata;
  const address = addressParam(ctx);
  if (address !== undefined) changes.address = address;
  const pm = defaultPaymentMethodParam(ctx);
  if (pm !== undefined) changes.invoice_settings = { ...customer.invoice_settings, default_payment_method: pm };
  return updateCustomer(emu, scope, customer, changes);
}

function remove(ctx: ApiContext) {
  const { emu, scope } = ctx;
  const customer = getCustomer(emu, scope, arg(ctx), "id");
  emu.store.delete(scope, customer.id);
  emu.emit(scope, "customer.deleted", customer);
  const deleted: Stripe.DeletedCustomer = { id: customer.id, object: "customer", deleted: true };
  return deleted as unknown as StripeObject;
}

function list(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "customer");
  const email = ctx.params.str("email");
  if (email) items = items.filter((c) => c.email === email);
  return paginate(filterCreated(items, ctx.params), ctx.params, "/v1/customers", "customer");
}

export const customerRoutes: Route[] = [
  route(
    "POST",
    "/v1/customers",
    create,
    accepts<Stripe.CustomerCreateParams>(
      "address",
      "description",
      "email",
      "invoice_settings",
      "metadata",
      "name",
      "phone",
      "preferred_locales",
    ),
  ),
  route("GET", "/v1/customers", list, [...PAGE, ...accepts<Stripe.CustomerListParams>("created", "email")]),
  route("GET", "/v1/customers/:id", (ctx) => getCustomer(ctx.emu, ctx.scope, arg(ctx), "id")),
  route(
    "POST",
    "/v1/customers/:id",
    update,
    accepts<Stripe.CustomerUpdateParams>(
      "address",
      "description",
      "email",
      "invoice_settings",
      "metadata",
      "name",
      "phone",
    ),
  ),
  route("DELETE", "/v1/customers/:id", remove),
];
