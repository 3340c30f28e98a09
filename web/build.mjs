/**
 * Builds the web explorer: web/app.ts bundled by esbuild into OUTDIR/app.js, with index.html and
 * the engine (build/pgtable.wasm) beside it. Usage: node web/build.mjs [OUTDIR] (default web/dist).
 *
 * The page runs the same host code as Node. Two of its modules import Node's: src/wasm/module.ts
 * reads build/pgtable.wasm from disk unless useEngineModule() was given the engine first, as
 * web/app.ts does, and src/wasm/page-table.ts sizes its default memory budget with os.freemem().
 * Those imports are bound to stand-ins (web/node-stub.js); any other node: import reached from the
 * page fails the build, naming the file.
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const WEB = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(WEB);
/** The Node modules the engine's files may import, each bound to web/node-stub.js's stand-ins. */
const STUBBED = new Map([
  [join(ROOT, "src", "wasm", "module.ts"), new Set(["node:fs", "node:path", "node:url"])],
]);

/** Keeps Node's modules out of the bundle: stand-ins for the engine's, an error for any other. */
const nodeModules = {
  name: "node-modules",
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => {
      if (STUBBED.get(resolve(args.importer))?.has(args.path)) return { path: join(WEB, "node-stub.js") };
      return { errors: [{ text: `${args.path} is Node-only: ${relative(ROOT, args.importer)} must not be reachable from the web explorer` }] };
    });
  },
};

/** Bundles the explorer into `outdir`; returns esbuild's metafile (inputs and outputs). */
export async function buildWeb(outdir = join(WEB, "dist"), { minify = true } = {}) {
  const wasm = join(ROOT, "build", "pgtable.wasm");
  if (!existsSync(wasm)) throw new Error("build/pgtable.wasm not found: run `npm run build:wasm` first");
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(WEB, "app.ts")],
    outfile: join(outdir, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify,
    sourcemap: true,
    metafile: true,
    logLevel: "silent",
    plugins: [nodeModules],
  });
  copyFileSync(join(WEB, "index.html"), join(outdir, "index.html"));
  copyFileSync(wasm, join(outdir, "pgtable.wasm"));
  return result.metafile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(process.argv[2] ?? join(WEB, "dist"));
  buildWeb(outdir).then(
    (meta) => {
      const bytes = Object.values(meta.outputs).reduce((n, o) => n + o.bytes, 0);
      console.log(`web explorer: ${relative(process.cwd(), outdir) || "."}/index.html, app.js (${Math.round(bytes / 1024)} KiB with its map), pgtable.wasm`);
    },
    (e) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
