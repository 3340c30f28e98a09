/**
 * Loads and compiles the engine's wasm once per process. Instances are cheap: one per page table.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The raw exports of `assembly/index.ts`. */
export interface EngineExports {
  memory: WebAssembly.Memory;
  SCRATCH_BYTES: WebAssembly.Global;
  init(pageShift: number, vaBits: number, tableAttrs: bigint, rule: number): number;
  reset(): void;
  setMemoryBudget(bytes: bigint): void;
  neededBytesOf(): bigint;
  recycle(pageShift: number, vaBits: number, tableAttrs: bigint, rule: number): number;
  setWalkStrategy(strategy: number): void;
  setImplicitLeaves(on: number): void;
  statsPtr(): number;
  errPtr(): number;
  resultPtr(): number;
  rangesStatePtr(): number;
  scratchPtr(): number;
  usagePtr(): number;
  mapRange(va: bigint, pa: bigint, size: bigint, prot: bigint, flags: number): number;
  changeRangeProt(va: bigint, size: bigint, set: bigint, clear: bigint, split: number): number;
  unmapRange(va: bigint, size: bigint): number;
  walkOne(va: bigint): bigint;
  walkBatch(vas: number, pas: number, levels: number, n: number): void;
  fillFrames(bytes: bigint): number;
  rangesInto(start: bigint, end: bigint, mask: bigint, exact: number, buffer: number, max: number): number;
  tlbConfigPtr(): number;
  tlbStatsPtr(): number;
  tlbConfigure(): number;
  tlbRun(vas: number, n: number): void;
  workloadPtr(): number;
  workloadReset(): number;
  workloadFill(vas: number, n: number): void;
}

let compiled: WebAssembly.Module | undefined;

/** Finds build/pgtable.wasm above this file (works from src/ under vitest and from dist/). */
function wasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, "build", "pgtable.wasm");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("build/pgtable.wasm not found: run `npm run build` first");
}

/**
 * Use this engine instead of reading build/pgtable.wasm: a compiled module, or the file's bytes.
 * For hosts without a file system (a browser fetches the file itself); call it before the first
 * page table is made. Node needs no call.
 */
export function useEngineModule(engine: WebAssembly.Module | BufferSource): void {
  compiled = engine instanceof WebAssembly.Module ? engine : new WebAssembly.Module(engine);
}

/** The compiled engine module. */
export function engineModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(wasmPath()));
  return compiled;
}

/** A fresh engine instance with its own memory. */
export function instantiateEngine(): EngineExports {
  const instance = new WebAssembly.Instance(engineModule(), {});
  return instance.exports as unknown as EngineExports;
}
