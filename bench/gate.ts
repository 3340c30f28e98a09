/**
 * The benchmark gate: compares the machine-independent ratios of the last quick benchmark
 * (bench/results/quick.json) with a committed baseline (bench/baseline.json) and fails when one
 * worsens past its threshold. Only ratios measured in one run are compared — wasm against native C,
 * wasm against the TypeScript reference, a cold build against a cold memory.fill of the same bytes —
 * never absolute times, which change from machine to machine and, on shared machines, from minute to
 * minute. `--update` writes the current ratios as the new baseline (on purpose, after a change that
 * is meant to move them; the README says when).
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { columns } from "../src/report/columns.js";
import type { BenchRecord } from "./run.js";

/** A ratio is "higher is better": wasm's speed relative to a yardstick measured in the same run. */
export interface Ratio {
  name: string;
  value: number;
}

/** The baseline file: ratios by name and the factor by which one may worsen before the gate fails. */
export interface Baseline {
  /** A ratio below baseline / threshold fails. */
  threshold: number;
  ratios: Record<string, number>;
}

const GiB = 2 ** 30;

/** The ratios of one quick benchmark run. */
export function ratiosOf(records: readonly BenchRecord[]): Ratio[] {
  const rate = (task: string, impl: string, size: number, tables = "dense") =>
    records.find((r) => r.task === task && r.impl === impl && r.size === size && r.tables === tables)?.perSecond;
  const out: Ratio[] = [];
  const add = (name: string, a: number | undefined, b: number | undefined) => {
    if (a !== undefined && b !== undefined && b > 0) out.push({ name, value: a / b });
  };
  const sizes = [...new Set(records.filter((r) => r.task !== "tlb").map((r) => r.size))].sort((x, y) => x - y);
  for (const size of sizes) {
    const s = `${size / GiB}G`;
    for (const task of ["build-page", "build-page-warm", "build-block", "walk"]) {
      add(`${task} ${s}: wasm / native`, rate(task, "wasm", size), rate(task, "native", size));
      add(`${task} ${s}: wasm / reference`, rate(task, "wasm", size), rate(task, "reference", size));
    }
    // A cold page-granular build writes 8 bytes per descriptor: its byte rate against a cold fill's.
    const build = rate("build-page", "wasm", size);
    add(`build-page ${s}: bytes / cold fill`, build === undefined ? undefined : build * 8, rate("fill", "wasm", size));
  }
  const tlb = records.filter((r) => r.task === "tlb");
  for (const size of [...new Set(tlb.map((r) => r.size))]) {
    add(`tlb ${size / GiB}G: wasm / reference`, rate("tlb", "wasm", size, "implicit"), rate("tlb", "reference", size));
  }
  return out;
}

/** One line of the verdict. */
export interface GateRow {
  name: string;
  baseline?: number;
  now?: number;
  ok: boolean;
  note: string;
}

/** Compares `now` with the baseline: a ratio below baseline / threshold fails; a missing one is noted. */
export function gate(now: readonly Ratio[], base: Baseline): GateRow[] {
  const rows: GateRow[] = [];
  const current = new Map(now.map((r) => [r.name, r.value]));
  for (const [name, b] of Object.entries(base.ratios)) {
    const v = current.get(name);
    if (v === undefined) {
      rows.push({ name, baseline: b, ok: true, note: "not measured in this run (no C compiler, or a size not run)" });
      continue;
    }
    const ok = v >= b / base.threshold;
    rows.push({ name, baseline: b, now: v, ok, note: ok ? "" : `worse than baseline / ${base.threshold}` });
  }
  for (const r of now) if (!(r.name in base.ratios)) rows.push({ name: r.name, now: r.value, ok: true, note: "new: not in the baseline" });
  return rows;
}

async function main(): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const records = JSON.parse(readFileSync(join(root, "bench", "results", "quick.json"), "utf8")) as BenchRecord[];
  const baselinePath = join(root, "bench", "baseline.json");
  const now = ratiosOf(records);
  if (process.argv.includes("--update")) {
    let threshold = 2;
    try {
      threshold = (JSON.parse(readFileSync(baselinePath, "utf8")) as Baseline).threshold;
    } catch {
      // a first baseline
    }
    const base: Baseline = { threshold, ratios: Object.fromEntries(now.map((r) => [r.name, Number(r.value.toPrecision(4))])) };
    writeFileSync(`${baselinePath}.tmp`, `${JSON.stringify(base, null, 1)}\n`);
    renameSync(`${baselinePath}.tmp`, baselinePath);
    console.log(`bench/baseline.json: ${now.length} ratios written`);
    return;
  }
  const base = JSON.parse(readFileSync(baselinePath, "utf8")) as Baseline;
  const rows = gate(now, base);
  const fmt = (v?: number) => (v === undefined ? "-" : v.toFixed(3));
  console.log(columns([["ratio (higher: wasm faster)", "baseline", "now", "now / baseline", "verdict"], ...rows.map((r) => [r.name, fmt(r.baseline), fmt(r.now), r.baseline && r.now ? `${(r.now / r.baseline).toFixed(2)}x` : "-", r.ok ? `ok ${r.note}`.trim() : `FAIL: ${r.note}`])]));
  const failed = rows.filter((r) => !r.ok);
  if (failed.length > 0) {
    console.log(`\n${failed.length} ratio(s) worse than the baseline by more than ${base.threshold}x: ${failed.map((r) => r.name).join("; ")}`);
    process.exitCode = 1;
  } else console.log(`\nbench gate: ${rows.filter((r) => r.now !== undefined && r.baseline !== undefined).length} ratios within ${base.threshold}x of the baseline`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
