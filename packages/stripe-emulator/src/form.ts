/**
 * Stripe's form encoding: `a=1&b[c]=2&d[0][e]=3&f[]=4` → `{ a: "1", b: { c: "2" }, d: [{ e: "3" }], f: ["4"] }`.
 * Every leaf is a string (Stripe does the same and coerces per parameter). Numeric keys make arrays.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export class FormSyntaxError extends Error {}

const MAX_DEPTH = 8;
const MAX_INDEX = 1000;

function splitKey(key: string): string[] {
  const first = key.indexOf("[");
  if (first <= 0) return [key];
  const parts = [key.slice(0, first)];
  const rest = key.slice(first);
  const re = /\[([^\]]*)\]/gy;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest)) !== null) {
    parts.push(m[1] ?? "");
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length) throw new FormSyntaxError(`Invalid parameter name: ${key}`);
  if (parts.length > MAX_DEPTH) throw new FormSyntaxError(`Parameter nested too deeply: ${key}`);
  return parts;
}

type Container = FormValue[] | { [key: string]: FormValue };

function isContainer(v: FormValue | undefined): v is Container {
  return typeof v === "object" && v !== null;
}

function assign(target: Container, parts: string[], value: string, fullKey: string): void {
  const [head, ...rest] = parts;
  if (head === undefined) return;
  if (Array.isArray(target)) {
    const index = head === "" ? target.length : Number(head);
    if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX)
      throw new FormSyntaxError(`Invalid array index in ${fullKey}`);
    if (rest.length === 0) {
      target[index] = value;
      return;
    }
    let child = target[index];
    if (!isContainer(child)) {
      child = rest[0] === "" || /^\d+$/.test(rest[0] ?? "") ? [] : {};
      target[index] = child;
    }
    assign(child, rest, value, fullKey);
    return;
  }
  if (head === "__proto__" || head === "constructor" || head === "prototype")
    throw new FormSyntaxError(`Invalid parameter name: ${fullKey}`);
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  let child = target[head];
  if (!isContainer(child)) {
    child = rest[0] === "" || /^\d+$/.test(rest[0] ?? "") ? [] : {};
    target[head] = child;
  }
  assign(child, rest, value, fullKey);
}

/** Arrays may come out sparse (`a[5]=x` alone); compact them so indexes read in order. */
function compact(v: FormValue): FormValue {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(compact);
  if (typeof v === "object") {
    const out: FormObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = compact(x);
    return out;
  }
  return v;
}

export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  if (!body) return root;
  for (const [key, value] of new URLSearchParams(body)) {
    if (!key) continue;
    assign(root, splitKey(key), value, key);
  }
  return compact(root) as FormObject;
}
