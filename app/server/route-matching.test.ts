import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import routeConfig from "../app/routes";

/**
 * patches/@remix-run__router@1.23.3.patch (decision 024) caches the ranked route branches and compiled
 * patterns in the router's CommonJS build, which the server loads, and skips branches whose whole path
 * cannot match. The browser's ES module build (dist/router.js) is the unpatched original: for Kiln's
 * real route tree and every kind of pathname, both must return exactly the same matches.
 */

interface MatchRoute {
  id?: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  children?: MatchRoute[];
}
interface Match {
  params: Record<string, string | undefined>;
  pathname: string;
  pathnameBase: string;
  route: MatchRoute;
}
type MatchRoutes = (routes: MatchRoute[], location: string, basename?: string) => Match[] | null;

const serverRuntime = createRequire(import.meta.url).resolve("@remix-run/server-runtime");
const routerRequire = createRequire(serverRuntime);
const patched = (routerRequire("@remix-run/router") as { matchRoutes: MatchRoutes }).matchRoutes;
const routerEsm = pathToFileURL(routerRequire.resolve("@remix-run/router/dist/router.js")).href;

interface ConfigEntry {
  id?: string;
  path?: string;
  file: string;
  index?: boolean;
  caseSensitive?: boolean;
  children?: ConfigEntry[];
}

const toRoutes = (entries: ConfigEntry[]): MatchRoute[] =>
  entries.map((e) => ({
    id: e.id ?? e.file,
    path: e.path,
    index: e.index,
    caseSensitive: e.caseSensitive,
    children: e.children ? toRoutes(e.children) : undefined,
  }));

/** As Remix builds it: everything under the root route. */
const routes: MatchRoute[] = [{ id: "root", path: "", children: toRoutes(routeConfig) }];

function fullPaths(list: MatchRoute[], parent = ""): string[] {
  return list.flatMap((r) => {
    const here = r.path ? `${parent}/${r.path}`.replace(/\/+/g, "/") : parent;
    return [here || "/", ...fullPaths(r.children ?? [], here)];
  });
}

const PARAM_VALUES = ["abc", "0b6f2c1e-5d1a-4c7e-9a3b-2f1d0e9c8b7a", "x%20y", "%C3%BCber", "a.b", "A-B_c"];

function pathnames(): string[] {
  const out = new Set<string>(["/", "", "//", "/nope", "/api", "/api/v1", "/api/v1/nope/deeper", "/s", "/S/"]);
  for (const pattern of fullPaths(routes)) {
    for (const [i, value] of PARAM_VALUES.entries()) {
      const filled = pattern
        .replace(/:[\w-]+\??/g, () => PARAM_VALUES[(i + 1) % PARAM_VALUES.length]!)
        .replace(/\*$/, `${value}/more`);
      out.add(filled);
      out.add(`${filled}/`);
      out.add(`${filled}//`);
      out.add(filled.toUpperCase());
      out.add(`${filled}/extra`);
      out.add(filled.replace(/\/([^/]+)$/, "//$1"));
      out.add(filled.replace(/\/[^/]+$/, "") || "/");
    }
    out.add(pattern.replace(/:[\w-]+\?/g, "").replace(/:[\w-]+/g, "p"));
  }
  return [...out];
}

const summary = (matches: Match[] | null) =>
  matches?.map((m) => ({ id: m.route.id, params: m.params, pathname: m.pathname, base: m.pathnameBase })) ?? null;

describe("route matching with the router patch", () => {
  it("matches every pathname exactly as the unpatched router does, cold and cached", async () => {
    const reference = ((await import(routerEsm)) as { matchRoutes: MatchRoutes }).matchRoutes;
    const all = pathnames();
    expect(all.length).toBeGreaterThan(1000);
    let matched = 0;
    for (const round of [1, 2]) {
      for (const pathname of all) {
        const expected = summary(reference(routes, pathname));
        expect(summary(patched(routes, pathname)), `${pathname} (round ${round})`).toEqual(expected);
        if (expected && round === 1) matched++;
      }
    }
    // Most generated pathnames are real routes: the comparison is not all "no match".
    expect(matched).toBeGreaterThan(all.length / 3);
  });

  it("keeps the ranking: a static segment wins over a parameter, and a basename is honoured", async () => {
    const reference = ((await import(routerEsm)) as { matchRoutes: MatchRoutes }).matchRoutes;
    const tree: MatchRoute[] = [
      {
        id: "root",
        path: "",
        children: [
          { id: "param", path: "a/:x" },
          { id: "static", path: "a/new" },
        ],
      },
    ];
    expect(patched(tree, "/a/new")?.at(-1)?.route.id).toBe("static");
    expect(patched(tree, "/a/old")?.at(-1)?.route.id).toBe("param");
    expect(summary(patched(tree, "/base/a/new", "/base"))).toEqual(summary(reference(tree, "/base/a/new", "/base")));
    expect(patched(tree, "/other/a/new", "/base")).toBeNull();
  });
});
