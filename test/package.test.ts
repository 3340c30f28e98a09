/**
 * The package as a dependency: `npm pack`, installed into an empty project without the optional
 * plotting stack (`--omit=optional`), then used as an app would: ESM import, CommonJS require (a
 * clear refusal) and import(), TypeScript types under `tsc --noEmit`, the wasm found with no bundler,
 * a worker thread, and the CLI from node_modules/.bin. Needs the npm registry for the three runtime
 * dependencies; skipped with a message when it cannot be reached.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
let app = "";
let installError: string | undefined;

function node(file: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [file, ...args], { cwd: app, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  const work = mkdtempSync(join(tmpdir(), "pgtable-pack-"));
  // The build is fresh (npm test's pretest): pack without running prepare again.
  execFileSync(NPM, ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: ROOT, stdio: "pipe" });
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
  app = join(work, "app");
  execFileSync("mkdir", [app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, version: "1.0.0" }));
  try {
    execFileSync(NPM, ["install", tarball, "--omit=optional", "--no-audit", "--no-fund"], { cwd: app, stdio: "pipe", timeout: 180_000 });
  } catch (e) {
    installError = (e as Error).message.split("\n")[0];
  }
}, 240_000);

describe("the packed package in an empty project", () => {
  const skip = () => {
    if (installError) console.warn(`package test skipped: npm install of the tarball failed (${installError})`);
    return installError !== undefined;
  };

  it("ESM: the engine, the boot model and ptdump, the wasm found without a bundler", () => {
    if (skip()) return;
    writeFileSync(
      join(app, "esm.mjs"),
      `import { WasmPageTable, pageKernel, NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, runScenario, parseMemoryMap, formatLinearMap, flavourForRelease } from "arm64-pgtable";
const pt = new WasmPageTable();
pt.map(0xffff000000000000n, 0x40000000n, 1n << 30n, pageKernel(), NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS);
const sc = runScenario({ memmap: parseMemoryMap("4G@0x40000000"), kernel: "6.1", cmdline: "rodata=on" });
console.log(JSON.stringify({ pa: pt.walk(0xffff000000001234n).pa.toString(16), tables: pt.stats().tableBytes,
  dump: formatLinearMap(sc.pt, flavourForRelease(sc.policy.release)).split("\\n")[1] }));`,
    );
    const r = node("esm.mjs");
    expect(r.err).toBe("");
    const out = JSON.parse(r.out);
    // 1 GiB page by page: below the PGD, PUD + PMD + 512 PTE tables = 514 pages.
    expect(out).toMatchObject({ pa: "40001234", tables: 514 * 4096 });
    expect(out.dump).toMatch(/^0xffff000000000000-/);
  });

  it("CommonJS: require() refuses in one clear sentence; import() works", () => {
    if (skip()) return;
    writeFileSync(
      join(app, "cjs.cjs"),
      `try { require("arm64-pgtable"); console.log("loaded"); } catch (e) { console.log(e.message); }
import("arm64-pgtable").then((m) => console.log(typeof m.WasmPageTable));`,
    );
    const r = node("cjs.cjs");
    expect(r.out).toMatch(/^arm64-pgtable is an ES module and cannot be loaded with require\(\)/);
    expect(r.out.trim().endsWith("function")).toBe(true);
  });

  it("TypeScript: the types resolve under tsc --noEmit (NodeNext)", () => {
    if (skip()) return;
    writeFileSync(
      join(app, "use.ts"),
      `import { WasmPageTable, corePreset, type TlbConfig, type Stats } from "arm64-pgtable";
const pt: WasmPageTable = new WasmPageTable({ granule: 16, vaBits: 48 });
const s: Stats = pt.stats();
const c: TlbConfig = corePreset("neoverse-n1").config;
export const n: number = s.tableBytes + c.levels.length;
// @ts-expect-error: a granule the types do not allow
new WasmPageTable({ granule: 8 });`,
    );
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--typeRoots", join(ROOT, "node_modules", "@types"), "--types", "node", "use.ts"], { cwd: app, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("a worker thread builds and walks its own table", () => {
    if (skip()) return;
    writeFileSync(
      join(app, "w.mjs"),
      `import { parentPort } from "node:worker_threads";
import { WasmPageTable, pageKernel } from "arm64-pgtable";
const pt = new WasmPageTable();
pt.map(0xffff000000000000n, 0x80000000n, 4n << 30n, pageKernel());
parentPort.postMessage(pt.walk(0xffff0000c0000000n).pa.toString(16));`,
    );
    writeFileSync(join(app, "main.mjs"), `import { Worker } from "node:worker_threads";\nnew Worker(new URL("./w.mjs", import.meta.url)).on("message", (m) => console.log(m));`);
    const r = node("main.mjs");
    expect(r.err).toBe("");
    expect(r.out.trim()).toBe("140000000"); // 3 GiB in: 0x80000000 + 0xc0000000
  });

  it("the CLI from node_modules/.bin; sweep says which optional packages it needs", () => {
    if (skip()) return;
    const bin = join(app, "node_modules", ".bin", "arm64-pgtable");
    const s = spawnSync(bin, ["summary", "--memmap", "4G@0x40000000", "--cmdline", "rodata=on", "--json"], { encoding: "utf8" });
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout).tables).toEqual({ pud: 1, pmd: 1, pte: 2 });
    const w = spawnSync(bin, ["sweep", "--sizes", "1G", "--out", join(app, "report")], { encoding: "utf8" });
    expect(w.status).toBe(2);
    expect(w.stderr).toMatch(/sweep needs the optional packages vega, vega-lite and piscina/);
  });
});
