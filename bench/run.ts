/**
 * `npm run bench`: builds and walks linear maps with the wasm engine, the TypeScript reference and
 * a native C ceiling, and prints rates and ratios. `--quick` runs the small sizes only (for CI),
 * `--json` prints only the JSON array, which is also written to bench/results/latest.json. "wasm"
 * rows store every table as a page, like the native ceiling; the implicit-table engine (the default)
 * is measured beside them.
 * The wasm engine keeps whole PTE tables implicit (docs/engine.md): its page-granular builds write
 * 8-byte records, not pages, and its walks compute their last entry; the native program and `fill`
 * stay the dense ceiling.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";
import { NO_BLOCK_MAPPINGS, NO_CONT_MAPPINGS, NO_EXEC_MAPPINGS, pageKernel } from "../src/descriptor.js";
import { ReferencePageTable } from "../src/reference/index.js";
import type { PageTableEngine } from "../src/types.js";
import { instantiateEngine } from "../src/wasm/module.js";
import { WasmPageTable } from "../src/wasm/page-table.js";
import { columns } from "../src/report/columns.js";
import { runNative, type NativeRates } from "./native.js";
import { measureTlb } from "./tlb.js";

/** One measured rate. */
export interface BenchRecord {
  task: "build-page" | "build-page-warm" | "build-block" | "walk" | "fill" | "tlb";
  impl: "wasm" | "reference" | "native";
  /** Bytes mapped. */
  size: number;
  /** Descriptors, walks, bytes or (tlb) simulated accesses per second. */
  perSecond: number;
  /**
   * How the engine stored the tables: "dense", every table a page (the reference, native, and wasm
   * measured like for like), or "implicit" (wasm's default: whole PTE runs as 8-byte records).
   */
  tables: "dense" | "implicit";
}

const GiB = 1n << 30n;
const VA0 = 0xffff_0000_0000_0000n;
const PA_PAGE = 0x4000_0000n; // 1 GiB aligned: where QEMU's virt machine has RAM
const PA_BLOCK = 0x4020_0000n; // 2 MiB but not 1 GiB aligned: PMD blocks, as most real banks get
const PROT = pageKernel({ tagged: true });
const PAGE_FLAGS = NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS | NO_EXEC_MAPPINGS;

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const jsonOnly = args.has("--json");
const log = (s: string) => {
  if (!jsonOnly) console.log(s);
};

const sizes = quick ? [1n * GiB, 16n * GiB] : [1n * GiB, 16n * GiB, 256n * GiB];
/** The reference is measured up to this size: beyond it a BigInt per descriptor takes minutes. */
const referenceMax = quick ? 1n * GiB : 16n * GiB;
const walks = 1_000_000;
const timeMs = quick ? 300 : 1500;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

type Factory = () => PageTableEngine;
type Variant = "wasm" | "wasm-implicit" | "reference";
const engines: Record<Variant, Factory> = {
  wasm: () => new WasmPageTable({ implicitLeaves: false }),
  "wasm-implicit": () => new WasmPageTable(),
  reference: () => new ReferencePageTable(),
};

/** Median milliseconds of `fn`, with `before` run untimed before each call. */
async function median(name: string, fn: () => void, before: () => void, iterations: number): Promise<number> {
  const bench = new Bench({ time: timeMs, iterations, warmup: false });
  bench.add(name, fn, { beforeEach: before });
  await bench.run();
  const r = bench.tasks[0].result;
  if (r.state !== "completed") throw new Error(`${name}: ${r.state} ${"error" in r ? String(r.error) : ""}`);
  return r.latency.p50;
}

/** Uniformly random VAs inside [VA0, VA0 + size). */
function randomVas(size: bigint, n: number): BigUint64Array {
  const vas = new BigUint64Array(n);
  const pages = Number(size >> 12n);
  for (let i = 0; i < n; i++) {
    vas[i] = VA0 + (BigInt(Math.floor(Math.random() * pages)) << 12n) + BigInt(Math.floor(Math.random() * 4096));
  }
  return vas;
}

async function measure(variant: Variant, size: bigint, out: BenchRecord[]): Promise<void> {
  const make = engines[variant];
  const impl = variant === "reference" ? "reference" : "wasm";
  const tables = variant === "wasm-implicit" ? "implicit" : "dense";
  const iterations = size >= 256n * GiB ? 3 : 5;
  const push = (task: BenchRecord["task"], perSecond: number) => out.push({ task, impl, size: Number(size), perSecond, tables });

  // Cold: a fresh engine (fresh memory) for every build.
  let pt: PageTableEngine | undefined = make();
  const descriptors = pt.map(VA0, PA_PAGE, size, PROT, PAGE_FLAGS).descriptorsWritten;
  let ms = await median(`${impl} build-page`, () => pt!.map(VA0, PA_PAGE, size, PROT, PAGE_FLAGS), () => {
    pt?.dispose();
    pt = undefined;
    gc();
    pt = make();
  }, iterations);
  push("build-page", descriptors / (ms / 1000));

  // Warm: the same engine, reset, so its table memory is already touched.
  ms = await median(`${impl} build-page-warm`, () => pt!.map(VA0, PA_PAGE, size, PROT, PAGE_FLAGS), () => pt!.reset(), iterations);
  push("build-page-warm", descriptors / (ms / 1000));

  // Random walks over the page-granular map just built.
  const vas = randomVas(size, variant === "reference" ? Math.min(walks, 100_000) : walks);
  const results = { pa: new BigUint64Array(vas.length), level: new Int8Array(vas.length) };
  ms = await median(`${impl} walk`, () => pt!.walkMany(vas, results), () => {}, iterations);
  push("walk", vas.length / (ms / 1000));

  // With blocks (rodata=on): PMD blocks and CONT groups.
  pt.reset();
  const blockDescriptors = pt.map(VA0, PA_BLOCK, size, PROT, NO_EXEC_MAPPINGS).descriptorsWritten;
  ms = await median(`${impl} build-block`, () => pt!.map(VA0, PA_BLOCK, size, PROT, NO_EXEC_MAPPINGS), () => pt!.reset(), iterations);
  push("build-block", blockDescriptors / (ms / 1000));
  pt.dispose();
  pt = undefined;
  gc();
}

/** Cold memory.fill of the PTE bytes a page-granular build writes: the bandwidth ceiling. */
async function measureFill(size: bigint, out: BenchRecord[]): Promise<void> {
  const bytes = size / 512n;
  let x = instantiateEngine();
  const ms = await median("wasm fill", () => x.fillFrames(bytes), () => {
    gc();
    x = instantiateEngine();
    x.init(12, 48, 0n, 0);
  }, size >= 256n * GiB ? 3 : 5);
  out.push({ task: "fill", impl: "wasm", size: Number(size), perSecond: Number(bytes) / (ms / 1000), tables: "dense" });
}

function fmtRate(v: number | undefined, unit: string): string {
  if (v === undefined) return "-";
  const units = ["", "K", "M", "G", "T"];
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}${unit}`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? "-" : `${(a / b).toFixed(2)}x`;
}

/** Prints the table of rates and ratios. */
function report(records: BenchRecord[]): void {
  const get = (task: string, impl: string, size: number, tables = "dense") =>
    records.find((r) => r.task === task && r.impl === impl && r.size === size && r.tables === tables)?.perSecond;
  const rows: string[][] = [["task", "size", "wasm", "reference", "native", "native/wasm time", "wasm/reference speed", "wasm, implicit tables"]];
  for (const size of sizes.map(Number)) {
    for (const task of ["build-page", "build-page-warm", "build-block", "walk"]) {
      const unit = task === "walk" ? "walks/s" : "desc/s";
      const w = get(task, "wasm", size);
      const n = get(task, "native", size);
      const r = get(task, "reference", size);
      // native/wasm time = wasm's time over native's = native rate / wasm rate
      rows.push([task, `${size / 2 ** 30} GiB`, fmtRate(w, unit), fmtRate(r, unit), fmtRate(n, unit), ratio(n, w), ratio(w, r), fmtRate(get(task, "wasm", size, "implicit"), unit)]);
    }
    const fill = get("fill", "wasm", size);
    const cold = get("build-page", "wasm", size);
    rows.push(["fill (cold)", `${size / 2 ** 30} GiB`, fmtRate(fill, "B/s"), "-", fmtRate(get("fill", "native", size), "B/s"),
      ratio(get("fill", "native", size), fill), `build-page = ${cold && fill ? ((cold * 8 / fill) * 100).toFixed(0) : "-"}% of fill`, "-"]);
  }
  log(columns(rows));
}

async function main(): Promise<void> {
  const records: BenchRecord[] = [];
  for (const size of sizes) {
    log(`measuring ${size / GiB} GiB ...`);
    const native: NativeRates | undefined = runNative(size, size >= 256n * GiB ? 3 : 5, walks, log);
    if (native) {
      for (const task of ["build-page", "build-page-warm", "build-block", "walk", "fill"] as const) {
        if (native[task] !== undefined) records.push({ task, impl: "native", size: Number(size), perSecond: native[task], tables: "dense" });
      }
    }
    await measure("wasm", size, records);
    await measure("wasm-implicit", size, records);
    await measureFill(size, records);
    if (size <= referenceMax) await measure("reference", size, records);
  }
  report(records);
  // The run-time model: uniform random accesses over 64 GiB mapped page by page, Neoverse N1.
  const tlbSize = 64n * GiB;
  log(`measuring the TLB model (neoverse-n1, uniform, ${tlbSize / GiB} GiB page by page) ...`);
  const tlb = measureTlb(tlbSize, quick ? 2_000_000 : 20_000_000);
  for (const r of tlb.rates) records.push({ task: "tlb", impl: r.impl, size: Number(tlbSize), perSecond: r.perSecond, tables: r.impl === "wasm" ? "implicit" : "dense" });
  const [w, r] = tlb.rates;
  log(
    columns([
      ["task", "size", "wasm", "reference", "wasm/reference speed", "counts agree"],
      ["tlb (neoverse-n1, uniform)", `${tlbSize / GiB} GiB`, fmtRate(w.perSecond, "accesses/s"), fmtRate(r.perSecond, "accesses/s"), ratio(w.perSecond, r.perSecond), tlb.agree ? "yes" : "NO"],
    ]),
  );
  if (!tlb.agree) process.exitCode = 1;
  const json = JSON.stringify(records, null, 1);
  const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, quick ? "quick.json" : "latest.json");
  writeFileSync(`${file}.tmp`, json);
  renameSync(`${file}.tmp`, file);
  if (jsonOnly) console.log(json);
  else log(`written ${file}`);
}

await main();
