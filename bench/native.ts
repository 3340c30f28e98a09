/**
 * The native ceiling: compiles bench/native/pgtable_bench.c with `gcc -O2` (when gcc is present)
 * and runs it for one size. Returns its rates, or undefined with the reason printed once.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Rates the native program measured, by task name. */
export type NativeRates = Record<string, number>;

let binary: string | null | undefined;

function sourcePath(): string {
  // dist/bench/native.js and bench/native.ts both sit one level below a folder holding bench/native/.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const root of [join(here, ".."), join(here, "..", "..")]) {
    const p = join(root, "bench", "native", "pgtable_bench.c");
    try {
      execFileSync("test", ["-f", p]);
      return p;
    } catch {
      /* try the next */
    }
  }
  throw new Error("bench/native/pgtable_bench.c not found");
}

/** Builds the native benchmark once; null when there is no C compiler. */
function build(log: (s: string) => void): string | null {
  if (binary !== undefined) return binary;
  try {
    const out = join(mkdtempSync(join(tmpdir(), "pgtable-native-")), "pgtable_bench");
    execFileSync("gcc", ["-O2", "-o", out, sourcePath()], { stdio: "pipe" });
    binary = out;
  } catch (e) {
    log(`native ceiling skipped: gcc could not build bench/native/pgtable_bench.c (${(e as Error).message.split("\n")[0]})`);
    binary = null;
  }
  return binary;
}

/** Runs the native benchmark for `size` bytes. */
export function runNative(size: bigint, iterations: number, walks: number, log: (s: string) => void): NativeRates | undefined {
  const bin = build(log);
  if (bin === null) return undefined;
  const out = execFileSync(bin, [size.toString(), String(iterations), String(walks)], { encoding: "utf8" });
  const rates: NativeRates = {};
  for (const line of out.trim().split("\n")) {
    const r = JSON.parse(line) as { task: string; perSecond: number };
    rates[r.task] = r.perSecond;
  }
  return rates;
}
