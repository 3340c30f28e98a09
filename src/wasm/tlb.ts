/**
 * `WasmTlb`: the typed face of the wasm run-time model (assembly/tlb.ts, assembly/workload.ts),
 * bound to one WasmPageTable's instance, whose tables it walks. Configuration and workloads cross
 * as u64 words; batches of VAs cross through the engine's scratch buffer.
 */
import { InvalidArgumentError } from "../errors.js";
import { checkTlbConfig, setsOf, sizeMask, walkLevelMask, type CacheShape, type TlbConfig } from "../tlb/config.js";
import type { TlbCounts } from "../tlb/metrics.js";
import { MAX_COMPONENTS, MAX_RANGES, type WorkloadLayout } from "../tlb/workload.js";
import type { EngineExports } from "./module.js";

const POLICY = { lru: 0n, plru: 1n, random: 2n } as const;
/** u64 words of the wasm generator's WORKLOAD area: a header of 4, the ranges, the components (16 each). */
const WORKLOAD_WORDS = 4 + MAX_RANGES * 2 + MAX_COMPONENTS * 16;

/** The model over one wasm page table. `call` runs an engine call as WasmPageTable does (traps typed). */
export class WasmTlb {
  readonly #call: <T>(fn: (x: EngineExports) => T) => T;
  #config: TlbConfig | undefined;

  constructor(call: <T>(fn: (x: EngineExports) => T) => T) {
    this.#call = call;
  }

  /** Configures the caches empty and zeroes the counters. */
  configure(config: TlbConfig, seed: bigint): void {
    checkTlbConfig(config);
    this.#call((x) => {
      const w = new BigUint64Array(x.memory.buffer, x.tlbConfigPtr(), 20);
      w.fill(0n);
      const wc = config.walkCache;
      w[0] = BigInt(config.levels.length);
      w[1] = wc.kind === "none" ? 0n : wc.kind === "own" ? 1n : 2n;
      w[2] = wc.kind === "none" ? 0n : walkLevelMask(wc.levels);
      w[3] = BigInt.asUintN(64, seed);
      const shape = (slot: number, s: CacheShape, sizes: bigint, what: string) => {
        w[4 + slot * 4] = BigInt(setsOf(s, what));
        w[5 + slot * 4] = BigInt(s.ways);
        w[6 + slot * 4] = POLICY[s.replacement];
        w[7 + slot * 4] = sizes;
      };
      config.levels.forEach((l, i) => shape(i, l, sizeMask(l), l.name));
      if (wc.kind === "own") shape(3, wc, 0n, "walk cache");
      if (x.tlbConfigure() !== 0) throw new InvalidArgumentError("TLB configuration", "the wasm model refused it");
    });
    this.#config = config;
  }

  /** Sets the workload stream (from its seed). */
  setWorkload(layout: WorkloadLayout): void {
    if (layout.ranges.length > MAX_RANGES) throw new InvalidArgumentError("workload", `at most ${MAX_RANGES} ranges`);
    this.#call((x) => {
      const w = new BigUint64Array(x.memory.buffer, x.workloadPtr(), WORKLOAD_WORDS);
      const f = new Float64Array(x.memory.buffer, x.workloadPtr(), WORKLOAD_WORDS);
      w.fill(0n);
      w[0] = BigInt(layout.ranges.length);
      w[1] = BigInt(layout.components.length);
      w[2] = layout.seed;
      layout.ranges.forEach((r, i) => {
        w[4 + 2 * i] = r.va;
        w[5 + 2 * i] = r.length;
      });
      layout.components.forEach((c, i) => {
        const b = 4 + MAX_RANGES * 2 + i * 16;
        w[b] = BigInt(c.kind);
        w[b + 1] = c.threshold;
        w[b + 2] = c.offset;
        w[b + 3] = c.length;
        w[b + 4] = c.stride;
        f[b + 5] = c.s;
        w[b + 6] = c.items;
        w[b + 8] = c.prime;
      });
      if (x.workloadReset() !== 0) throw new InvalidArgumentError("workload", "the wasm generator refused its layout");
    });
  }

  /** VAs per batch: the scratch buffer's size. */
  batchSize(): number {
    return this.#call((x) => Number(x.SCRATCH_BYTES.value) / 8);
  }

  /** Generates and simulates n accesses of the workload (n at most batchSize()). */
  runWorkload(n: number): void {
    this.#call((x) => {
      x.workloadFill(x.scratchPtr(), n);
      x.tlbRun(x.scratchPtr(), n);
    });
  }

  /** The next n VAs of the workload, without simulating them (for tests and the reference). */
  generate(n: number): BigUint64Array {
    return this.#call((x) => {
      x.workloadFill(x.scratchPtr(), n);
      return new BigUint64Array(x.memory.buffer, x.scratchPtr(), n).slice();
    });
  }

  /** Simulates the given VAs in order. */
  run(vas: BigUint64Array): void {
    this.#call((x) => {
      const max = Number(x.SCRATCH_BYTES.value) / 8;
      for (let i = 0; i < vas.length; i += max) {
        const part = vas.subarray(i, Math.min(vas.length, i + max));
        new BigUint64Array(x.memory.buffer, x.scratchPtr(), part.length).set(part);
        x.tlbRun(x.scratchPtr(), part.length);
      }
    });
  }

  /**
   * Simulates VAs given as raw little-endian u64 bytes (a multiple of 8), written straight into the
   * scratch buffer: the fast path of trace replay.
   */
  runBytes(bytes: Uint8Array): void {
    if (bytes.length % 8 !== 0) throw new InvalidArgumentError("trace", "raw VAs come in 8-byte units");
    this.#call((x) => {
      const max = Number(x.SCRATCH_BYTES.value);
      for (let i = 0; i < bytes.length; i += max) {
        const part = bytes.subarray(i, Math.min(bytes.length, i + max));
        new Uint8Array(x.memory.buffer, x.scratchPtr(), part.length).set(part);
        x.tlbRun(x.scratchPtr(), part.length / 8);
      }
    });
  }

  /** The counters so far. */
  counts(): TlbCounts {
    const config = this.#config;
    if (!config) throw new InvalidArgumentError("TLB", "configure() first");
    return this.#call((x) => {
      const s = new BigUint64Array(x.memory.buffer, x.tlbStatsPtr(), 16);
      const n = (i: number) => Number(s[i]);
      return {
        accesses: n(0),
        walks: n(1),
        walkRefs: n(2),
        faults: n(3),
        walkCacheLookups: n(4),
        walkCacheHits: n(5),
        levels: config.levels.map((l, i) => ({ name: l.name, lookups: n(8 + 2 * i), misses: n(9 + 2 * i) })),
      };
    });
  }
}
