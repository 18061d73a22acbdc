import { readFileSync } from "node:fs";
import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig, type Plugin } from "vite";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

/**
 * Browser code must never pull in a server package (DESIGN.md §3). Remix strips loaders/actions and
 * `*.server.ts` modules from the client build; this plugin fails the client build if any other
 * `@kiln/*` import survives, except the browser-safe schema modules.
 */
const BROWSER_SAFE = [/^@kiln\/auth\/schemas$/, /^@kiln\/capacity\/schemas$/, /^@kiln\/compliance\/disclosure$/];
function serverPackagesStayOnServer(): Plugin {
  return {
    name: "kiln:server-packages-stay-on-server",
    apply: "build",
    enforce: "pre",
    resolveId(source, importer, options) {
      if (options.ssr || !source.startsWith("@kiln/")) return null;
      if (BROWSER_SAFE.some((re) => re.test(source))) return null;
      this.error(
        `${source} is server-only but is imported by browser code (${importer ?? "?"}). ` +
          "Import it only inside loaders/actions or from a *.server.ts module.",
      );
    },
  };
}

const kilnPackages = Object.keys(
  (
    JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as {
      dependencies: Record<string, string>;
    }
  ).dependencies,
).filter((name) => name.startsWith("@kiln/"));

/** In the build, ssr.external alone does not keep linked workspace packages out of the bundle: mark them here. */
function kilnPackagesExternalOnServer(): Plugin {
  return {
    name: "kiln:workspace-packages-external-on-server",
    // The dev server honours ssr.external for these; only the build needs the extra hint.
    apply: "build",
    enforce: "pre",
    resolveId(source, _importer, options) {
      if (options.ssr && kilnPackages.some((name) => source === name || source.startsWith(`${name}/`))) {
        return { id: source, external: true };
      }
      return null;
    },
  };
}

export default defineConfig({
  plugins: [
    serverPackagesStayOnServer(),
    kilnPackagesExternalOnServer(),
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
        v3_routeConfig: true,
      },
    }),
  ],
  // Workspace packages (TypeScript source) stay external on the server, in dev and in the build: the
  // server entry runs under tsx, which loads them, so each exists once per process (one AppError class,
  // one transaction guard), and their native or file-relative parts (argon2's .node binary, the
  // embedded database's worker file) keep working. Bundling them (ssr.noExternal) breaks exactly those.
  ssr: { external: kilnPackages },
  build: { target: "es2022" },
});
