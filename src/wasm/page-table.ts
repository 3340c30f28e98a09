/**
 * `WasmPageTable`: the typed face of the WebAssembly engine. Arguments are checked here (shared
 * with the reference), 64-bit values cross as bigint, batches cross through the engine's scratch
 * buffer, and engine status codes become typed errors.
 */
import {
  BlockMappingError,
  InvalidArgumentError,
  EngineTrapError,
  EngineUnusableError,
  NotMappedError,
  OutOfMemoryError,
  PgtableError,
  UnsafeChangeError,
} from "../errors.js";
import type { Geometry } from "../geometry.js";
import type {
  ChangeMode,
  ChangeResult,
  MapResult,
  MappedRange,
  MemoryUsage,
  PageTableEngine,
  PageTableOptions,
  RangesOptions,
  Stats,
  WalkManyResult,
  WalkResult,
} from "../types.js";
import { checkChangeMasks, checkMap, checkMode, checkOptions, checkRanges, checkU64, checkVaRange, checkWalkMany } from "../validate.js";
import { type EngineExports, instantiateEngine } from "./module.js";
import { statsFromCounters, type StatsCounters } from "../stats.js";
import { WasmTlb } from "./tlb.js";

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const TWO64 = 1n << 64n;
const RECORD_BYTES = 32;
const FAULT_KINDS = [undefined, "translation", "range"] as const;

/** Engine status codes (assembly/status.ts). */
const E_UNSAFE = 1;
const E_BLOCK = 2;
const E_NOT_MAPPED = 3;
const E_NOMEM = 4;
const BLOCK_KINDS: Record<number, string> = {
  1: "a block mapping stands where page mappings are needed",
  2: "a contiguous (CONT) entry stands where page mappings are needed",
  3: "a block or contiguous group lies only partly inside the range",
};

/** Memory of the WebAssembly engine: the kernel's cost, the simulator's, and how it is held. */
export interface WasmMemoryUsage extends MemoryUsage {
  /** Table frames kept as real pages (the PGD included). */
  realTables: number;
  /** PTE tables kept as implicit records (8 bytes each: their entries form one run). */
  implicitTables: number;
  /** Frame-map slots handed out (8 bytes each, live or on the free list). */
  frameSlots: number;
}

/** Options of the WebAssembly engine. */
export interface WasmPageTableOptions extends PageTableOptions {
  /**
   * Keep PTE tables that are one whole run of pages as 8-byte records (default true: a 64 TiB
   * page-granular map fits). False stores every table as a real page, like the kernel.
   */
  implicitLeaves?: boolean;
  /**
   * Bytes of wasm memory this table may use (default: its memory now plus what the machine has free,
   * `os.freemem()`, when it is made). A call that would need more fails with an OutOfMemoryError
   * saying how much it needs, before it changes anything.
   */
  memoryBudget?: number;
}

/**
 * What the machine has free, in bytes: os.freemem() in Node (found through process.getBuiltinModule,
 * so that this module loads in a browser too, where the answer is the wasm32 limit, 4 GiB).
 */
function freeMemory(): number {
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:os") as { freemem(): number } | undefined;
  return os ? os.freemem() : 2 ** 32;
}

/** The WebAssembly engine behind the PageTableEngine interface. */
export class WasmPageTable implements PageTableEngine {
  readonly geometry: Geometry;
  #x: EngineExports | undefined;
  #unusable: string | undefined;
  #budget = 0;

  /** A new table with only its PGD. `engine` replaces the wasm instance (for tests of trap handling). */
  constructor(options: WasmPageTableOptions = {}, engine?: EngineExports, recycled = false) {
    const { geometry: g, tableAttrs, safeRule } = checkOptions(options);
    this.geometry = g;
    this.#x = engine ?? instantiateEngine();
    const rule = safeRule === "v7.3" ? 2 : safeRule === "v6.12" ? 1 : 0;
    const rc = recycled ? this.#x.recycle(g.pageShift, g.vaBits, tableAttrs, rule) : this.#x.init(g.pageShift, g.vaBits, tableAttrs, rule);
    if (options.implicitLeaves === false) this.#x.setImplicitLeaves(0);
    const budget = options.memoryBudget ?? this.#x.memory.buffer.byteLength + freeMemory();
    if (!(budget > 0) || !Number.isFinite(budget)) throw new InvalidArgumentError("memoryBudget", `${budget} is not a number of bytes above 0`);
    this.#budget = Math.floor(budget);
    this.#x.setMemoryBudget(BigInt(Math.min(this.#budget, 2 ** 32))); // wasm32 never exceeds 4 GiB
    if (rc !== 0) throw new OutOfMemoryError(1, "wasm memory could not hold the PGD");
  }

  /**
   * The run-time model (TLBs and walk cache) over this table, sharing its instance: its walks read
   * these tables. Configure it again after the tables change.
   */
  runTimeModel(): WasmTlb {
    return new WasmTlb((fn) => this.#call(fn));
  }

  /**
   * A new table in `old`'s wasm instance, which `old` gives up (it is disposed): its memory, already
   * grown and mapped by the host, is reused instead of a fresh instance's, whose every page would
   * fault in again. An unusable `old` gives a fresh instance.
   */
  static recycled(old: WasmPageTable, options: WasmPageTableOptions = {}): WasmPageTable {
    checkOptions(options); // a refused option leaves `old` as it was
    if (options.memoryBudget !== undefined && !(options.memoryBudget > 0 && Number.isFinite(options.memoryBudget))) {
      throw new InvalidArgumentError("memoryBudget", `${options.memoryBudget} is not a number of bytes above 0`);
    }
    const x = old.#x;
    const usable = x !== undefined && old.#unusable === undefined;
    old.dispose();
    // Memory already larger than the budget cannot be given back: a fresh instance keeps to it.
    const fits = usable && (options.memoryBudget === undefined || x.memory.buffer.byteLength <= options.memoryBudget);
    if (!fits || options.implicitLeaves === false) return new WasmPageTable(options);
    return new WasmPageTable(options, x, true);
  }

  /** The exports, or a throw if this table can no longer be used. */
  #exports(): EngineExports {
    if (this.#x === undefined || this.#unusable !== undefined) throw new EngineUnusableError(this.#unusable ?? "disposed");
    return this.#x;
  }

  /** Runs an engine call; a trap marks the table unusable and becomes an EngineTrapError. */
  #call<T>(fn: (x: EngineExports) => T): T {
    const x = this.#exports();
    try {
      return fn(x);
    } catch (e) {
      if (e instanceof PgtableError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      this.#unusable = `an earlier call trapped (${message})`;
      throw new EngineTrapError(message, { cause: e });
    }
  }

  #u64(x: EngineExports, ptr: number, n: number): BigUint64Array {
    return new BigUint64Array(x.memory.buffer, ptr, n);
  }

  #counters(x: EngineExports): StatsCounters {
    const c = this.#u64(x, x.statsPtr(), 15);
    const n = (i: number) => Number(c[i]);
    return {
      allocated: [0, 1, 2, 3, 4].map((d) => n(d)),
      freed: [0, 1, 2, 3, 4].map((d) => n(5 + d)),
      writes: [0, 1, 2, 3, 4].map((d) => n(10 + d)),
    };
  }

  /** Turns a failure status into its typed error. */
  #error(x: EngineExports, status: number): PgtableError {
    const e = this.#u64(x, x.errPtr(), 5);
    const va = e[0];
    const level = Number(BigInt.asIntN(64, e[1]));
    switch (status) {
      case E_UNSAFE:
        return new UnsafeChangeError(va, level, e[2], e[3]);
      case E_BLOCK:
        return new BlockMappingError(va, level, e[2], BLOCK_KINDS[Number(e[4])] ?? "block");
      case E_NOT_MAPPED:
        return new NotMappedError(va, level);
      case E_NOMEM: {
        const needed = Number(x.neededBytesOf());
        const mib = (b: number) => `${Math.ceil(b / 2 ** 20)} MiB`;
        return new OutOfMemoryError(
          Number(e[3]),
          needed > 2 ** 32 ? `needs ${mib(needed)} of wasm memory; wasm32 memory holds at most 4 GiB` : `needs ${mib(needed)} of wasm memory; the budget is ${mib(this.#budget)} (memoryBudget, --memory-budget)`,
        );
      }
      default:
        return new EngineTrapError(`unknown engine status ${status}`);
    }
  }

  /** Runs a mutating call and reports the work it did from the counters. */
  #mutate(run: (x: EngineExports) => number): ChangeResult {
    return this.#call((x) => {
      const before = this.#counters(x);
      const status = run(x);
      if (status !== 0) throw this.#error(x, status);
      const after = this.#counters(x);
      const sum = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v - b[i], 0);
      return {
        framesAllocated: sum(after.allocated, before.allocated),
        framesFreed: sum(after.freed, before.freed),
        descriptorsWritten: sum(after.writes, before.writes),
      };
    });
  }

  map(va: bigint, pa: bigint, size: bigint, prot: bigint, flags = 0): MapResult {
    checkMap(this.geometry, va, pa, size, prot, flags);
    const r = this.#mutate((x) => x.mapRange(va, pa, size, prot, flags));
    return { framesAllocated: r.framesAllocated, descriptorsWritten: r.descriptorsWritten };
  }

  unmap(va: bigint, size: bigint): ChangeResult {
    checkVaRange(this.geometry, va, size);
    return this.#mutate((x) => x.unmapRange(va, size));
  }

  setMemory(va: bigint, size: bigint, set: bigint, clear: bigint, mode: ChangeMode = "classic"): ChangeResult {
    checkVaRange(this.geometry, va, size);
    checkChangeMasks(this.geometry, set, clear);
    checkMode(mode);
    return this.#mutate((x) => x.changeRangeProt(va, size, set, clear, mode === "split" ? 1 : mode === "leaf" ? 2 : 0));
  }

  walk(va: bigint): WalkResult {
    checkU64("va", va);
    return this.#call((x) => {
      x.walkOne(U64(va));
      const r = this.#u64(x, x.resultPtr(), 11);
      const fault = FAULT_KINDS[Number(r[4])];
      const read = Number(r[5]);
      return {
        va,
        pa: fault === undefined ? r[0] : undefined,
        level: Number(BigInt.asIntN(64, r[3])),
        descriptor: r[1],
        tableAttrs: r[2],
        path: Array.from(r.subarray(6, 6 + read)),
        fault,
      };
    });
  }

  walkMany(vas: BigUint64Array, out?: WalkManyResult): WalkManyResult {
    const result = checkWalkMany(vas, out);
    const { pa, level } = result;
    return this.#call((x) => {
      const chunk = 65536;
      const base = x.scratchPtr();
      const inPtr = base;
      const paPtr = base + chunk * 8;
      const levelPtr = base + chunk * 16;
      for (let i = 0; i < vas.length; i += chunk) {
        const n = Math.min(chunk, vas.length - i);
        const buf = x.memory.buffer;
        new BigUint64Array(buf, inPtr, n).set(vas.subarray(i, i + n));
        x.walkBatch(inPtr, paPtr, levelPtr, n);
        pa.set(new BigUint64Array(x.memory.buffer, paPtr, n), i);
        level.set(new Int8Array(x.memory.buffer, levelPtr, n), i);
      }
      return result;
    });
  }

  ranges(options: RangesOptions = {}): MappedRange[] {
    const { start, end, mask, exact } = checkRanges(this.geometry, options);
    return this.#call((x) => {
      const out: MappedRange[] = [];
      const buffer = x.scratchPtr();
      const max = Math.floor(Number(x.SCRATCH_BYTES.value) / RECORD_BYTES);
      let from = start;
      for (;;) {
        const n = x.rangesInto(from, U64(end), mask, exact ? 1 : 0, buffer, max);
        const rec = this.#u64(x, buffer, n * 4);
        for (let i = 0; i < n; i++) {
          const e = rec[i * 4 + 1];
          out.push({
            start: rec[i * 4],
            end: e === 0n ? TWO64 : e,
            descriptor: rec[i * 4 + 2],
            level: Number(BigInt.asIntN(64, rec[i * 4 + 3])),
          });
        }
        const state = this.#u64(x, x.rangesStatePtr(), 2);
        if (state[1] === 1n) return out;
        from = state[0];
      }
    });
  }

  stats(): Stats {
    return this.#call((x) => statsFromCounters(this.geometry, this.#counters(x)));
  }

  /**
   * The kernel-equivalent table bytes beside what the engine holds: real table pages plus 8 bytes of
   * frame map per table (an implicit PTE table is nothing more), and the wasm memory's size.
   */
  memoryUsage(): WasmMemoryUsage {
    return this.#call((x) => {
      const u = this.#u64(x, x.usagePtr(), 5);
      const realTables = Number(u[0]);
      const frameSlots = Number(u[2]);
      return {
        tableBytes: statsFromCounters(this.geometry, this.#counters(x)).tableBytes,
        simulatorBytes: realTables * Number(this.geometry.pageSize) + frameSlots * 8,
        wasmMemoryBytes: x.memory.buffer.byteLength,
        realTables,
        implicitTables: Number(u[1]),
        frameSlots,
      };
    });
  }

  reset(): void {
    this.#call((x) => x.reset());
  }

  dispose(): void {
    this.#x = undefined;
    this.#unusable ??= "disposed";
  }
}
