import { parseHTML } from "linkedom";
import type { OrderPageRenderer } from "./context";
import type { StyleProbe } from "./rule-packs";

/**
 * X-D2 without a browser: the publication gate judges the disclosure block's conspicuousness on the
 * app's real stylesheet. The order page's server-rendered HTML is placed in the page frame the order
 * route uses (`main.page > section.card`, beside ordinary page text), every rule of the stylesheet is
 * cascaded onto it (specificity, source order, `!important`, inline styles, custom properties,
 * inheritance, a minimal user-agent sheet) and the same probe the Chromium test measures is computed:
 * font size and weight of the block's text and of the page text, the contrast of the block's text on
 * its background, and whether a border or background sets the block off.
 *
 * Supported CSS: plain style rules and `@media (min-width|max-width)` at `viewportWidth`; lengths in
 * px, rem, em, % and the font-size keywords; colours as hex, rgb()/rgba(), a few names. Anything the
 * probe cannot resolve makes the measurement throw, so the gate fails closed instead of passing.
 * tests/compliance/conspicuous.test.ts keeps Chromium's computed style as the ground truth and checks
 * that both agree (docs/decisions and legal/README.md describe the method).
 */

/** The frame both the static check and the Chromium test put the order page in. */
export const PAGE_TEXT = "Members get early access to restocks and a printed letter every month.";
export function conspicuousDocument(orderHtml: string, stylesheet = ""): string {
  return (
    `<!doctype html><html><head><style>${stylesheet}</style></head><body>` +
    `<main class="page"><section class="card"><p data-page-text="">${PAGE_TEXT}</p>${orderHtml}</section></main>` +
    `</body></html>`
  );
}

/** The elements measured: the block's text (its first value) and the block itself. */
export const BLOCK_TEXT_SELECTOR = "[data-disclosure-block] dd";
export const BLOCK_SELECTOR = "[data-disclosure-block]";
export const PAGE_TEXT_SELECTOR = "[data-page-text]";

const UA_SHEET = `
h1{font-size:2em;font-weight:bold} h2{font-size:1.5em;font-weight:bold} h3{font-size:1.17em;font-weight:bold}
b,strong,th{font-weight:bold} small{font-size:smaller}
`;

type Doc = ReturnType<typeof parseHTML>["document"];
type El = NonNullable<ReturnType<Doc["querySelector"]>>;
type Decl = { prop: string; value: string; important: boolean; specificity: number; order: number };
type Rgba = [number, number, number, number];

interface Computed {
  vars: Map<string, string>;
  fontSizePx: number;
  fontWeight: number;
  color: Rgba;
  background: Rgba;
  borderTopPx: number;
}

export class ConspicuousnessError extends Error {}
const unsupported = (what: string) => new ConspicuousnessError(`X-D2 static check: cannot resolve ${what}`);

function specificity(selector: string): number {
  const s = selector.replace(/::?(before|after|first-line|first-letter|placeholder|marker)\b/g, "");
  const ids = (s.match(/#[\w-]+/g) ?? []).length;
  const classes = (s.match(/\.[\w-]+|\[[^\]]*\]|:(?!not\b|is\b|where\b)[\w-]+(\([^)]*\))?/g) ?? []).length;
  const types = (s.replace(/\[[^\]]*\]|\([^)]*\)/g, "").match(/(^|[\s>+~(])[a-z][\w-]*/gi) ?? []).length;
  return ids * 10_000 + classes * 100 + types;
}

function mediaApplies(media: string, viewportWidth: number): boolean {
  const parts = media.split(/\band\b/).map((p) => p.trim());
  return parts.every((p) => {
    if (p === "screen" || p === "all" || p === "") return true;
    const m = /^\((min|max)-width:\s*([\d.]+)(px|rem|em)\)$/.exec(p);
    if (!m) return false;
    const px = Number(m[2]) * (m[3] === "px" ? 1 : 16);
    return m[1] === "min" ? viewportWidth >= px : viewportWidth <= px;
  });
}

interface Sheet {
  rules: Array<{ selector: string; decls: Array<{ prop: string; value: string; important: boolean }> }>;
}

function collect(doc: Doc, viewportWidth: number): Sheet {
  const out: Sheet = { rules: [] };
  const walk = (rules: Iterable<unknown>) => {
    for (const raw of rules) {
      const rule = raw as {
        selectorText?: string;
        style?: {
          length: number;
          [i: number]: string;
          getPropertyValue(p: string): string;
          getPropertyPriority(p: string): string;
        };
        media?: { mediaText: string };
        cssRules?: Iterable<unknown>;
      };
      if (rule.selectorText && rule.style) {
        const decls = [];
        for (let i = 0; i < rule.style.length; i++) {
          const prop = rule.style[i]!;
          decls.push({
            prop,
            value: rule.style.getPropertyValue(prop).trim(),
            important: rule.style.getPropertyPriority(prop) === "important",
          });
        }
        for (const selector of rule.selectorText.split(",")) out.rules.push({ selector: selector.trim(), decls });
      } else if (rule.media && rule.cssRules && mediaApplies(rule.media.mediaText, viewportWidth)) walk(rule.cssRules);
    }
  };
  for (const style of doc.querySelectorAll("style")) {
    const sheet = (style as unknown as { sheet?: { cssRules: Iterable<unknown> } }).sheet;
    if (sheet) walk(sheet.cssRules);
  }
  return out;
}

function declarationsFor(el: El, sheet: Sheet): Map<string, Decl> {
  const winners = new Map<string, Decl>();
  const consider = (d: Decl) => {
    const cur = winners.get(d.prop);
    if (
      !cur ||
      (d.important && !cur.important) ||
      (d.important === cur.important &&
        (d.specificity > cur.specificity || (d.specificity === cur.specificity && d.order > cur.order)))
    )
      winners.set(d.prop, d);
  };
  sheet.rules.forEach((rule, order) => {
    let matches = false;
    try {
      matches = el.matches(rule.selector);
    } catch {
      return; // pseudo-elements and selectors the DOM cannot match never style the element itself
    }
    if (matches) for (const d of rule.decls) consider({ ...d, specificity: specificity(rule.selector), order });
  });
  const inline = el.getAttribute("style");
  if (inline)
    for (const part of inline.split(";")) {
      const at = part.indexOf(":");
      if (at < 0) continue;
      const value = part.slice(at + 1).trim();
      consider({
        prop: part.slice(0, at).trim().toLowerCase(),
        value: value.replace(/!important$/, "").trim(),
        important: /!important$/.test(value),
        specificity: 1_000_000,
        order: Number.MAX_SAFE_INTEGER,
      });
    }
  return winners;
}

function resolveVars(value: string, vars: Map<string, string>, depth = 0): string {
  if (depth > 10) throw unsupported(`a var() cycle in "${value}"`);
  return value.replace(
    /var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*(?:\([^()]*\))?[^()]*))?\)/g,
    (_, name: string, fallback?: string) => {
      const v = vars.get(name) ?? fallback;
      if (v === undefined) throw unsupported(`var(${name})`);
      return resolveVars(v.trim(), vars, depth + 1);
    },
  );
}

const NAMED: Record<string, Rgba> = {
  transparent: [0, 0, 0, 0],
  black: [0, 0, 0, 1],
  white: [255, 255, 255, 1],
  red: [255, 0, 0, 1],
  gray: [128, 128, 128, 1],
  grey: [128, 128, 128, 1],
  canvas: [255, 255, 255, 1],
  canvastext: [0, 0, 0, 1],
};

/** A colour token; null when the token is not a colour. */
export function parseColor(token: string): Rgba | null {
  const t = token.trim().toLowerCase();
  const named = NAMED[t];
  if (named) return named;
  const hex = /^#([0-9a-f]{3,8})$/.exec(t);
  if (hex) {
    let h = hex[1]!;
    if (h.length === 3 || h.length === 4) h = [...h].map((c) => c + c).join("");
    if (h.length !== 6 && h.length !== 8) return null;
    const n = (i: number) => parseInt(h.slice(i, i + 2), 16);
    return [n(0), n(2), n(4), h.length === 8 ? n(6) / 255 : 1];
  }
  const fn = /^rgba?\(([^)]*)\)$/.exec(t);
  if (fn) {
    const parts = fn[1]!.split(/[\s,/]+/).filter(Boolean);
    const num = (p: string, scale: number) => (p.endsWith("%") ? (parseFloat(p) / 100) * scale : parseFloat(p));
    const [r, g, b, a] = [
      num(parts[0]!, 255),
      num(parts[1]!, 255),
      num(parts[2]!, 255),
      parts[3] ? num(parts[3], 1) : 1,
    ];
    return [r, g, b, a].some((x) => Number.isNaN(x)) ? null : [r, g, b, a];
  }
  return null;
}

/** Splits a CSS value into tokens, keeping functions like rgb(…) together. */
const tokens = (value: string) => value.match(/[\w#.%-]+\([^)]*\)|[^\s]+/g) ?? [];

const FONT_KEYWORDS: Record<string, number> = {
  "xx-small": 9,
  "x-small": 10,
  small: 13,
  medium: 16,
  large: 18,
  "x-large": 24,
  "xx-large": 32,
};

function lengthPx(value: string, emBase: number, remBase: number, percentBase: number): number | null {
  const m = /^(-?[\d.]+)(px|rem|em|%)?$/.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]);
  switch (m[2]) {
    case "rem":
      return n * remBase;
    case "em":
      return n * emBase;
    case "%":
      return (n / 100) * percentBase;
    case "px":
      return n;
    default:
      return n === 0 ? 0 : null;
  }
}

const BORDER_STYLES = new Set(["solid", "dashed", "dotted", "double", "groove", "ridge", "inset", "outset"]);
const BORDER_WIDTHS: Record<string, number> = { thin: 1, medium: 3, thick: 5 };

function blend(top: Rgba, under: Rgba): Rgba {
  const a = top[3] + under[3] * (1 - top[3]);
  if (a === 0) return [0, 0, 0, 0];
  const c = (i: number) => (top[i]! * top[3] + under[i]! * under[3] * (1 - top[3])) / a;
  return [c(0), c(1), c(2), a];
}

function luminance([r, g, b]: Rgba): number {
  const f = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}

export function contrastRatio(a: Rgba, b: Rgba): number {
  const [l1, l2] = [luminance(a), luminance(b)];
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}

/**
 * The X-D2 probe for an order page's HTML under a stylesheet, as Chromium would compute it at a
 * desktop width. Throws ConspicuousnessError when the block is missing or a value cannot be resolved.
 */
export function staticStyleProbe(orderHtml: string, stylesheet: string, viewportWidth = 1280): StyleProbe {
  const { document } = parseHTML(conspicuousDocument(orderHtml, `${UA_SHEET}\n${stylesheet}`));
  const sheet = collect(document, viewportWidth);
  const cache = new Map<El, Computed>();
  const root = document.documentElement as unknown as El;

  const compute = (el: El): Computed => {
    const hit = cache.get(el);
    if (hit) return hit;
    const parent = el === root ? null : (el.parentElement as El | null);
    const inherited: Computed = parent
      ? compute(parent)
      : {
          vars: new Map(),
          fontSizePx: 16,
          fontWeight: 400,
          color: [0, 0, 0, 1],
          background: [0, 0, 0, 0],
          borderTopPx: 0,
        };
    const decls = declarationsFor(el, sheet);
    const vars = new Map(inherited.vars);
    for (const [prop, d] of decls) if (prop.startsWith("--")) vars.set(prop, d.value);
    const get = (prop: string) => {
      const d = decls.get(prop);
      return d ? resolveVars(d.value, vars).trim().toLowerCase() : undefined;
    };
    const rootSize = el === root ? 16 : compute(root).fontSizePx;

    let fontSizePx = inherited.fontSizePx;
    const fs = get("font-size");
    if (fs && fs !== "inherit") {
      if (fs in FONT_KEYWORDS) fontSizePx = FONT_KEYWORDS[fs]!;
      else if (fs === "smaller") fontSizePx = inherited.fontSizePx / 1.2;
      else if (fs === "larger") fontSizePx = inherited.fontSizePx * 1.2;
      else {
        const px = lengthPx(fs, inherited.fontSizePx, el === root ? 16 : rootSize, inherited.fontSizePx);
        if (px === null) throw unsupported(`font-size: ${fs}`);
        fontSizePx = px;
      }
    }

    let fontWeight = inherited.fontWeight;
    const fw = get("font-weight");
    if (fw && fw !== "inherit") {
      if (fw === "normal") fontWeight = 400;
      else if (fw === "bold") fontWeight = 700;
      else if (fw === "bolder") fontWeight = inherited.fontWeight < 600 ? 700 : 900;
      else if (fw === "lighter") fontWeight = inherited.fontWeight > 500 ? 400 : 100;
      else if (/^\d+$/.test(fw)) fontWeight = Number(fw);
      else throw unsupported(`font-weight: ${fw}`);
    }

    let color = inherited.color;
    const c = get("color");
    if (c && c !== "inherit" && c !== "currentcolor") {
      const parsed = parseColor(c);
      if (!parsed) throw unsupported(`color: ${c}`);
      color = parsed;
    }

    let background: Rgba = [0, 0, 0, 0];
    const bg = get("background-color") ?? get("background");
    if (bg && bg !== "none" && bg !== "initial") {
      if (bg === "inherit") background = inherited.background;
      else {
        const colorToken = tokens(bg)
          .map(parseColor)
          .find((x) => x !== null);
        if (colorToken === undefined && !/url\(|gradient\(/.test(bg)) background = [0, 0, 0, 0];
        else if (colorToken === undefined) throw unsupported(`background: ${bg}`);
        else background = colorToken;
      }
    }

    let borderWidth = 0;
    let borderStyle = "none";
    for (const prop of ["border", "border-top"]) {
      const v = get(prop);
      if (v === undefined) continue;
      borderWidth = BORDER_WIDTHS.medium!;
      borderStyle = "none";
      for (const tok of tokens(v)) {
        if (BORDER_STYLES.has(tok) || tok === "none" || tok === "hidden") borderStyle = tok;
        else if (tok in BORDER_WIDTHS) borderWidth = BORDER_WIDTHS[tok]!;
        else {
          const px = lengthPx(tok, fontSizePx, rootSize, 0);
          if (px !== null) borderWidth = px;
        }
      }
    }
    for (const prop of ["border-style", "border-top-style"]) {
      const v = get(prop);
      if (v !== undefined) borderStyle = tokens(v)[0] ?? "none";
    }
    for (const prop of ["border-width", "border-top-width"]) {
      const v = get(prop);
      if (v === undefined) continue;
      const first = tokens(v)[0] ?? "0";
      const px = first in BORDER_WIDTHS ? BORDER_WIDTHS[first]! : lengthPx(first, fontSizePx, rootSize, 0);
      if (px === null) throw unsupported(`${prop}: ${v}`);
      borderWidth = px;
    }
    const borderTopPx = BORDER_STYLES.has(borderStyle) ? borderWidth : 0;

    const out = { vars, fontSizePx, fontWeight, color, background, borderTopPx };
    cache.set(el, out);
    return out;
  };

  /** The colour the element is painted on: its own and its ancestors' backgrounds, over white. */
  const paintedOn = (el: El | null): Rgba => {
    const layers: Rgba[] = [];
    for (let cur = el; cur; cur = cur.parentElement as El | null) layers.push(compute(cur).background);
    return layers.reduceRight<Rgba>((under, top) => blend(top, under), [255, 255, 255, 1]);
  };

  const text = document.querySelector(BLOCK_TEXT_SELECTOR);
  const block = document.querySelector(BLOCK_SELECTOR);
  const page = document.querySelector(PAGE_TEXT_SELECTOR);
  if (!text || !block || !page) throw new ConspicuousnessError("X-D2 static check: no disclosure block to measure");
  const t = compute(text);
  const p = compute(page);
  const blockBg = paintedOn(block);
  const aroundBg = paintedOn(block.parentElement);
  const sameColour = (a: Rgba, b: Rgba) => a.slice(0, 3).every((v, i) => Math.abs(v - b[i]!) < 0.5);
  return {
    blockFontSizePx: t.fontSizePx,
    pageFontSizePx: p.fontSizePx,
    blockFontWeight: t.fontWeight,
    pageFontWeight: p.fontWeight,
    contrastRatio: contrastRatio(blend(t.color, paintedOn(text)), paintedOn(text)),
    hasBorderOrBackground: compute(block).borderTopPx > 0 || !sameColour(blockBg, aroundBg),
  };
}

/**
 * The engine's style input for one rendered order page: the static probe on the renderer's
 * stylesheet; a stylesheet that cannot be read or resolved makes X-D2 fail (never pass) at the gate.
 * A renderer without a stylesheet (package fixtures) leaves X-D2 to the Chromium test.
 */
export function styleInputFor(
  render: OrderPageRenderer,
  orderHtml: string,
): { style?: StyleProbe; styleError?: string } {
  if (!render.stylesheet) return {};
  try {
    return { style: staticStyleProbe(orderHtml, render.stylesheet()) };
  } catch (error) {
    return { styleError: error instanceof Error ? error.message : String(error) };
  }
}
