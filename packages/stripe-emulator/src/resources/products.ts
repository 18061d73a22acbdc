import type Stripe from "stripe";
import { accepts, arg, PAGE, route, type ApiContext, type Route } from "../api";
import type { Emulator } from "../emulator";
import { invalidParam } from "../errors";
import { newId } from "../ids";
import { paginate } from "../list";
import type { Params } from "../params";
import type { Scope, StripeObject } from "../store";

export type EmulatedProduct = Pick<
  Stripe.Product,
  | "id"
  | "object"
  | "active"
  | "created"
  | "default_price"
  | "description"
  | "images"
  | "livemode"
  | "metadata"
  | "name"
  | "updated"
  | "url"
>;

export type EmulatedPrice = Pick<
  Stripe.Price,
  | "id"
  | "object"
  | "active"
  | "billing_scheme"
  | "created"
  | "currency"
  | "livemode"
  | "lookup_key"
  | "metadata"
  | "nickname"
  | "product"
  | "recurring"
  | "tax_behavior"
  | "type"
  | "unit_amount"
>;

export type StoredPrice = EmulatedPrice & StripeObject & { product: string };

export function createProduct(emu: Emulator, scope: Scope, params: Params): EmulatedProduct & StripeObject {
  const now = emu.now();
  const product: EmulatedProduct = {
    id: params.str("id") || newId("prod"),
    object: "product",
    active: params.bool("active") ?? true,
    created: now,
    default_price: null,
    description: params.str("description") ?? null,
    images: params.strArray("images") ?? [],
    livemode: false,
    metadata: params.metadata() ?? {},
    name: params.reqStr("name"),
    updated: now,
    url: params.str("url") ?? null,
  };
  const stored = emu.store.put(scope, product);
  emu.emit(scope, "product.created", stored);
  return stored;
}

function updateProduct(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const product = emu.find(scope, arg(ctx), "product") as EmulatedProduct & StripeObject;
  const previous: Record<string, unknown> = {};
  const set = <K extends keyof EmulatedProduct>(key: K, value: EmulatedProduct[K] | undefined) => {
    if (value === undefined) return;
    previous[key] = product[key];
    product[key] = value;
  };
  set("name", params.str("name"));
  set("description", params.has("description") ? params.str("description") || null : undefined);
  set("active", params.bool("active"));
  set("metadata", params.metadata(product.metadata));
  if (params.has("default_price")) set("default_price", params.str("default_price") || null);
  product.updated = emu.now();
  emu.store.put(scope, product);
  emu.emit(scope, "product.updated", product, previous);
  return product;
}

/** `recurring[interval]` one of day/week/month/year with `interval_count`. */
function readRecurring(params: Params): Stripe.Price.Recurring | null {
  const recurring = params.obj("recurring");
  if (!recurring) return null;
  const interval = recurring.enum("interval", ["day", "week", "month", "year"] as const);
  if (!interval) throw invalidParam("recurring[interval]", "Missing required param: recurring[interval].");
  return {
    interval,
    interval_count: recurring.int("interval_count", { min: 1, max: 36 }) ?? 1,
    meter: null,
    trial_period_days: null,
    usage_type: "licensed",
  };
}

/** Creates a price; `product_data` makes its product inline (as subscriptions' `price_data` does). */
export function createPrice(emu: Emulator, scope: Scope, params: Params): StoredPrice {
  let productId = params.str("product");
  const productData = params.obj("product_data");
  if (!productId && productData) productId = createProduct(emu, scope, productData).id;
  if (!productId) throw invalidParam("product", "Missing required param: product.");
  emu.find(scope, productId, "product", "product", "product");
  const unitAmount = params.int("unit_amount", { min: 0 });
  if (unitAmount === undefined) throw invalidParam("unit_amount", "Missing required param: unit_amount.");
  const currency = params.reqStr("currency").toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidParam("currency", `Invalid currency: ${currency}`);
  const recurring = readRecurring(params);
  const price: EmulatedPrice = {
    id: newId("price"),
    object: "price",
    active: params.bool("active") ?? true,
    billing_scheme: "per_unit",
    created: emu.now(),
    currency,
    livemode: false,
    lookup_key: params.str("lookup_key") ?? null,
    metadata: params.metadata() ?? {},
    nickname: params.str("nickname") ?? null,
    product: productId,
    recurring,
    tax_behavior: params.enum("tax_behavior", ["inclusive", "exclusive", "unspecified"] as const) ?? "unspecified",
    type: recurring ? "recurring" : "one_time",
    unit_amount: unitAmount,
  };
  const stored = emu.store.put(scope, price) as StoredPrice;
  emu.emit(scope, "price.created", stored);
  return stored;
}

export function getPrice(emu: Emulator, scope: Scope, id: string, param = "price"): StoredPrice {
  return emu.find(scope, id, "price", "price", param) as StoredPrice;
}

function updatePrice(ctx: ApiContext) {
  const { emu, scope, params } = ctx;
  const price = getPrice(emu, scope, arg(ctx), "id");
  const previous: Record<string, unknown> = {};
  const active = params.bool("active");
  if (active !== undefined) {
    previous.active = price.active;
    price.active = active;
  }
  const metadata = params.metadata(price.metadata);
  if (metadata) {
    previous.metadata = price.metadata;
    price.metadata = metadata;
  }
  if (params.has("nickname")) {
    previous.nickname = price.nickname;
    price.nickname = params.str("nickname") || null;
  }
  emu.store.put(scope, price);
  emu.emit(scope, "price.updated", price, previous);
  return price;
}

function listPrices(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "price");
  const product = ctx.params.str("product");
  const active = ctx.params.bool("active");
  const type = ctx.params.str("type");
  const lookupKeys = ctx.params.strArray("lookup_keys");
  if (product) items = items.filter((p) => p.product === product);
  if (active !== undefined) items = items.filter((p) => p.active === active);
  if (type) items = items.filter((p) => p.type === type);
  if (lookupKeys) items = items.filter((p) => lookupKeys.includes(String(p.lookup_key)));
  return paginate(items, ctx.params, "/v1/prices", "price");
}

function listProducts(ctx: ApiContext) {
  let items = ctx.emu.store.all(ctx.scope, "product");
  const active = ctx.params.bool("active");
  if (active !== undefined) items = items.filter((p) => p.active === active);
  return paginate(items, ctx.params, "/v1/products", "product");
}

export const productRoutes: Route[] = [
  route(
    "POST",
    "/v1/products",
    (ctx) => createProduct(ctx.emu, ctx.scope, ctx.params),
    accepts<Stripe.ProductCreateParams>("id", "name", "active", "description", "images", "metadata", "url"),
  ),
  route("GET", "/v1/products", listProducts, [...PAGE, ...accepts<Stripe.ProductListParams>("active")]),
  route("GET", "/v1/products/:id", (ctx) => ctx.emu.find(ctx.scope, arg(ctx), "product")),
  route(
    "POST",
    "/v1/products/:id",
    updateProduct,
    accepts<Stripe.ProductUpdateParams>("name", "description", "active", "metadata", "default_price"),
  ),
  route(
    "POST",
    "/v1/prices",
    (ctx) => createPrice(ctx.emu, ctx.scope, ctx.params),
    accepts<Stripe.PriceCreateParams>(
      "product",
      "product_data",
      "unit_amount",
      "currency",
      "recurring",
      "active",
      "lookup_key",
      "metadata",
      "nickname",
      "tax_behavior",
    ),
  ),
  route("GET", "/v1/prices", listPrices, [
    ...PAGE,
    ...accepts<Stripe.PriceListParams>("product", "active", "type", "lookup_keys"),
  ]),
  route("GET", "/v1/prices/:id", (ctx) => getPrice(ctx.emu, ctx.scope, arg(ctx), "id")),
  route("POST", "/v1/prices/:id", updatePrice, accepts<Stripe.PriceUpdateParams>("active", "metadata", "nickname")),
];
