import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
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
const BROWSER_SAFE = [
  /^@kiln\/auth\/schemas$/,
  /^@kiln\/capacity\/schemas$/,
  /^@kiln\/compliance\/disclosure$/,
  /^@kiln\/personalization\/browser$/,
  /^@kiln\/personalization\/features$/,
  /^@kiln\/personalization\/device-history$/,
];
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

/**
 * onnxruntime-web's wasm runtime, self-hosted (issue 9, decision 016): its `.mjs` loader and `.wasm`
 * are copied from the installed package into the client build at `/ort/<version>/` (served from
 * Kiln's own origin, cached for a year: the version is in the path), and served from node_modules
 * by the dev server. The browser scorer points `env.wasm.wasmPaths` there; nothing comes from a CDN.
 */
function selfHostedOnnxRuntime(): Plugin {
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"));
  const { version } = JSON.parse(readFileSync(path.join(dist, "..", "package.json"), "utf8")) as { version: string };
  const files = ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"];
  let ssr = false;
  return {
    name: "kiln:self-hosted-onnxruntime",
    enforce: "pre",
    configResolved(config) {
      ssr = Boolean(config.build.ssr);
    },
    // The browser build of `onnxruntime-web/wasm` without its embedded loader (the
    // "onnxruntime-web-use-extern-wasm" entry): it imports the loader from wasmPaths, and has no
    // `new URL("….wasm", import.meta.url)` that would make Vite emit a second copy of the wasm.
    resolveId(source, _importer, options) {
      if (options.ssr || source !== "onnxruntime-web/wasm") return null;
      return path.join(dist, "ort.wasm.min.mjs");
    },
    configureServer(server) {
      server.middlewares.use(`/ort/${version}`, (req, res, next) => {
        const file = files.find((name) => req.url === `/${name}`);
        if (!file) return next();
        res.setHeader("Content-Type", file.endsWith(".wasm") ? "application/wasm" : "text/javascript");
        res.end(readFileSync(path.join(dist, file)));
      });
    },
    generateBundle() {
      if (ssr) return;
      for (const file of files) {
        this.emitFile({
          type: "asset",
          fileName: `ort/${version}/${file}`,
          source: readFileSync(path.join(dist, file)),
        });
      }
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
    selfHostedOnnxRuntime(),
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
