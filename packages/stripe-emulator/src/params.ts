import { invalidParam, invalidRequest, missingParam } from "./errors";
import type { FormObject, FormValue } from "./form";

/**
 * Typed reads of form parameters with Stripe's error messages: a missing required parameter is
 * `parameter_missing`, a value of the wrong type is `parameter_invalid` naming the parameter.
 */
export class Params {
  constructor(
    readonly raw: FormObject,
    private readonly prefix = "",
  ) {}

  private name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  /** `key=` (empty string): Stripe's way to unset a field. */
  isEmpty(key: string): boolean {
    return this.raw[key] === "";
  }

  str(key: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string")
      throw invalidParam(this.name(key), `Invalid string: ${this.name(key)} must be a string.`);
    return v;
  }

  reqStr(key: string): string {
    const v = this.str(key);
    if (v === undefined || v === "") throw missingParam(this.name(key));
    return v;
  }

  int(key: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.str(key);
    if (v === undefined || v === "") return undefined;
    if (!/^-?\d+$/.test(v)) throw invalidParam(this.name(key), `Invalid integer: ${v}`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw invalidParam(this.name(key), `Invalid integer: ${v}`);
    if (opts.min !== undefined && n < opts.min)
      throw invalidParam(this.name(key), `This value must be greater than or equal to ${opts.min}.`);
    if (opts.max !== undefined && n > opts.max)
      throw invalidParam(this.name(key), `This value must be less than or equal to ${opts.max}.`);
    return n;
  }

  reqInt(key: string, opts: { min?: number; max?: number } = {}): number {
    const v = this.int(key, opts);
    if (v === undefined) throw missingParam(this.name(key));
    return v;
  }

  num(key: string): number | undefined {
    const v = this.str(key);
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    if (!/^-?\d+(\.\d+)?$/.test(v) || !Number.isFinite(n)) throw invalidParam(this.name(key), `Invalid decimal: ${v}`);
    return n;
  }

  bool(key: string): boolean | undefined {
    const v = this.str(key);
    if (v === undefined || v === "") return undefined;
    if (v !== "true" && v !== "false") throw invalidParam(this.name(key), `Invalid boolean: ${v}`);
    return v === "true";
  }

  enum<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.str(key);
    if (v === undefined || v === "") return undefined;
    if (!(values as readonly string[]).includes(v))
      throw invalidParam(this.name(key), `Invalid ${this.name(key)}: must be one of ${values.join(", ")}`);
    return v as T;
  }

  obj(key: string): Params | undefined {
    const v = this.raw[key];
    if (v === undefined || v === "") return undefined;
    if (typeof v !== "object" || Array.isArray(v))
      throw invalidParam(this.name(key), `Invalid object: ${this.name(key)} must be a hash.`);
    return new Params(v, this.name(key));
  }

  reqObj(key: string): Params {
    const v = this.obj(key);
    if (!v) throw missingParam(this.name(key));
    return v;
  }

  /** Arrays of objects (`items[0][price]=…`). */
  objArray(key: string): Params[] | undefined {
    const v = this.raw[key];
    if (v === undefined || v === "") return undefined;
    const list: FormValue[] = Array.isArray(v) ? v : typeof v === "object" ? Object.values(v) : [];
    if (!Array.isArray(v) && typeof v !== "object")
      throw invalidParam(this.name(key), `Invalid array: ${this.name(key)}`);
    return list.map((item, i) => {
      if (typeof item !== "object" || Array.isArray(item))
        throw invalidParam(`${this.name(key)}[${i}]`, `Invalid object: ${this.name(key)}[${i}] must be a hash.`);
      return new Params(item, `${this.name(key)}[${i}]`);
    });
  }

  /** Arrays of strings (`expand[]=…`, `payment_method_types[0]=card`). */
  strArray(key: string): string[] | undefined {
    const v = this.raw[key];
    if (v === undefined || v === "") return undefined;
    const list: FormValue[] = Array.isArray(v) ? v : typeof v === "object" ? Object.values(v) : [v];
    return list.map((item, i) => {
      if (typeof item !== "string")
        throw invalidParam(`${this.name(key)}[${i}]`, `Invalid string in ${this.name(key)}`);
      return item;
    });
  }

  /** Metadata: string values up to Stripe's limits; `metadata[key]=` deletes a key on update. */
  metadata(current: Record<string, string> = {}): Record<string, string> | undefined {
    const v = this.raw.metadata;
    if (v === undefined) return undefined;
    if (v === "") return {};
    if (typeof v !== "object" || Array.isArray(v)) throw invalidParam(this.name("metadata"), "Invalid hash");
    const next = { ...current };
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== "string") throw invalidParam(`${this.name("metadata")}[${k}]`, "Invalid string");
      if (k.length > 40)
        throw invalidParam(`${this.name("metadata")}[${k}]`, "Metadata keys are limited to 40 characters.");
      if (x.length > 500)
        throw invalidParam(`${this.name("metadata")}[${k}]`, "Metadata values are limited to 500 characters.");
      if (x === "") delete next[k];
      else next[k] = x;
    }
    if (Object.keys(next).length > 50) throw invalidRequest("Metadata can have up to 50 keys.", this.name("metadata"));
    return next;
  }

  /** Timestamps in Unix seconds; `"now"` allowed where Stripe allows it. */
  timestamp(key: string, allowNow = false): number | "now" | undefined {
    const v = this.str(key);
    if (v === undefined || v === "") return undefined;
    if (allowNow && v === "now") return "now";
    return this.int(key, { min: 0 });
  }
}
